"""Contacts by another system's id over REST API v1: ``PUT /contacts/by-external-id/{id}``
creates then updates one contact (If-Match and Idempotency-Key honoured), a taken external id is
a 409, addresses are validated, ``?external_id=`` finds the contact, and the change feed says
what changed."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.ledger.models import Contact
from tests.conftest import LiveServer
from tests.support.api import Api, api_for
from tests.support.appconnect import server_key
from tests.support.books import Books, make_books

__all__ = ["server_key"]

PROBLEM = "application/problem+json"
ACME = {"line1": "1 Main St", "city": "Springfield", "region": "IL", "postal_code": "62701",
        "country": "US"}  # fmt: skip


@pytest.fixture
def books(sessions: sessionmaker[Session], server_key: None) -> Books:
    return make_books(sessions)


@pytest.fixture
def api(live_server: LiveServer, sessions: sessionmaker[Session], books: Books) -> Api:
    client, _ = api_for(live_server.url, sessions, books, name="CRM Sync")
    return client


def _contacts(sessions: sessionmaker[Session], external_id: str) -> list[Contact]:
    with sessions() as session:
        query = select(Contact).where(Contact.external_id == external_id)
        return list(session.scalars(query))


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def test_the_first_put_creates_the_contact_and_the_next_ones_update_it(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    path = "/contacts/by-external-id/crm-0042"
    made = api.put(path, json={"name": "Initech", "email": "ap@initech.test",
                               "billing_address": ACME})  # fmt: skip
    assert made.status_code == 201, made.text
    body = made.json()
    assert made.headers["location"] == f"/api/v1/contacts/{body['id']}"
    assert made.headers["etag"] == 'W/"1"'
    assert body["external_id"] == "crm-0042" and body["kind"] == "customer"
    assert body["billing_address"] == {**ACME, "line2": ""} and body["shipping_address"] is None

    again = api.put(path, json={"name": "Initech", "email": "ap@initech.test",
                                "billing_address": ACME})  # fmt: skip
    assert again.status_code == 200 and again.json()["version"] == 1  # nothing changed

    moved = api.put(path, json={"shipping_address": {"line1": "Dock 4", "country": "de"}})
    _problem(moved, 422, "validation_failed")  # codes are upper case
    moved = api.put(path, json={"shipping_address": {"line1": "Dock 4", "country": "DE"}})
    assert moved.status_code == 200, moved.text
    assert moved.headers["etag"] == 'W/"2"'
    updated = moved.json()
    assert updated["id"] == body["id"]
    assert updated["shipping_address"]["country"] == "DE"
    assert updated["email"] == "ap@initech.test"  # fields not sent keep their values
    assert updated["billing_address"] == body["billing_address"]
    cleared = api.put(path, json={"billing_address": None})
    assert cleared.status_code == 200 and cleared.json()["billing_address"] is None
    assert [c.id for c in _contacts(sessions, "crm-0042")] == [body["id"]]
    with sessions() as session:
        events = list(
            session.scalars(
                select(Activity.event)
                .where(Activity.subject_type == "contact", Activity.subject_id == body["id"])
                .order_by(Activity.id)
            )
        )
    assert events == ["ledger:contact:created", "ledger:contact:updated", "ledger:contact:updated"]


def test_a_new_contact_needs_a_name_and_if_match_guards_an_existing_one(api: Api) -> None:
    path = "/contacts/by-external-id/hub-7"
    nameless = _problem(api.put(path, json={"email": "x@y.test"}), 422, "validation_failed")
    assert nameless["errors"] == {"name": "required"}
    _problem(api.put(path, json={"name": "Hooli"}, headers={"If-Match": "*"}), 412,
             "precondition_failed")  # fmt: skip
    made = api.put(path, json={"name": "Hooli"})
    assert made.status_code == 201
    stale = api.put(path, json={"name": "Hooli Inc"}, headers={"If-Match": 'W/"7"'})
    _problem(stale, 412, "precondition_failed")
    assert stale.headers["etag"] == 'W/"1"'
    fresh = api.put(path, json={"name": "Hooli Inc"}, headers={"If-Match": made.headers["etag"]})
    assert fresh.status_code == 200 and fresh.json()["name"] == "Hooli Inc"
    one = api.get(f"/contacts/{made.json()['id']}")
    assert one.headers["etag"] == 'W/"2"'
    patched = api.patch(f"/contacts/{made.json()['id']}", json={"phone": "555"},
                        headers={"If-Match": 'W/"1"'})  # fmt: skip
    _problem(patched, 412, "precondition_failed")
    assert api.patch(f"/contacts/{made.json()['id']}", json={"phone": "555"}).status_code == 200


def test_an_idempotency_key_replays_the_first_answer(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    path = "/contacts/by-external-id/sf-001"
    headers = {"Idempotency-Key": "sync-run-1/sf-001"}
    first = api.put(path, json={"name": "Umbrella"}, headers=headers)
    second = api.put(path, json={"name": "Umbrella"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    reused = api.put(path, json={"name": "Umbrella Corp"}, headers=headers)
    _problem(reused, 422, "idempotency_key_reused")
    assert len(_contacts(sessions, "sf-001")) == 1


def test_an_external_id_belongs_to_one_contact(api: Api, books: Books) -> None:
    made = api.post("/contacts", json={"name": "Globex", "external_id": "crm-9"})
    assert made.status_code == 201, made.text
    assert made.json()["external_id"] == "crm-9" and made.headers["etag"] == 'W/"1"'
    twin = _problem(api.post("/contacts", json={"name": "Globex 2", "external_id": "crm-9"}),
                    409, "external_id_taken")  # fmt: skip
    assert twin["errors"] == {"external_id": f"taken by contact {made.json()['id']}"}
    taken = api.patch(f"/contacts/{books.customer_id}", json={"external_id": "crm-9"})
    _problem(taken, 409, "external_id_taken")
    assert api.get(f"/contacts/{books.customer_id}").json()["external_id"] is None
    freed = api.patch(f"/contacts/{made.json()['id']}", json={"external_id": None})
    assert freed.status_code == 200 and freed.json()["external_id"] is None
    moved = api.patch(f"/contacts/{books.customer_id}", json={"external_id": "crm-9"})
    assert moved.status_code == 200 and moved.json()["external_id"] == "crm-9"
    for bad in ("..", "has space", "a/b", "x" * 101):
        response = api.post("/contacts", json={"name": "Bad", "external_id": bad})
        _problem(response, 422, "validation_failed")


def test_addresses_are_checked_field_by_field(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"line1": "1 Main St", "country": "XX"}, "billing_address.country"),
        ({"line1": "1 Main St"}, "billing_address.country"),
        ({"line1": "1 Main St", "country": "US", "planet": "Earth"}, "billing_address.planet"),
        ({"postal_code": "1" * 21, "country": "US"}, "billing_address.postal_code"),
    ]
    for address, field in cases:
        body = _problem(api.post("/contacts", json={"name": "Acme", "billing_address": address}),
                        422, "validation_failed")  # fmt: skip
        assert field in body["errors"], body
    ok = api.post("/contacts", json={"name": "Acme", "shipping_address": {"country": "JP"}})
    assert ok.status_code == 201 and ok.json()["shipping_address"]["country"] == "JP"


def test_the_external_id_filter_finds_the_contact_archived_or_not(api: Api, books: Books) -> None:
    made = api.put("/contacts/by-external-id/crm-1", json={"name": "Archived Co"})
    api.put("/contacts/by-external-id/crm-2", json={"name": "Other Co"})
    archived = api.patch(f"/contacts/{made.json()['id']}", json={"is_archived": True})
    assert archived.status_code == 200
    found = api.get("/contacts", params={"external_id": "crm-1"}).json()["data"]
    assert [c["id"] for c in found] == [made.json()["id"]]
    assert api.get("/contacts", params={"external_id": "crm-404"}).json()["data"] == []
    names = {c["name"] for c in api.get("/contacts", params={"limit": 200}).json()["data"]}
    assert "Archived Co" not in names and "Other Co" in names
    _problem(api.get("/contacts", params={"external_id": "a b"}), 422, "validation_failed")


def test_the_change_feed_names_the_external_id_and_the_changed_fields(api: Api) -> None:
    start = api.get("/changes", params={"types": "contact"}).json()["next_cursor"]
    made = api.put("/contacts/by-external-id/crm-5", json={"name": "Stark"})
    api.put("/contacts/by-external-id/crm-5", json={"billing_address": ACME, "phone": "1"})
    changes = api.get("/changes", params={"since": start, "types": "contact"}).json()["data"]
    assert [(c["event"], c["id"], c.get("external_id")) for c in changes] == [
        ("contact.created", made.json()["id"], "crm-5"),
        ("contact.updated", made.json()["id"], "crm-5"),
    ]
    assert "changed" not in changes[0]
    assert changes[1]["changed"] == ["billing_address", "phone"]


def test_eight_simultaneous_upserts_of_a_new_external_id_make_one_contact(
    api: Api, sessions: sessionmaker[Session], books: Books
) -> None:
    for round_ in range(5):
        external_id = f"race-{round_}"
        start = threading.Barrier(8)

        def put(i: int, external_id: str = external_id, start: threading.Barrier = start) -> int:
            body = {"name": f"Racer {i}", "phone": str(i)}
            start.wait()
            return api.put(f"/contacts/by-external-id/{external_id}", json=body).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = Counter(pool.map(put, range(8)))
        assert statuses == Counter({201: 1, 200: 7}), statuses
        assert len(_contacts(sessions, external_id)) == 1
    with sessions() as session:
        count = session.scalar(
            select(func.count()).where(
                Contact.company_id == books.company_id, Contact.external_id.like("race-%")
            )
        )
    assert count == 5
