"""The HTTP contract of REST API v1 on a running server: every error under ``/api/`` is
``application/problem+json``, wrong methods name the right ``Allow``, bodies must be JSON and
UTF-8, parameters are strictly typed and unknown ones refused, ``HEAD`` answers wherever
``GET`` does, ``If-None-Match`` gives 304, and the bearer challenge follows RFC 6750 §3.1."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.api import ALL, Api, api_for, invoice_body
from tests.support.appconnect import server_key
from tests.support.books import Books, make_books

__all__ = ["server_key"]

PROBLEM = "application/problem+json"


@pytest.fixture
def books(sessions: sessionmaker[Session], server_key: None) -> Books:
    return make_books(sessions, invoices=3)


@pytest.fixture
def api(live_server: LiveServer, sessions: sessionmaker[Session], books: Books) -> Api:
    client, _ = api_for(live_server.url, sessions, books, *ALL, name="Contract")
    return client


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    return dict(body)


def test_unknown_routes_and_methods_answer_problems_with_the_full_allow(
    live_server: LiveServer, api: Api, books: Books
) -> None:
    _problem(api.get("/no-such-thing"), 404, "not_found")
    _problem(httpx.get(f"{live_server.url}/api/v2/invoices"), 404, "not_found")
    _problem(httpx.get(f"{live_server.url}/api/nothing-here"), 404, "not_found")
    one = f"/invoices/{books.invoice_ids[0]}"
    refused = api.put(one, json={})
    _problem(refused, 405, "method_not_allowed")
    assert refused.headers["allow"] == "DELETE, GET, HEAD, PATCH"
    listed = api.put("/invoices", json={})
    assert listed.headers["allow"] == "GET, HEAD, POST"
    docs = httpx.post(f"{live_server.url}/api/docs")
    _problem(docs, 405, "method_not_allowed")
    assert docs.headers["allow"] == "GET, HEAD"


def test_bodies_must_be_utf8_json(api: Api, books: Books) -> None:
    body = invoice_body(books.customer.id)
    as_text = api.post(
        "/invoices",
        content=httpx.Request("POST", "/", json=body).content,
        headers={"Content-Type": "text/plain"},
    )
    _problem(as_text, 415, "unsupported_media_type")
    form = api.post("/contacts", data={"name": "Acme"})
    _problem(form, 415, "unsupported_media_type")
    latin1 = '{"name": "Café"}'.encode("latin-1")
    _problem(
        api.post("/contacts", content=latin1, headers={"Content-Type": "application/json"}),
        400,
        "malformed_body",
    )
    merged = api.post(
        "/contacts",
        content=b'{"name": "Merge"}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert merged.status_code == 201, merged.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/reports/ar-aging", {"as_of": "0"}),
        ("/reports/trial-balance", {"as_of": "1700000000"}),
        ("/reports/cash-position", {"to": "2025-02-30"}),
        ("/invoices", {"updated_since": "0.5"}),
        ("/invoices", {"issue_date_from": "1"}),
        ("/contacts", {"include_archived": "1"}),
        ("/reports/profit-and-loss", {"compare_year": "yes"}),
        ("/reports/balance-sheet", {"currency": "XYZ"}),
    ],
)
def test_query_values_are_strictly_typed(api: Api, path: str, params: dict[str, str]) -> None:
    body = _problem(api.get(path, params=params), 422, "validation_failed")
    assert set(params) <= set(body["errors"])  # type: ignore[arg-type]


def test_body_values_are_strictly_typed(api: Api, books: Books) -> None:
    contact = f"/contacts/{books.customer.id}"
    for change in ({"is_archived": 0}, {"payment_terms_days": "30"}, {"default_account_id": True}):
        _problem(api.patch(contact, json=change), 422, "validation_failed")
    for change in ({"contact_id": "1"}, {"issue_date": 0}, {"currency": "XYZ"}):
        body = {**invoice_body(books.customer.id), **change}
        _problem(api.post("/invoices", json=body), 422, "validation_failed")


def test_unknown_query_parameters_are_refused(api: Api) -> None:
    body = _problem(api.get("/invoices", params={"sort": "-date"}), 400, "unknown_parameter")
    assert body["errors"] == {"sort": "unknown parameter"}
    _problem(api.get("/contacts", params={"name": "Acme"}), 400, "unknown_parameter")
    assert api.get("/invoices", params={"limit": 1, "status": "draft"}).status_code == 200


def test_head_answers_wherever_get_does_and_if_none_match_gives_304(api: Api, books: Books) -> None:
    one = f"/invoices/{books.invoice_ids[0]}"
    got = api.get(one)
    head = api.head(one)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"] == 'W/"1"'
    assert api.head("/invoices").status_code == 200
    assert api.head("/reports/trial-balance").status_code == 200
    unchanged = api.get(one, headers={"If-None-Match": got.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert api.get(one, headers={"If-None-Match": 'W/"7"'}).status_code == 200
    report = api.get("/reports/trial-balance", params={"as_of": "2025-12-31"})
    tag = report.headers["etag"]
    again = api.get(
        "/reports/trial-balance",
        params={"as_of": "2025-12-31"},
        headers={"If-None-Match": tag},
    )
    assert again.status_code == 304
    assert "etag" not in api.get("/invoices").headers  # a page is read by updated_since


def test_the_bearer_challenge_names_invalid_token_only_for_a_sent_token(
    live_server: LiveServer,
) -> None:
    url = f"{live_server.url}/api/v1/invoices"
    missing = httpx.get(url)
    _problem(missing, 401, "invalid_token")
    assert missing.headers["www-authenticate"] == 'Bearer realm="NewLedger API"'
    bad = httpx.get(url, headers={"Authorization": "Bearer nlat_not-a-token"})
    _problem(bad, 401, "invalid_token")
    assert bad.headers["www-authenticate"] == 'Bearer realm="NewLedger API", error="invalid_token"'
