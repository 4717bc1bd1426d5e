"""Credit notes (``/credit-notes``) and vendor credits (``/vendor-credits``) over REST API v1:
drafts with proposed allocations, Idempotency-Key, ETag/If-Match, refusals naming the field,
each kind behind its own permissions, refunds on ``/payments``, the change feed and webhooks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import apps
from newledger.audit.models import Activity
from newledger.events.endpoints import create_endpoint, offered_event_types
from newledger.events.models import WebhookDelivery
from newledger.identity.permissions import Role
from newledger.ledger import expenses, invoices
from newledger.ledger.contacts import create_contact
from newledger.ledger.credit_allocations import refund_credit_note
from newledger.ledger.credit_notes import approve_credit_note
from newledger.ledger.models import CreditNote
from tests.conftest import LiveServer
from tests.support.api import api_for
from tests.support.appconnect import server_key
from tests.support.books import Books, make_books

__all__ = ["server_key"]

PROBLEM = "application/problem+json"


@dataclass
class Credits:
    books: Books
    invoice_id: int  # approved, 100.00 to the customer, issued 2025-01-01
    other_invoice_id: int  # approved, 100.00 to another customer
    bill_id: int  # approved, 80.00 from the vendor


@pytest.fixture
def credits(sessions: sessionmaker[Session], server_key: None) -> Credits:
    books = make_books(sessions, invoices=1)
    with sessions.begin() as session:
        owner = books.role(Role.OWNER)
        invoice = invoices.approve_invoice(session, owner, books.invoice_ids[0])
        globex = create_contact(session, owner, name="Globex", kind="customer")
        theirs = invoices.create_draft_invoice(
            session,
            owner,
            contact_id=globex.id,
            issue_date="2025-01-01",
            lines=[{"description": "Work", "unit_price": "100.00"}],
        )
        invoices.approve_invoice(session, owner, theirs.id)
        bill = expenses.create_draft_expense(
            session,
            owner,
            kind="bill",
            contact_id=books.vendor.id,
            date="2025-01-05",
            lines=[{"description": "Paper", "amount": "80.00", "account_id": books.acct("6100")}],
        )
        expenses.approve_expense(session, owner, bill.id)
        return Credits(books, invoice.id, theirs.id, bill.id)


def _note(invoice_id: int | None = None, amount: str = "30.00", **extra: Any) -> dict[str, Any]:
    """A credit-note body of 40.00 (a line of 2 x 20.00), allocating ``amount`` of it."""
    body: dict[str, Any] = {
        "date": "2025-01-10",
        "reference": "RMA-7",
        "lines": [{"description": "Returned", "quantity": "2", "unit_price": "20.00"}],
        **extra,
    }
    if invoice_id is not None:
        body["allocations"] = [{"invoice_id": invoice_id, "amount": amount}]
    return body


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code, problem
    return problem


def _count(sessions: sessionmaker[Session], company_id: int) -> int:
    with sessions() as session:
        return int(
            session.scalar(select(func.count()).where(CreditNote.company_id == company_id)) or 0
        )


def test_a_credit_note_draft_is_created_once_per_key_with_its_proposed_allocation(
    live_server: LiveServer, sessions: sessionmaker[Session], credits: Credits
) -> None:
    books = credits.books
    api, cred = api_for(
        live_server.url, sessions, books, "invoices:read", "invoices:draft", name="Returns Bot"
    )
    body = _note(credits.invoice_id, contact_id=books.customer_id)
    key = {"Idempotency-Key": "rma-7"}
    first = api.post("/credit-notes", json=body, headers=key)
    assert first.status_code == 201, first.text
    note = first.json()
    assert first.headers["location"] == f"/api/v1/credit-notes/{note['id']}"
    assert first.headers["etag"] == 'W/"1"'
    assert (note["kind"], note["number"], note["status"]) == ("sales", "CN-00001", "draft")
    assert (note["total"], note["remaining"], note["amount_allocated"]) == (
        "40.00",
        "40.00",
        "0.00",
    )
    assert (note["source"], note["source_label"]) == ("api", "Returns Bot")
    assert note["contact_name"] == "Acme Corp"
    assert note["lines"][0]["amount"] == "40.00" and note["lines"][0]["quantity"] == "2"
    [proposed] = note["allocations"]
    assert proposed["invoice_id"] == credits.invoice_id and proposed["expense_id"] is None
    assert (proposed["amount"], proposed["status"], proposed["date"]) == (
        "30.00",
        "proposed",
        "2025-01-10",
    )
    # A retry (the network dropped the answer) gets the same draft back, not a second one.
    again = api.post("/credit-notes", json=body, headers=key)
    assert again.status_code == 201 and again.json() == note
    assert again.headers["idempotent-replayed"] == "true"
    assert _count(sessions, books.company_id) == 1
    reused = api.post("/credit-notes", json=_note(contact_id=books.customer_id), headers=key)
    _problem(reused, 422, "idempotency_key_reused")
    # Proposed, not applied: the invoice owes as much as before.
    invoice = api.get(f"/invoices/{credits.invoice_id}").json()
    assert (invoice["amount_credited"], invoice["amount_due"]) == ("0.00", "100.00")

    read = api.get(f"/credit-notes/{note['id']}")
    assert read.status_code == 200 and read.headers["etag"] == 'W/"1"'
    assert read.json() == note
    with sessions() as session:
        logged = session.scalars(
            select(Activity).where(
                Activity.event == "ledger:credit_note:drafted", Activity.subject_id == note["id"]
            )
        ).all()
        assert [(a.actor_type, a.actor_app_id) for a in logged] == [("app", cred.app_id)]


def test_the_list_filters_by_status_contact_and_date_and_pages_with_a_cursor(
    live_server: LiveServer, sessions: sessionmaker[Session], credits: Credits
) -> None:
    books = credits.books
    api, _ = api_for(live_server.url, sessions, books, "invoices:read", "invoices:draft")
    ids = [
        api.post("/credit-notes", json=_note(contact_id=books.customer_id, date=day)).json()["id"]
        for day in ("2025-01-10", "2025-01-11", "2025-01-12")
    ]
    with sessions.begin() as session:
        approve_credit_note(session, books.role(Role.OWNER), "sales", ids[0])
    first = api.get("/credit-notes", params={"limit": 2}).json()
    rest = api.get("/credit-notes", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert rest["next_cursor"] is None
    assert sorted(n["id"] for n in first["data"] + rest["data"]) == ids
    summary = rest["data"][0]
    assert "lines" not in summary and summary["contact_name"] == "Acme Corp"

    def listed(**params: str | int) -> list[int]:
        response = api.get("/credit-notes", params=params)
        assert response.status_code == 200, response.text
        return sorted(n["id"] for n in response.json()["data"])

    assert listed(status="approved") == [ids[0]]
    assert listed(status="draft") == ids[1:]
    assert listed(date_from="2025-01-11", date_to="2025-01-11") == [ids[1]]
    assert listed(contact_id=books.customer_id) == ids
    assert listed(contact_id=books.vendor.id) == []
    _problem(api.get("/credit-notes", params={"status": "paid"}), 422, "validation_failed")


def test_drafts_are_edited_and_deleted_under_if_match(
    live_server: LiveServer, sessions: sessionmaker[Session], credits: Credits
) -> None:
    books = credits.books
    api, _ = api_for(live_server.url, sessions, books, "invoices:read", "invoices:draft")
    made = api.post("/credit-notes", json=_note(credits.invoice_id, contact_id=books.customer_id))
    note_id = made.json()["id"]
    url = f"/credit-notes/{note_id}"
    _problem(api.patch(url, json={"memo": "x"}), 428, "precondition_required")
    stale = api.patch(url, json={"memo": "x"}, headers={"If-Match": 'W/"7"'})
    _problem(stale, 412, "precondition_failed")
    assert stale.headers["etag"] == 'W/"1"'
    edited = api.patch(
        url,
        json={
            "memo": "Goodwill",
            "lines": [{"description": "Returned", "unit_price": "25.00"}],
            "allocations": [{"invoice_id": credits.invoice_id, "amount": "25.00"}],
        },
        headers={"If-Match": made.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == 'W/"2"'
    changed = edited.json()
    assert (changed["memo"], changed["total"], changed["version"]) == ("Goodwill", "25.00", 2)
    assert [a["amount"] for a in changed["allocations"]] == ["25.00"]
    cleared = api.patch(url, json={"allocations": []}, headers={"If-Match": 'W/"2"'})
    assert cleared.status_code == 200 and cleared.json()["allocations"] == []
    _problem(api.delete(url, headers={"If-Match": 'W/"2"'}), 412, "precondition_failed")
    assert api.delete(url, headers={"If-Match": 'W/"3"'}).status_code == 204
    _problem(api.get(url), 404, "unknown_credit_note")
    # Once a person approved one, it is no draft any more.
    approved = api.post("/credit-notes", json=_note(contact_id=books.customer_id)).json()
    with sessions.begin() as session:
        approve_credit_note(session, books.role(Role.OWNER), "sales", approved["id"])
    late = api.patch(
        f"/credit-notes/{approved['id']}", json={"memo": "late"}, headers={"If-Match": 'W/"2"'}
    )
    _problem(late, 409, "not_a_draft")


def test_refusals_name_the_field_and_store_nothing(
    live_server: LiveServer, sessions: sessionmaker[Session], credits: Credits
) -> None:
    books = credits.books
    api, _ = api_for(live_server.url, sessions, books, "invoices:read", "invoices:draft")
    customer = books.customer_id
    # More than is due on the invoice (100.00), then more than the credit note's 40.00.
    over_due = api.post(
        "/credit-notes",
        json=_note(contact_id=customer, lines=[{"unit_price": "150.00"}])
        | {"allocations": [{"invoice_id": credits.invoice_id, "amount": "120.00"}]},
    )
    problem = _problem(over_due, 422, "over_allocation")
    assert problem["errors"] == {"allocations[0].amount": "at most 100.00"}
    over_total = api.post(
        "/credit-notes", json=_note(credits.invoice_id, "45.00", contact_id=customer)
    )
    assert _problem(over_total, 422, "over_allocation")["errors"] == {
        "allocations": "more than the total"
    }
    # Another customer's invoice.
    wrong = api.post(
        "/credit-notes", json=_note(credits.other_invoice_id, "10.00", contact_id=customer)
    )
    assert "another contact's" in _problem(wrong, 422, "contact_mismatch")["errors"].values()
    # A vendor is no customer; a bill is no invoice; the schema's own checks name fields too.
    vendor = api.post("/credit-notes", json=_note(contact_id=books.vendor.id))
    assert _problem(vendor, 422, "validation_failed")["errors"] == {"contact_id": "not a customer"}
    bill = api.post(
        "/credit-notes",
        json=_note(contact_id=customer)
        | {"allocations": [{"expense_id": credits.bill_id, "amount": "1.00"}]},
    )
    problem = _problem(bill, 422, "validation_failed")
    assert {"allocations.0.invoice_id", "allocations.0.expense_id"} <= set(problem["errors"])
    no_lines = _problem(
        api.post("/credit-notes", json=_note(contact_id=customer, lines=[])),
        422,
        "validation_failed",
    )
    assert "lines" in no_lines["errors"]
    assert _count(sessions, books.company_id) == 0


def test_each_kind_needs_its_own_permissions_and_knows_only_its_own_ids(
    live_server: LiveServer, sessions: sessionmaker[Session], credits: Credits
) -> None:
    books = credits.books
    sales, _ = api_for(live_server.url, sessions, books, "invoices:draft", name="Sales only")
    assert sales.post("/credit-notes", json=_note(contact_id=books.customer_id)).is_success
    vendor_body = {
        "contact_id": books.vendor.id,
        "date": "2025-01-10",
        "lines": [{"unit_price": "10.00", "account_id": books.acct("6100")}],
    }
    for response, needed in (
        (sales.post("/vendor-credits", json=vendor_body), "expenses:draft"),
        (sales.get("/vendor-credits"), "expenses:read"),
        (sales.get("/credit-notes"), "invoices:read"),
        (sales.delete("/vendor-credits/1", headers={"If-Match": 'W/"1"'}), "expenses:draft"),
    ):
        assert _problem(response, 403, "permission_denied")["required"] == [needed]

    both, _ = api_for(
        live_server.url,
        sessions,
        books,
        "invoices:read",
        "invoices:draft",
        "expenses:read",
        "expenses:draft",
    )
    made = both.post("/vendor-credits", json=vendor_body)
    assert made.status_code == 201, made.text
    vc = made.json()
    assert (vc["kind"], vc["number"]) == ("purchase", "VC-00001")
    assert made.headers["location"] == f"/api/v1/vendor-credits/{vc['id']}"
    note_id = both.get("/credit-notes").json()["data"][0]["id"]
    # One kind's id is unknown to the other resource, whatever the verb.
    _problem(both.get(f"/vendor-credits/{note_id}"), 404, "unknown_vendor_credit")
    _problem(both.get(f"/credit-notes/{vc['id']}"), 404, "unknown_credit_note")
    etag = {"If-Match": 'W/"1"'}
    _problem(
        both.patch(f"/credit-notes/{vc['id']}", json={"memo": "x"}, headers=etag),
        404,
        "unknown_credit_note",
    )
    _problem(both.delete(f"/vendor-credits/{note_id}", headers=etag), 404, "unknown_vendor_credit")
    assert [n["id"] for n in both.get("/vendor-credits").json()["data"]] == [vc["id"]]
    assert [n["id"] for n in both.get("/credit-notes").json()["data"]] == [note_id]


def test_a_vendor_credit_applied_by_a_person_shows_on_the_bill_and_its_refund_on_payments(
    live_server: LiveServer, sessions: sessionmaker[Session], credits: Credits
) -> None:
    books = credits.books
    api, _ = api_for(
        live_server.url,
        sessions,
        books,
        "expenses:read",
        "expenses:draft",
        "payments:read",
        "invoices:read",
    )
    made = api.post(
        "/vendor-credits",
        json={
            "contact_id": books.vendor.id,
            "date": "2025-01-06",
            "lines": [
                {"description": "Damaged", "unit_price": "50.00", "account_id": books.acct("6100")}
            ],
            "allocations": [{"expense_id": credits.bill_id, "amount": "30.00"}],
        },
    )
    assert made.status_code == 201, made.text
    vc_id = made.json()["id"]
    owner = books.role(Role.OWNER)
    with sessions.begin() as session:
        approve_credit_note(session, owner, "purchase", vc_id)
        refund = refund_credit_note(
            session,
            owner,
            "purchase",
            vc_id,
            amount="20.00",
            date="2025-01-08",
            bank_account_id=books.checking.id,
        ).id
    vc = api.get(f"/vendor-credits/{vc_id}").json()
    assert (vc["status"], vc["amount_allocated"], vc["amount_refunded"], vc["remaining"]) == (
        "applied",
        "30.00",
        "20.00",
        "0.00",
    )
    assert [a["status"] for a in vc["allocations"]] == ["applied"]
    assert vc["journal_entry_id"] is not None
    bill = api.get(f"/expenses/{credits.bill_id}").json()
    assert (bill["amount_credited"], bill["amount_due"], bill["status"]) == (
        "30.00",
        "50.00",
        "partially_paid",
    )
    refunds = api.get("/payments", params={"credit_note_id": vc_id}).json()["data"]
    assert [(p["id"], p["direction"], p["amount"]) for p in refunds] == [
        (refund, "received", "20.00")
    ]
    assert refunds[0]["credit_note_id"] == vc_id and refunds[0]["expense_id"] is None
    one = api.get(f"/payments/{refund}").json()
    assert one["credit_note_id"] == vc_id
    assert api.get("/payments", params={"credit_note_id": 999_999}).json()["data"] == []
    assert api.get(f"/credit-notes/{vc_id}").status_code == 404


def test_the_change_feed_carries_credit_notes_and_vendor_credits_to_their_readers(
    live_server: LiveServer, sessions: sessionmaker[Session], credits: Credits
) -> None:
    books = credits.books
    api, _ = api_for(live_server.url, sessions, books)
    note = api.post("/credit-notes", json=_note(contact_id=books.customer_id)).json()
    api.delete(f"/credit-notes/{note['id']}", headers={"If-Match": 'W/"1"'})
    vc = api.post(
        "/vendor-credits",
        json={
            "contact_id": books.vendor.id,
            "date": "2025-01-10",
            "lines": [{"unit_price": "10.00", "account_id": books.acct("6100")}],
        },
    ).json()
    feed = api.get("/changes", params={"types": "credit_note,vendor_credit"})
    assert feed.status_code == 200, feed.text
    assert [(c["type"], c["id"], c["event"], c["deleted"]) for c in feed.json()["data"]] == [
        ("credit_note", note["id"], "credit_note.drafted", False),
        ("credit_note", note["id"], "credit_note.deleted", True),
        ("vendor_credit", vc["id"], "vendor_credit.drafted", False),
    ]
    reader, _ = api_for(live_server.url, sessions, books, "invoices:read", name="AR reader")
    seen = {c["type"] for c in reader.get("/changes").json()["data"]}
    assert "credit_note" in seen and "vendor_credit" not in seen
    _problem(reader.get("/changes", params={"types": "vendor_credit"}), 403, "permission_denied")


def test_the_document_and_the_docs_say_who_may_do_what(live_server: LiveServer) -> None:
    spec = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path, read, draft, create, get in (
        (
            "/credit-notes",
            "invoices:read",
            "invoices:draft",
            "createCreditNoteDraft",
            "getCreditNote",
        ),
        (
            "/vendor-credits",
            "expenses:read",
            "expenses:draft",
            "createVendorCreditDraft",
            "getVendorCredit",
        ),
    ):
        one = next(p for p in paths if p.startswith(f"{path}/"))
        assert paths[path]["get"]["x-permission"] == read
        assert paths[one]["get"]["x-permission"] == read
        posted = paths[path]["post"]
        assert (posted["operationId"], posted["x-permission"]) == (create, draft)
        # Approval, later allocations and refunds stay with people.
        assert "`ledger:post`, never delegated" in posted["description"]
        assert posted["responses"]["201"]["links"][get]["operationId"] == get
        for method in ("patch", "delete"):
            assert paths[one][method]["x-permission"] == draft
            if_match = next(p for p in paths[one][method]["parameters"] if p["name"] == "If-Match")
            assert if_match["required"] is True
            assert {"412", "428"} <= set(paths[one][method]["responses"])
    payment = spec["components"]["schemas"]["PaymentOut"]["properties"]
    assert "credit_note_id" in payment
    assert "credit_note_id" in {p["name"] for p in paths["/payments"]["get"]["parameters"]}
    page = httpx.get(f"{live_server.url}/api/docs").text
    assert 'id="createCreditNoteDraft"' in page and 'id="createVendorCreditDraft"' in page
    assert "RMA-118" in page  # the example body


def test_webhooks_carry_credit_note_events_to_apps_that_may_read_them(
    live_server: LiveServer, sessions: sessionmaker[Session], credits: Credits
) -> None:
    books = credits.books
    api, cred = api_for(live_server.url, sessions, books, "invoices:read", "invoices:draft")
    with sessions.begin() as session:
        app = apps.get_app(session, books.actor, cred.client_id)
        offered = {t.value for t in offered_event_types(app)}
        assert {"credit_note.drafted", "invoice.credited"} <= offered
        assert not {t for t in offered if t.startswith("vendor_credit.")}
        create_endpoint(
            session,
            books.actor,
            cred.client_id,
            url="https://hooks.example.com/newledger",
            event_types=["credit_note.drafted", "credit_note.approved", "invoice.credited"],
        )
    made = api.post("/credit-notes", json=_note(credits.invoice_id, contact_id=books.customer_id))
    note_id = made.json()["id"]
    with sessions.begin() as session:
        approve_credit_note(session, books.role(Role.OWNER), "sales", note_id)
    with sessions() as session:
        queued = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        bodies = [orjson.loads(d.payload) for d in queued]
    assert [(b["type"], b["data"]["object"], b["data"]["id"]) for b in bodies] == [
        ("credit_note.drafted", "credit_note", note_id),
        ("invoice.credited", "invoice", credits.invoice_id),
        ("credit_note.approved", "credit_note", note_id),
    ]
