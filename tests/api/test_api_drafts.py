"""Draft writes through REST API v1: Idempotency-Key, ETag/If-Match, and the review queue."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.ledger.models import Expense, Invoice
from tests.conftest import LiveServer, free_port
from tests.support.api import Api, api_for, invoice_body
from tests.support.appconnect import SERVER_KEY, server_key, token_for
from tests.support.books import make_books

__all__ = ["server_key"]


def _count_invoices(sessions: sessionmaker[Session], company_id: int) -> int:
    with sessions() as session:
        return int(
            session.scalar(select(func.count()).where(Invoice.company_id == company_id)) or 0
        )


def test_a_draft_created_through_the_api_is_marked_with_its_app_and_logged(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    url = live_server.url
    books = make_books(sessions, invoices=0)
    api, cred = api_for(url, sessions, books, name="Receipt Bot")
    response = api.post("/invoices", json=invoice_body(books.customer_id, memo="From the CRM"))
    assert response.status_code == 201
    invoice = response.json()
    assert response.headers["location"] == f"/api/v1/invoices/{invoice['id']}"
    assert response.headers["etag"] == 'W/"1"'
    assert invoice["status"] == "draft"
    assert invoice["source"] == "api"
    assert invoice["source_label"] == "Receipt Bot"
    assert invoice["total"] == "500.00"
    assert invoice["lines"][0]["amount"] == "500.00"
    with sessions() as session:
        row = session.scalar(
            select(Activity).where(
                Activity.event == "ledger:invoice:drafted", Activity.subject_id == invoice["id"]
            )
        )
        assert row is not None
        assert row.actor_type == "app"
        assert row.actor_app_id == cred.app_id
        assert row.actor_label == "Receipt Bot"
    expense = api.post(
        "/expenses",
        json={"date": "2025-03-02", "lines": [{"amount": "42.50", "account_id": _office(api)}]},
    )
    assert expense.status_code == 201, expense.text
    assert expense.json()["source"] == "api"
    assert expense.json()["source_label"] == "Receipt Bot"


def _office(api: Api) -> int:
    accounts = api.get("/accounts", params={"type": "expense", "limit": 200}).json()["data"]
    return int(next(a["id"] for a in accounts if a["code"] == "6500"))


def test_a_replayed_idempotency_key_returns_the_first_result(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    url = live_server.url
    books = make_books(sessions, invoices=0)
    api, _ = api_for(url, sessions, books)
    body = invoice_body(books.customer_id)
    first = api.post("/invoices", json=body, headers={"Idempotency-Key": "order-1001"})
    again = api.post("/invoices", json=body, headers={"Idempotency-Key": "order-1001"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["location"] == first.headers["location"]
    assert _count_invoices(sessions, books.company_id) == 1
    # Same body with keys in another order is the same request.
    reordered = dict(reversed(list(body.items())))
    assert (
        api.post("/invoices", json=reordered, headers={"Idempotency-Key": "order-1001"}).json()[
            "id"
        ]
        == first.json()["id"]
    )
    # Another key is another draft.
    other = api.post("/invoices", json=body, headers={"Idempotency-Key": "order-1002"})
    assert other.json()["id"] != first.json()["id"]


def test_the_same_idempotency_key_with_a_different_body_is_a_422(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    url = live_server.url
    books = make_books(sessions, invoices=0)
    api, _ = api_for(url, sessions, books)
    key = {"Idempotency-Key": "k-1"}
    assert api.post("/invoices", json=invoice_body(books.customer_id), headers=key).is_success
    response = api.post("/invoices", json=invoice_body(books.customer_id, "999.00"), headers=key)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_reused"
    assert _count_invoices(sessions, books.company_id) == 1


def test_a_failed_create_does_not_use_up_its_idempotency_key(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    url = live_server.url
    books = make_books(sessions, invoices=0)
    api, _ = api_for(url, sessions, books)
    key = {"Idempotency-Key": "retry-me"}
    bad = api.post("/invoices", json=invoice_body(999_999), headers=key)
    assert bad.status_code == 404
    assert bad.json()["code"] == "unknown_contact"
    good = api.post("/invoices", json=invoice_body(books.customer_id), headers=key)
    assert good.status_code == 201


def test_idempotency_keys_of_two_apps_do_not_collide(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    url = live_server.url
    books = make_books(sessions, invoices=0)
    one, _ = api_for(url, sessions, books, name="One")
    two, _ = api_for(url, sessions, books, name="Two")
    key = {"Idempotency-Key": "shared"}
    a = one.post("/invoices", json=invoice_body(books.customer_id), headers=key)
    b = two.post("/invoices", json=invoice_body(books.customer_id, "1.00"), headers=key)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


@pytest.fixture
def two_workers(
    database_url: str, tmp_path: Path, sessions: sessionmaker[Session]
) -> Iterator[str]:
    """``newledger serve --workers 2``: concurrent requests really run in parallel."""
    port = free_port()
    env = {
        "NEWLEDGER_DATABASE_URL": database_url,
        "NEWLEDGER_DATA_DIR": str(tmp_path),
        "NEWLEDGER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "NEWLEDGER_SECRET_KEY": SERVER_KEY,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newledger.cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-migrate",
        ],
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_concurrent_replays_of_one_idempotency_key_create_exactly_one_draft(
    two_workers: str, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=0)
    _api, cred = api_for(two_workers, sessions, books)
    token = token_for(two_workers, cred)
    body = invoice_body(books.customer_id)

    def post(_: int) -> httpx.Response:
        return httpx.post(
            f"{two_workers}/api/v1/invoices",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "burst"},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(post, range(24)))
    statuses = {r.status_code for r in responses}
    assert statuses <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)]
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) >= 1
    assert _count_invoices(sessions, books.company_id) == 1
    with sessions() as session:
        drafted = session.scalar(
            select(func.count()).where(Activity.event == "ledger:invoice:drafted")
        )
        assert drafted == 1


def test_a_stale_if_match_is_refused_with_412_and_a_missing_one_with_428(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    url = live_server.url
    books = make_books(sessions, invoices=1)
    api, _ = api_for(url, sessions, books)
    path = f"/invoices/{books.invoice_ids[0]}"
    read = api.get(path)
    etag = read.headers["etag"]
    assert etag == 'W/"1"'
    missing = api.patch(path, json={"memo": "no precondition"})
    assert missing.status_code == 428
    assert missing.json()["code"] == "precondition_required"
    first = api.patch(path, json={"memo": "first"}, headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["etag"] == 'W/"2"'
    assert first.json()["memo"] == "first"
    stale = api.patch(path, json={"memo": "second"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert stale.headers["etag"] == 'W/"2"'
    assert api.get(path).json()["memo"] == "first"
    assert api.delete(path, headers={"If-Match": etag}).status_code == 412
    assert api.delete(path).status_code == 428
    assert api.delete(path, headers={"If-Match": 'W/"2"'}).status_code == 204
    assert api.get(path).status_code == 404


def test_a_posted_invoice_cannot_be_edited_or_deleted_through_the_api(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    from newledger.ledger.invoices import approve_invoice

    url = live_server.url
    books = make_books(sessions, invoices=1)
    with sessions.begin() as session:
        approve_invoice(session, books.tenant.actor(session), books.invoice_ids[0])
    api, _ = api_for(url, sessions, books)
    path = f"/invoices/{books.invoice_ids[0]}"
    etag = api.get(path).headers["etag"]
    response = api.patch(path, json={"memo": "sneaky"}, headers={"If-Match": etag})
    assert response.status_code == 409
    assert response.json()["code"] == "not_a_draft"
    assert api.delete(path, headers={"If-Match": etag}).status_code == 409


def test_an_expense_draft_is_updated_with_if_match_and_deleted(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    url = live_server.url
    books = make_books(sessions, invoices=0)
    api, _ = api_for(url, sessions, books)
    office = _office(api)
    created = api.post(
        "/expenses",
        json={"date": "2025-03-02", "lines": [{"amount": "42.50", "account_id": office}]},
        headers={"Idempotency-Key": "receipt-7"},
    )
    assert created.status_code == 201, created.text
    path = f"/expenses/{created.json()['id']}"
    etag = created.headers["etag"]
    updated = api.patch(
        path,
        json={"lines": [{"amount": "50.00", "account_id": office}], "reference": "R-7"},
        headers={"If-Match": etag},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["total"] == "50.00"
    assert api.patch(path, json={"reference": "x"}, headers={"If-Match": etag}).status_code == 412
    assert api.delete(path, headers={"If-Match": updated.headers["etag"]}).status_code == 204
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Expense)) == 0


def test_an_oversized_body_is_refused_with_413_and_nothing_is_created(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=0)
    api, _ = api_for(live_server.url, sessions, books)
    # A declared length over the cap is refused before the body is read (raw socket: an HTTP
    # client would still be busy sending the 2 MiB the header promises).
    parts = urlsplit(live_server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(
            b"POST /api/v1/invoices HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: " + api.headers["authorization"].encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2097152\r\n\r\n{"
        )
        reply = b""
        while b"payload_too_large" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"application/problem+json" in reply and b"payload_too_large" in reply

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"memo": "'
        for _ in range(16):  # crosses the cap only with the last big chunk: nothing is left unsent
            yield b"y" * 65536
        yield b'"}'

    streamed = api.post("/invoices", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert _count_invoices(sessions, books.company_id) == 0
