"""draft_payment and draft_categorization over MCP: the proposal waits in the review queue, once
per idempotency key, and nothing is posted."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger import categorization_drafts, payment_drafts
from newledger.ledger.models import Account, BankTransaction, Invoice, Payment
from newledger.ledger.review import list_drafts_awaiting_review
from tests.conftest import LiveServer
from tests.support.mcp import ERAS, Demo, demo_app, mcp_client, mcp_token, mcp_url


def _call(url: str, token: str, era: str, name: str, args: dict[str, Any]) -> Any:
    async def go() -> Any:
        async with mcp_client(url, token, era) as client:
            return await client.call_tool(name, args)

    return anyio.run(go)


@pytest.mark.parametrize("era", ERAS)
def test_proposals_over_mcp_wait_for_review_and_post_nothing(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, "payments:draft", "bank:draft", name=f"Bookkeeper {era}")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    with books() as session:
        invoice = session.scalars(
            select(Invoice)
            .where(Invoice.company_id == demo.company_id, Invoice.status == "approved")
            .order_by(Invoice.id)
        ).first()
        lines = session.scalars(
            select(BankTransaction)
            .where(
                BankTransaction.company_id == demo.company_id,
                BankTransaction.status == "uncategorized",
            )
            .order_by(BankTransaction.id)
            .limit(len(ERAS))
        ).all()
        assert invoice is not None and len(lines) == len(ERAS)
        line = lines[ERAS.index(era)]  # one open proposal per line: each era takes its own
        payments_before = len(session.scalars(select(Payment.id)).all())
        bank_account_id = line.bank_account_id
    pay = {
        "idempotency_key": f"pay-{era}",
        "invoice_id": invoice.id,
        "amount": "1.00",
        "bank_account_id": bank_account_id,
    }
    first = _call(url, token, era, "draft_payment", pay)
    again = _call(url, token, era, "draft_payment", pay)
    assert not first.is_error, first.content
    made = first.structured_content
    assert (made["status"], made["amount"], made["direction"]) == ("draft", "1.00", "received")
    assert made["replayed"] is False and again.structured_content["id"] == made["id"]
    assert "waits in the review queue" in first.content[0].text
    too_much = _call(url, token, era, "draft_payment", {**pay, "idempotency_key": "x",
                                                         "amount": "99999999.00"})  # fmt: skip
    assert too_much.is_error and "more than" in too_much.content[0].text

    cat = {
        "idempotency_key": f"cat-{era}",
        "bank_transaction_id": line.id,
        "account_id": _an_expense_account(books, demo),
        "confidence": 0.7,
        "evidence": "A monthly software charge",
    }
    proposed = _call(url, token, era, "draft_categorization", cat)
    assert not proposed.is_error, proposed.content
    shown = proposed.structured_content
    assert (shown["hint_origin"], shown["confidence"], shown["status"]) == ("app", 0.7, "draft")

    with books() as session:
        owner = session.get(User, demo.owner_id)
        assert owner is not None
        person = user_actor(session, owner, demo.company_id)
        queue = {(d.type, d.id): d for d in list_drafts_awaiting_review(session, person)}
        assert queue[("payment", made["id"])].source_label == f"Bookkeeper {era}"
        assert queue[("categorization", shown["id"])].source == "api"
        assert len(session.scalars(select(Payment.id)).all()) == payments_before
        still = session.get(BankTransaction, line.id)
        assert still is not None and still.status == "uncategorized"
        # Leave the shared demo books as they were.
        payment_drafts.delete_payment_draft(session, person, made["id"])
        categorization_drafts.delete_categorization_draft(session, person, shown["id"])
        session.commit()


def _an_expense_account(books: sessionmaker[Session], demo: Demo) -> int:
    with books() as session:
        found = session.scalar(
            select(Account.id)
            .where(Account.company_id == demo.company_id, Account.type == "expense")
            .order_by(Account.code)
        )
        assert found is not None
        return int(found)
