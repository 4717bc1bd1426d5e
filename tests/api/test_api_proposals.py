"""Payment and categorization drafts end to end: an app proposes through REST API v1 with its
token, a person decides in the review queue over HTTP, and the books show the outcome."""

from __future__ import annotations

import re
from typing import get_args

import httpx
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.api.resources.changes import ResourceType
from newledger.events.catalogue import READ_PERMISSION
from newledger.ledger import invoices
from tests.conftest import LiveServer
from tests.support.api import Api, api_for
from tests.support.appconnect import server_key
from tests.support.books import net, row_counts
from tests.support.proposals import make_office
from tests.support.workspace import client, csrf, sign_in

__all__ = ["server_key"]


def _decide(c: httpx.Client, path: str, **form: str) -> httpx.Response:
    """Post a review decision with the queue page's CSRF token, as the page's form does."""
    token = csrf(c.get("/review").text)
    return c.post(path, data={"csrf_token": token, **form})


def _books_rows(session: Session) -> dict[str, int]:
    """Rows per table, leaving out what signing in and browsing write."""
    rows = row_counts(session)
    return {t: n for t, n in rows.items() if t not in ("web_sessions", "rate_limit_counters")}


def _book_figures(api: Api, invoice_id: int) -> tuple[str, str]:
    invoice = api.get(f"/invoices/{invoice_id}").json()
    return invoice["status"], invoice["amount_due"]


def test_a_part_payment_proposed_by_an_app_is_recorded_when_a_person_approves_it(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    office = make_office(sessions)
    api, _ = api_for(live_server.url, sessions, office.books, name="AI Bookkeeper")
    body = {
        "invoice_id": office.invoice_id,
        "amount": "200.00",
        "date": "2026-05-04",
        "bank_account_id": office.books.checking.id,
        "reference": "Wire 881",
    }
    created = api.post("/payment-drafts", json=body, headers={"Idempotency-Key": "pay-1"})
    assert created.status_code == 201, created.text
    draft = created.json()
    assert created.headers["location"] == f"/api/v1/payment-drafts/{draft['id']}"
    assert created.headers["etag"] == 'W/"1"'
    assert (draft["status"], draft["amount"], draft["direction"]) == ("draft", "200.00", "received")
    assert (draft["source"], draft["source_label"], draft["payment_id"]) == (
        "api",
        "AI Bookkeeper",
        None,
    )
    replay = api.post("/payment-drafts", json=body, headers={"Idempotency-Key": "pay-1"})
    assert replay.json()["id"] == draft["id"]
    # Nothing reached the ledger.
    assert _book_figures(api, office.invoice_id) == ("approved", "500.00")
    assert api.get("/payments").json()["data"] == []

    too_much = api.post("/payment-drafts", json={**body, "amount": "500.01"})
    assert too_much.status_code == 422
    assert too_much.headers["content-type"] == "application/problem+json"
    assert too_much.json()["code"] == "overpayment"
    assert too_much.json()["errors"] == {"amount": "at most 500.00"}
    assert "more than the 500.00 USD due" in too_much.json()["detail"]

    with client(live_server.url) as c:
        sign_in(c, office.owner)
        queue = c.get("/review").text
        assert f'id="payment-draft-{draft["id"]}"' in queue
        assert "500.00 USD of 500.00 USD" in queue and "AI Bookkeeper" in queue
        done = _decide(c, f"/review/payment-drafts/{draft['id']}/approve", version="1")
        assert done.status_code == 303, done.text
        assert f'id="payment-draft-{draft["id"]}"' not in c.get("/review").text
    assert _book_figures(api, office.invoice_id) == ("partially_paid", "300.00")
    approved = api.get(f"/payment-drafts/{draft['id']}").json()
    assert approved["status"] == "approved" and approved["payment_id"] is not None
    payment = api.get(f"/payments/{approved['payment_id']}").json()
    assert (payment["amount"], payment["reference"]) == ("200.00", "Wire 881")
    # A decided draft cannot be withdrawn.
    gone = api.delete(f"/payment-drafts/{draft['id']}", headers={"If-Match": 'W/"2"'})
    assert gone.status_code == 409 and gone.json()["code"] == "not_a_draft"


def test_approving_a_payment_after_the_invoice_was_voided_is_refused_and_changes_nothing(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    office = make_office(sessions)
    api, _ = api_for(live_server.url, sessions, office.books)
    draft = api.post(
        "/payment-drafts",
        json={
            "invoice_id": office.invoice_id,
            "amount": "100.00",
            "date": "2026-05-04",
            "bank_account_id": office.books.checking.id,
        },
    ).json()
    with sessions.begin() as s:
        invoices.void_invoice(s, office.books.tenant.actor(s), office.invoice_id, reason="Twice")
    with client(live_server.url) as c:
        sign_in(c, office.owner)
        with sessions() as s:
            before = _books_rows(s)
        refused = _decide(c, f"/review/payment-drafts/{draft['id']}/approve", version="1")
        assert refused.status_code == 409
        assert re.search(r"the invoice INV-\d+ is voided", refused.text)
        assert f'id="error-payment-draft-{draft["id"]}"' in refused.text
        with sessions() as s:
            assert _books_rows(s) == before
        rejected = _decide(
            c, f"/review/payment-drafts/{draft['id']}/reject", reason="The invoice was voided"
        )
        assert rejected.status_code == 303
    shown = api.get(f"/payment-drafts/{draft['id']}").json()
    assert (shown["status"], shown["rejected_reason"]) == ("rejected", "The invoice was voided")
    assert _book_figures(api, office.invoice_id) == ("voided", "500.00")


def test_a_categorization_from_a_hint_is_posted_on_approval_and_a_rejection_posts_nothing(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    office = make_office(sessions)
    api, _ = api_for(live_server.url, sessions, office.books, "bank:draft", "bank:read")
    hinted = api.post("/categorization-drafts", json={"bank_transaction_id": office.staples_id})
    assert hinted.status_code == 201, hinted.text
    hint = hinted.json()
    assert hint["account_id"] == office.books.acct("6500") and hint["hint_origin"] == "history"
    assert hint["confidence"] >= 0.6 and "Office Supplies" in hint["evidence"]
    again = api.post("/categorization-drafts", json={"bank_transaction_id": office.staples_id})
    assert again.status_code == 409 and again.json()["code"] == "draft_exists"
    guess = api.post(
        "/categorization-drafts",
        json={
            "bank_transaction_id": office.mystery_id,
            "account_id": office.books.acct("6100"),
            "confidence": 0.4,
            "evidence": "Wires usually carry a fee",
        },
    ).json()
    assert (guess["hint_origin"], guess["confidence"]) == ("app", 0.4)

    with client(live_server.url) as c:
        sign_in(c, office.owner)
        queue = c.get("/review").text
        assert f'id="categorization-draft-{hint["id"]}"' in queue
        assert "Wires usually carry a fee" in queue and "40%" in queue
        assert (
            _decide(
                c, f"/review/categorization-drafts/{hint['id']}/approve", version="1"
            ).status_code
            == 303
        )
        assert (
            _decide(
                c, f"/review/categorization-drafts/{guess['id']}/reject", reason="It is a refund"
            ).status_code
            == 303
        )
    staples = api.get(f"/bank-transactions/{office.staples_id}").json()
    assert staples["status"] == "categorized"
    assert staples["category_account_id"] == office.books.acct("6500")
    assert staples["journal_entry_id"] is not None
    mystery = api.get(f"/bank-transactions/{office.mystery_id}").json()
    assert (mystery["status"], mystery["journal_entry_id"]) == ("uncategorized", None)
    rejected = api.get(f"/categorization-drafts/{guess['id']}").json()
    assert (rejected["status"], rejected["rejected_reason"]) == ("rejected", "It is a refund")
    waiting = api.get("/categorization-drafts", params={"status": "draft"}).json()["data"]
    assert waiting == []
    with sessions() as s:
        assert net(s, office.books.acct("6500")) == (21 + 22 + 23 + 24) * 100 + 37_25
        assert net(s, office.books.acct("6100")) == 0


def test_an_app_without_the_draft_scope_is_refused_with_the_scope_named(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    office = make_office(sessions)
    reader, _ = api_for(live_server.url, sessions, office.books, "payments:read", "bank:read")
    payment = reader.post(
        "/payment-drafts",
        json={
            "invoice_id": office.invoice_id,
            "amount": "1.00",
            "date": "2026-05-04",
            "bank_account_id": office.books.checking.id,
        },
    )
    category = reader.post(
        "/categorization-drafts",
        json={"bank_transaction_id": office.staples_id, "account_id": office.books.acct("6500")},
    )
    for refused, scope in ((payment, "payments:draft"), (category, "bank:draft")):
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "permission_denied"
        assert refused.json()["required"] == [scope]
    assert reader.get("/payment-drafts").json()["data"] == []


def test_a_waiting_draft_is_withdrawn_with_if_match_and_the_feed_tells_of_it(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    office = make_office(sessions)
    api, _ = api_for(live_server.url, sessions, office.books)
    created = api.post(
        "/categorization-drafts",
        json={"bank_transaction_id": office.mystery_id, "account_id": office.books.acct("6100")},
    )
    path = f"/categorization-drafts/{created.json()['id']}"
    assert api.delete(path).status_code == 428
    assert api.delete(path, headers={"If-Match": 'W/"9"'}).status_code == 412
    assert api.delete(path, headers={"If-Match": created.headers["etag"]}).status_code == 204
    assert api.get(path).status_code == 404
    changes = api.get("/changes", params={"types": "categorization_draft"}).json()["data"]
    assert [(c["event"], c["deleted"]) for c in changes] == [
        ("categorization_draft.created", False),
        ("categorization_draft.deleted", True),
    ]
    # The feed's documented types are exactly the catalogue's.
    assert set(get_args(ResourceType)) == set(READ_PERMISSION)
