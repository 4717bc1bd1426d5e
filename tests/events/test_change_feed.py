"""The change feed: a sync client that replays it keeps a copy equal to the books, deletions and
voids included; a token sees only its own company and the types it may read."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from newledger.events.feed import read_changes
from newledger.ledger import contacts, expenses, invoices, payments
from tests.conftest import LiveServer
from tests.support.api import Api, api_for, invoice_body
from tests.support.appconnect import server_key
from tests.support.books import Books, make_books

__all__ = ["server_key"]

PATHS = {"invoice": "/invoices", "expense": "/expenses", "contact": "/contacts",
         "payment": "/payments"}  # fmt: skip
Key = tuple[str, int]


class SyncClient:
    """What an integration keeps: a copy of every record, kept up to date from the feed alone."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.cursor = ""
        self.copy: dict[Key, dict[str, Any]] = {}

    def sync(self) -> int:
        """Read the feed to its end, a few changes at a time; return how many changes came."""
        seen = 0
        while True:
            page = self.api.get("/changes", params={"since": self.cursor, "limit": 3})
            assert page.status_code == 200, page.text
            body = page.json()
            for change in body["data"]:
                key = (change["type"], change["id"])
                if change["deleted"]:
                    self.copy.pop(key, None)
                else:
                    record = self.api.get(f"{PATHS[change['type']]}/{change['id']}")
                    if record.status_code == 404:  # deleted since: its tombstone follows
                        self.copy.pop(key, None)
                        continue
                    assert record.status_code == 200, record.text
                    self.copy[key] = record.json()
            seen += len(body["data"])
            self.cursor = body["next_cursor"]
            if not body["has_more"]:
                return seen


def source(api: Api) -> dict[Key, dict[str, Any]]:
    """The books as the API shows them now: every record, read one by one."""
    out: dict[Key, dict[str, Any]] = {}
    for kind, path in PATHS.items():
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = api.get(path, params=params).json()
            for row in page["data"]:
                out[(kind, row["id"])] = api.get(f"{path}/{row['id']}").json()
            cursor = page["next_cursor"]
            if cursor is None:
                break
    return out


def _office(api: Api) -> int:
    accounts = api.get("/accounts", params={"type": "expense", "limit": 200}).json()["data"]
    return int(next(a["id"] for a in accounts if a["code"] == "6500"))


def _drafts(api: Api, books: Books) -> dict[str, int]:
    """Drafts and a contact made by an app, one draft edited and one deleted."""
    made = {}
    for name in ("keep", "approve", "reject", "delete", "void"):
        response = api.post("/invoices", json=invoice_body(books.customer_id, memo=name))
        assert response.status_code == 201, response.text
        made[name] = response.json()["id"]
    office = _office(api)
    for name, body in {
        "expense": {"date": "2025-03-02", "lines": [{"amount": "42.50", "account_id": office}]},
        "bill": {"kind": "bill", "contact_id": books.vendor.id, "date": "2025-03-03",
                 "lines": [{"amount": "300.00", "account_id": office}]},
    }.items():  # fmt: skip
        response = api.post("/expenses", json=body)
        assert response.status_code == 201, response.text
        made[name] = response.json()["id"]
    contact = api.post("/contacts", json={"name": "Globex", "kind": "customer"})
    assert contact.status_code == 201, contact.text
    made["contact"] = contact.json()["id"]
    path = f"/invoices/{made['keep']}"
    edited = api.patch(path, json={"memo": "edited"}, headers={"If-Match": 'W/"1"'})
    assert edited.status_code == 200, edited.text
    gone = api.delete(f"/invoices/{made['delete']}", headers={"If-Match": 'W/"1"'})
    assert gone.status_code == 204, gone.text
    return made


def _review(sessions: sessionmaker[Session], books: Books, made: dict[str, int]) -> None:
    """A person approves, rejects, takes payments, voids and edits, in the app."""
    with sessions.begin() as session:
        actor = books.actor
        invoices.approve_invoice(session, actor, made["approve"])
        invoices.reject_invoice(session, actor, made["reject"], reason="Wrong customer")
        invoices.approve_invoice(session, actor, made["void"])
        invoices.void_invoice(session, actor, made["void"], reason="Sent twice")
        expenses.approve_expense(session, actor, made["expense"])
        expenses.approve_expense(session, actor, made["bill"])
        for amount in ("200.00", "300.00"):
            payments.record_payment(
                session, actor, invoice_id=made["approve"], amount=amount, date="2025-03-10",
                bank_account_id=books.checking.id,
            )  # fmt: skip
        contacts.update_contact(session, actor, made["contact"], {"email": "ap@globex.test"})
    with sessions.begin() as session:
        expense = expenses.create_draft_expense(
            session, books.actor, date="2025-03-04",
            lines=[{"amount": "9.00", "account_id": books.acct("6500")}],
        )  # fmt: skip
        session.flush()
        expenses.delete_draft_expense(session, books.actor, expense.id)


def test_replaying_the_feed_after_edits_voids_deletions_and_approvals_gives_the_books(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions)
    api, _ = api_for(live_server.url, sessions, books)
    client = SyncClient(api)
    client.sync()
    client.copy = source(api)  # the first full read, after taking the cursor
    made = _drafts(api, books)
    assert client.sync() == 10
    assert client.copy == source(api)
    assert ("invoice", made["delete"]) not in client.copy
    _review(sessions, books, made)
    assert client.sync() > 10
    synced = client.copy
    assert synced == source(api)
    assert synced[("invoice", made["void"])]["status"] == "voided"
    assert synced[("invoice", made["approve"])]["status"] == "paid"
    assert synced[("invoice", made["reject"])]["status"] == "rejected"
    assert synced[("contact", made["contact"])]["email"] == "ap@globex.test"
    assert client.sync() == 0  # nothing new: the cursor holds


def test_a_token_reads_only_the_types_it_may_read_in_its_own_company(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions)
    other = make_books(sessions)
    with sessions.begin() as session:
        invoices.create_draft_invoice(
            session, other.actor, contact_id=other.customer_id, issue_date="2025-01-01",
            lines=[{"description": "Theirs", "unit_price": "1.00"}],
        )  # fmt: skip
        invoices.create_draft_invoice(
            session, books.actor, contact_id=books.customer_id, issue_date="2025-01-01",
            lines=[{"description": "Ours", "unit_price": "1.00"}],
        )  # fmt: skip
        contacts.create_contact(session, books.actor, name="Initech")
    reader, _ = api_for(live_server.url, sessions, books, "invoices:read")
    body = reader.get("/changes").json()
    assert [(c["type"], c["event"]) for c in body["data"]] == [("invoice", "invoice.drafted")]
    assert body == reader.get("/changes", params={"types": "invoice"}).json()
    refused = reader.get("/changes", params={"types": "invoice,contact"})
    assert refused.status_code == 403
    assert set(refused.json()["required"]) == {"invoices:read", "contacts:read"}
    drafter, _ = api_for(live_server.url, sessions, books, "invoices:draft")
    assert drafter.get("/changes").status_code == 403
    bad = reader.get("/changes", params={"since": "x1"})
    assert bad.status_code in (400, 422)
    assert reader.get("/changes", params={"types": "ledger"}).status_code == 422


def test_a_reader_polling_while_writers_commit_at_once_misses_no_change(
    sessions: sessionmaker[Session],
) -> None:
    """The cursor is a per-company number taken under a row lock held to commit, so a change
    that committed late cannot carry a number a reader has already passed."""
    books = make_books(sessions)
    made: list[int] = []

    def write(prefix: str) -> None:
        for i in range(15):
            with sessions.begin() as session:
                contact = contacts.create_contact(session, books.actor, name=f"{prefix} {i}")
                made.append(contact.id)

    seen: list[tuple[str, int]] = []
    cursor = ""

    def read() -> None:
        nonlocal cursor
        with sessions() as session:
            page = read_changes(session, books.actor, since=cursor, types=["contact"])
        seen.extend((c.event_type, c.resource_id) for c in page.changes)
        cursor = page.next_cursor

    writers = [threading.Thread(target=write, args=(p,)) for p in ("North", "South")]
    for thread in writers:
        thread.start()
    while any(thread.is_alive() for thread in writers):
        read()
    read()
    assert sorted(id_ for _, id_ in seen) == sorted(made)
    assert len(made) == 30
