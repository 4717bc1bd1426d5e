"""Credit notes over MCP, through the official SDK client in both protocol eras:
draft_credit_note and draft_vendor_credit make one draft per idempotency key, which waits in
the review queue with its proposed allocations; list_credit_notes reads each kind with that
kind's permission; a grant without the permission is asked to step up."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger.credit_notes import delete_draft_credit_note
from newledger.ledger.models import CreditNote, Expense, Invoice
from newledger.ledger.review import list_drafts_awaiting_review
from tests.conftest import LiveServer
from tests.support.mcp import (
    ERAS,
    EVERY_READ,
    Demo,
    demo_app,
    mcp_client,
    mcp_token,
    mcp_url,
    rpc,
)


def _call(url: str, token: str, era: str, name: str, args: dict[str, Any]) -> Any:
    async def go() -> Any:
        async with mcp_client(url, token, era) as client:
            return await client.call_tool(name, args)

    return anyio.run(go)


def _open(books: sessionmaker[Session], demo: Demo, model: type[Invoice] | type[Expense]) -> Any:
    """The demo's oldest approved invoice (or bill) with at least 10.00 due."""
    with books() as session:
        query = select(model).where(
            model.company_id == demo.company_id,
            model.status == "approved",
            model.total - model.amount_paid - model.amount_credited >= 1000,
        )
        if model is Expense:
            query = query.where(Expense.kind == "bill")
        found = session.scalars(query.order_by(model.id)).first()
        assert found is not None
        session.expunge(found)
        return found


def _drafts(books: sessionmaker[Session], demo: Demo, kind: str) -> int:
    with books() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    CreditNote.company_id == demo.company_id,
                    CreditNote.kind == kind,
                    CreditNote.status == "draft",
                )
            )
            or 0
        )


def _forget(books: sessionmaker[Session], demo: Demo, kind: str, *ids: int) -> None:
    """Leave the shared demo books as they were."""
    with books.begin() as session:
        owner = session.get(User, demo.owner_id)
        assert owner is not None
        person = user_actor(session, owner, demo.company_id)
        for note_id in ids:
            delete_draft_credit_note(session, person, kind, note_id)


@pytest.mark.parametrize("era", ERAS)
def test_a_credit_note_draft_waits_in_the_review_queue_once_per_key(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, "invoices:draft", "invoices:read", name=f"Returns {era}")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    invoice = _open(books, demo, Invoice)
    args = {
        "idempotency_key": f"cn-{era}",
        "contact_id": invoice.contact_id,
        "date": invoice.issue_date.isoformat(),
        "reference": "RMA-1",
        "lines": [{"description": "Returned", "quantity": "2", "unit_price": "5.00"}],
        "allocations": [{"invoice_id": invoice.id, "amount": "10.00"}],
    }
    before = _drafts(books, demo, "sales")
    first = _call(url, token, era, "draft_credit_note", args)
    again = _call(url, token, era, "draft_credit_note", args)
    assert not first.is_error, first.content
    made = first.structured_content
    assert (made["kind"], made["status"], made["total"], made["remaining"]) == (
        "sales",
        "draft",
        "10.00",
        "10.00",
    )
    assert made["number"].startswith("CN-")
    assert made["url"] == f"{live_server.url}/credit-notes/{made['id']}"
    assert made["review_url"] == f"{live_server.url}/review"
    assert made["allocations"] == [
        {
            "invoice_id": invoice.id,
            "expense_id": None,
            "amount": "10.00",
            "date": invoice.issue_date.isoformat(),
            "status": "proposed",
        }
    ]
    assert "waits in the review queue" in first.content[0].text
    assert made["number"] in first.content[0].text
    assert made["replayed"] is False and again.structured_content["replayed"] is True
    assert again.structured_content["id"] == made["id"]
    assert _drafts(books, demo, "sales") == before + 1
    reused = _call(url, token, era, "draft_credit_note", {**args, "memo": "changed"})
    assert reused.is_error and "idempotency_key" in reused.content[0].text

    with books() as session:
        owner = session.get(User, demo.owner_id)
        assert owner is not None
        person = user_actor(session, owner, demo.company_id)
        queue = {(d.type, d.id): d for d in list_drafts_awaiting_review(session, person)}
        card = queue[("credit_note", made["id"])]
        assert (card.title, card.source_label, card.link) == (
            made["number"],
            f"Returns {era}",
            f"/credit-notes/{made['id']}",
        )
        assert dict(card.facts)["Allocates on approval"] == f"invoice {invoice.number}: 10.00 USD"
        logged = session.scalars(
            select(Activity).where(
                Activity.event == "ledger:credit_note:drafted",
                Activity.actor_app_id == cred.app_id,
            )
        ).all()
        assert [(a.subject_id, a.actor_label) for a in logged] == [(made["id"], f"Returns {era}")]
        # Proposed only: the invoice owes what it owed.
        still = session.get(Invoice, invoice.id)
        assert still is not None and still.amount_credited == invoice.amount_credited

    listed = _call(url, token, era, "list_credit_notes", {"status": "draft", "limit": 100})
    assert not listed.is_error, listed.content
    page = listed.structured_content
    assert page["total"] == before + 1
    mine = [n for n in page["credit_notes"] if n["id"] == made["id"]]
    assert mine and mine[0]["url"] == made["url"] and mine[0]["remaining"] == "10.00"
    _forget(books, demo, "sales", made["id"])


@pytest.mark.parametrize("era", ERAS)
def test_a_vendor_credit_draft_names_its_bill_and_refusals_say_which_argument(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, "expenses:draft", "expenses:read", name=f"AP {era}")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    bill = _open(books, demo, Expense)
    line = {
        "description": "Damaged",
        "unit_price": "10.00",
        "account_id": bill_account(books, bill),
    }
    args = {
        "idempotency_key": f"vc-{era}",
        "contact_id": bill.contact_id,
        "date": bill.date.isoformat(),
        "lines": [line],
        "allocations": [{"expense_id": bill.id, "amount": "10.00"}],
    }
    made = _call(url, token, era, "draft_vendor_credit", args)
    assert not made.is_error, made.content
    vc = made.structured_content
    assert (vc["kind"], vc["number"][:3]) == ("purchase", "VC-")
    assert vc["url"] == f"{live_server.url}/vendor-credits/{vc['id']}"
    assert vc["allocations"][0]["expense_id"] == bill.id

    before = _drafts(books, demo, "purchase")
    too_much = [{"expense_id": bill.id, "amount": "11.00"}]
    over = _call(
        url,
        token,
        era,
        "draft_vendor_credit",
        {**args, "idempotency_key": f"vc-over-{era}", "allocations": too_much},
    )
    assert over.is_error and "allocations" in over.content[0].text
    assert _drafts(books, demo, "purchase") == before

    listed = _call(url, token, era, "list_credit_notes", {"kind": "purchase", "limit": 100})
    assert not listed.is_error, listed.content
    ids = [n["id"] for n in listed.structured_content["credit_notes"]]
    assert vc["id"] in ids
    assert all(n["kind"] == "purchase" for n in listed.structured_content["credit_notes"])
    _forget(books, demo, "purchase", vc["id"])


def bill_account(books: sessionmaker[Session], bill: Expense) -> int:
    with books() as session:
        loaded = session.get(Expense, bill.id)
        assert loaded is not None
        return loaded.lines[0].account_id


@pytest.mark.parametrize("era", ERAS)
def test_a_read_only_grant_is_asked_to_step_up_for_credit_notes(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    reader = demo_app(books, demo, *EVERY_READ.split(), name=f"Reader {era}")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, reader, url)
    before = _drafts(books, demo, "sales"), _drafts(books, demo, "purchase")
    line = {"unit_price": "1.00"}
    for tool, scope in (
        ("draft_credit_note", "invoices:draft"),
        ("draft_vendor_credit", "expenses:draft"),
    ):
        arguments = {"idempotency_key": "k", "contact_id": 1, "lines": [line]}
        response = rpc(url, token, "tools/call", {"name": tool, "arguments": arguments}, era=era)
        assert response.status_code == 403, (tool, response.text)
        challenge = response.headers["www-authenticate"]
        assert 'error="insufficient_scope"' in challenge and f'scope="{scope}"' in challenge
    assert (_drafts(books, demo, "sales"), _drafts(books, demo, "purchase")) == before

    # list_credit_notes asks for the permission of the kind it is asked about.
    sales_only = demo_app(books, demo, "invoices:read", name=f"AR {era}")
    token = mcp_token(live_server.url, sales_only, url)
    ok = rpc(url, token, "tools/call", {"name": "list_credit_notes", "arguments": {}}, era=era)
    assert ok.status_code == 200, ok.text
    refused = rpc(
        url,
        token,
        "tools/call",
        {"name": "list_credit_notes", "arguments": {"kind": "purchase"}},
        era=era,
    )
    assert refused.status_code == 403
    assert 'scope="expenses:read"' in refused.headers["www-authenticate"]
