"""Webhooks delivered by real workers to a real HTTPS receiver: signed in the Standard Webhooks
format, retried until the receiver takes them, never lost when a worker is killed, and sent
once when two workers share the outbox on PostgreSQL."""

from __future__ import annotations

import json
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from newledger.events.endpoints import delivery_log
from newledger.events.models import WebhookDelivery
from newledger.ledger import contacts, invoices
from tests.conftest import LiveServer
from tests.support.appconnect import make_app
from tests.support.books import Books, make_books
from tests.support.webhooks import Receiver, WorkerProcess, add_endpoint

ALL_READ = ("invoices:read", "contacts:read", "expenses:read", "payments:read")


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    r = Receiver(tmp_path)
    yield r
    r.close()


def _draft(sessions: sessionmaker[Session], books: Books, n: int = 1) -> list[int]:
    with sessions.begin() as session:
        return [
            invoices.create_draft_invoice(
                session, books.actor, contact_id=books.customer_id, issue_date="2025-02-01",
                lines=[{"description": f"Job {i}", "unit_price": "10.00"}],
            ).id
            for i in range(n)
        ]  # fmt: skip


def _statuses(sessions: sessionmaker[Session]) -> Counter[str]:
    with sessions() as session:
        return Counter(session.scalars(select(WebhookDelivery.status)))


def test_the_worker_in_serve_sends_signed_events_a_receiver_verifies(
    sessions: sessionmaker[Session], database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    books = make_books(sessions)
    cred = make_app(sessions, books.tenant, *ALL_READ)
    secret = add_endpoint(sessions, books, cred.client_id, receiver.url)
    assert secret.startswith("whsec_")
    server = LiveServer(database_url, tmp_path, receiver.env(NEWLEDGER_WEBHOOK_WORKER="true"))
    try:
        [invoice_id] = _draft(sessions, books)
        with sessions.begin() as session:
            contact = contacts.create_contact(session, books.actor, name="Globex")
            invoices.approve_invoice(session, books.actor, invoice_id)
        got = receiver.wait_for(3)
    finally:
        server.stop()
    verifier = Webhook(secret)
    bodies = [verifier.verify(r.body, r.headers) for r in got]  # raises on a bad signature
    assert sorted((b["type"], b["data"]["id"]) for b in bodies) == sorted(
        [("invoice.drafted", invoice_id), ("invoice.approved", invoice_id),
         ("contact.created", contact.id)]
    )  # fmt: skip
    assert {b["data"]["company_id"] for b in bodies} == {books.company_id}
    assert all(r.headers["webhook-signature"].startswith("v1,") for r in got)
    assert len({r.headers["webhook-id"] for r in got}) == 3
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(got[0].body, got[0].headers)
    with sessions() as session:
        log = delivery_log(session, books.actor, cred.client_id)
    assert [entry.delivery.status for entry in log] == ["delivered"] * 3
    assert all([a.status_code for a in entry.attempts] == [200] for entry in log)


def test_a_receiver_that_fails_twice_still_gets_the_event(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    receiver = Receiver(tmp_path, answer=lambda n: 503 if n <= 2 else 204)
    books = make_books(sessions)
    cred = make_app(sessions, books.tenant, *ALL_READ)
    secret = add_endpoint(sessions, books, cred.client_id, receiver.url)
    worker = WorkerProcess(database_url, receiver.env())
    try:
        [invoice_id] = _draft(sessions, books)
        got = receiver.wait_for(3)
        _wait_delivered(sessions, 1)
    finally:
        worker.stop()
        receiver.close()
    assert len({r.headers["webhook-id"] for r in got}) == 1  # one message, three attempts
    assert len({r.body for r in got}) == 1
    body = Webhook(secret).verify(got[-1].body, got[-1].headers)
    assert (body["type"], body["data"]["id"]) == ("invoice.drafted", invoice_id)
    with sessions() as session:
        [entry] = delivery_log(session, books.actor, cred.client_id)
    assert [a.status_code for a in entry.attempts] == [503, 503, 204]
    assert entry.delivery.status == "delivered"


def _wait_delivered(sessions: sessionmaker[Session], count: int, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _statuses(sessions)["delivered"] >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"not delivered: {_statuses(sessions)}")


def test_a_worker_killed_mid_delivery_loses_nothing(
    sessions: sessionmaker[Session], database_url: str, receiver: Receiver
) -> None:
    books = make_books(sessions)
    cred = make_app(sessions, books.tenant, *ALL_READ)
    secret = add_endpoint(sessions, books, cred.client_id, receiver.url)
    env = receiver.env(NEWLEDGER_WEBHOOK_LEASE_SECONDS="2")
    receiver.release.clear()  # the first request hangs: the worker is mid-delivery
    first = WorkerProcess(database_url, env)
    try:
        [invoice_id] = _draft(sessions, books)
        assert receiver.arrived.wait(60)
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
    finally:
        first.stop()
    receiver.release.set()
    assert _statuses(sessions) == Counter({"pending": 1})  # never marked done without a 2xx
    second = WorkerProcess(database_url, env)
    try:
        got = receiver.wait_for(2)
        _wait_delivered(sessions, 1)
    finally:
        second.stop()
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    body = Webhook(secret).verify(got[1].body, got[1].headers)
    assert (body["type"], body["data"]["id"]) == ("invoice.drafted", invoice_id)


@pytest.mark.postgres_only
def test_two_workers_on_postgresql_deliver_each_event_once(
    sessions: sessionmaker[Session], database_url: str, receiver: Receiver
) -> None:
    books = make_books(sessions)
    cred = make_app(sessions, books.tenant, *ALL_READ)
    add_endpoint(sessions, books, cred.client_id, receiver.url)
    env = receiver.env()
    workers = [WorkerProcess(database_url, env) for _ in range(2)]
    try:
        for _ in range(4):
            _draft(sessions, books, 25)
        got = receiver.wait_for(100)
        _wait_delivered(sessions, 100)
    finally:
        for worker in workers:
            worker.stop()
    ids = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert len(ids) == 100
    assert set(ids.values()) == {1}
    assert len(got) == 100
    assert all(json.loads(r.body)["type"] == "invoice.drafted" for r in got)
    with sessions() as session:
        workers_used = set(session.scalars(select(WebhookDelivery.claimed_by)))
    assert workers_used == {None}  # every lease released
