"""REST API v1 lists and errors: cursor pagination, updated_since, problem+json, rate limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from newledger.ledger.models import Invoice
from tests.conftest import LiveServer
from tests.support.api import Api, api_for
from tests.support.appconnect import server_key
from tests.support.books import make_books

__all__ = ["server_key"]


def _walk(api: Api, path: str, **params: object) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = api.get(path, params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        rows.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_a_cursor_walk_returns_every_invoice_exactly_once(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=23)
    # Several invoices share one updated_at: the id breaks the tie.
    same = dt.datetime(2025, 5, 1, 12, 0, tzinfo=dt.UTC)
    with sessions.begin() as session:
        session.execute(
            update(Invoice).where(Invoice.id.in_(books.invoice_ids[5:12])).values(updated_at=same)
        )
    api, _ = api_for(live_server.url, sessions, books, "invoices:read")
    for limit in (1, 4, 23, 200):
        rows = _walk(api, "/invoices", limit=limit)
        ids = [r["id"] for r in rows]
        assert len(ids) == len(set(ids)) == 23, limit
        assert set(ids) == set(books.invoice_ids)
        keys = [(r["updated_at"], r["id"]) for r in rows]
        assert keys == sorted(keys)
    first = api.get("/invoices", params={"limit": 5}).json()
    assert len(first["data"]) == 5
    assert "lines" not in first["data"][0]
    assert first["data"][0]["contact_name"] == books.customer.name


def test_updated_since_returns_only_rows_changed_since(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=6)
    old = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    new = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    with sessions.begin() as session:
        session.execute(update(Invoice).values(updated_at=old))
        session.execute(
            update(Invoice).where(Invoice.id.in_(books.invoice_ids[:2])).values(updated_at=new)
        )
    api, _ = api_for(live_server.url, sessions, books, "invoices:read")
    since = {"updated_since": "2025-03-01T00:00:00Z"}
    rows = _walk(api, "/invoices", limit=1, **since)
    assert sorted(r["id"] for r in rows) == books.invoice_ids[:2]
    assert len(_walk(api, "/invoices", updated_since="2025-01-01T01:00:00+02:00")) == 6
    assert _walk(api, "/invoices", updated_since="2025-06-01T00:00:01") == []


def test_list_filters_narrow_invoices(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=4)
    api, _ = api_for(live_server.url, sessions, books, "invoices:read")
    assert len(api.get("/invoices", params={"status": "draft"}).json()["data"]) == 4
    assert api.get("/invoices", params={"status": "paid"}).json()["data"] == []
    ranged = api.get(
        "/invoices", params={"issue_date_from": "2025-01-02", "issue_date_to": "2025-01-03"}
    ).json()["data"]
    assert [r["issue_date"] for r in ranged] == ["2025-01-02", "2025-01-03"]
    by_contact = api.get("/invoices", params={"contact_id": books.customer_id}).json()["data"]
    assert len(by_contact) == 4


def test_errors_are_problem_details_with_per_field_errors(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=0)
    api, _ = api_for(live_server.url, sessions, books)
    cases = [
        (api.get("/invoices", params={"limit": 0}), 422, "validation_failed", "limit"),
        (
            api.get("/invoices", params={"cursor": "not-a-cursor"}),
            422,
            "validation_failed",
            "cursor",
        ),
        (
            api.post("/invoices", json={"contact_id": "x", "lines": [], "surprise": 1}),
            422,
            "validation_failed",
            "contact_id",
        ),
        (
            api.post(
                "/invoices",
                json={
                    "contact_id": books.customer_id,
                    "issue_date": "2025-01-01",
                    "lines": [{"unit_price": "1.234"}],
                },
            ),
            422,
            "validation_failed",
            "lines[0].unit_price",
        ),
        (api.get("/invoices/987654"), 404, "unknown_invoice", None),
        (api.get("/no-such-thing"), 404, "not_found", None),
        (api.put("/invoices"), 405, "method_not_allowed", None),
    ]
    for response, status, code, field in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert set(problem) >= {"type", "title", "status", "detail", "code", "errors"}
        assert problem["status"] == status
        assert problem["code"] == code
        assert problem["type"].endswith(f"#problem-{code}")
        if field is not None:
            assert field in problem["errors"], problem
    assert "Traceback" not in "".join(r.text for r, *_ in cases)


def test_amounts_are_decimal_strings_and_dates_iso_8601(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=1)
    api, _ = api_for(live_server.url, sessions, books)
    invoice = api.get(f"/invoices/{books.invoice_ids[0]}").json()
    assert invoice["total"] == "100.00"
    assert invoice["amount_due"] == "100.00"
    assert invoice["lines"][0]["quantity"] == "1"
    dt.date.fromisoformat(invoice["issue_date"])
    assert dt.datetime.fromisoformat(invoice["updated_at"]).tzinfo is not None


@pytest.fixture
def tight_server(engine: object, database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(
        database_url, tmp_path, extra_env={"NEWLEDGER_API_RATE_LIMIT_PER_MINUTE": "5"}
    )
    yield server
    server.stop()


def test_an_app_over_its_rate_limit_gets_429_with_retry_after(
    tight_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=0)
    api, _ = api_for(tight_server.url, sessions, books, "invoices:read")
    other, _ = api_for(tight_server.url, sessions, books, "invoices:read", name="Other")
    responses = [api.get("/invoices") for _ in range(7)]
    ok = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    # A minute boundary may fall inside the burst; at most one window's worth gets through twice.
    assert limited and len(ok) <= 10
    first_ok = ok[0]
    assert first_ok.headers["ratelimit-limit"] == "5"
    assert int(first_ok.headers["ratelimit-remaining"]) < 5
    problem = limited[0]
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["code"] == "rate_limited"
    assert 1 <= int(problem.headers["retry-after"]) <= 60
    assert problem.headers["ratelimit-remaining"] == "0"
    assert other.get("/invoices").status_code == 200
    assert httpx.get(f"{tight_server.url}/healthz").status_code == 200
