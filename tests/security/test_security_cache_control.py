"""REST API and OAuth answers are a company's books and credentials: every one of them, errors
included, says ``Cache-Control: no-store``, so no browser or shared cache keeps a copy; token
responses also say ``Pragma: no-cache`` (RFC 6749 §5.1)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.appconnect import Credential, basic, make_app, token_for
from tests.support.books import make_books


@pytest.fixture(scope="module")
def limited_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server allowing each app three API requests a minute, so a 429 is easy to reach."""
    server = LiveServer(
        database_url,
        tmp_path_factory.mktemp("limited"),
        {"NEWLEDGER_API_RATE_LIMIT_PER_MINUTE": "3"},
    )
    yield server
    server.stop()


@pytest.fixture
def cred(live_server: LiveServer, sessions: sessionmaker[Session]) -> Credential:
    return make_app(
        sessions, make_books(sessions, invoices=1).tenant, "contacts:read", "contacts:write"
    )


def _no_store(response: httpx.Response) -> None:
    assert response.headers.get("cache-control") == "no-store", (
        response.status_code,
        response.request.url,
        dict(response.headers),
    )


def test_every_api_answer_says_no_store(live_server: LiveServer, cred: Credential) -> None:
    token = token_for(live_server.url, cred)
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live_server.url + "/api/v1", timeout=30) as api:
        answers = [
            (200, api.get("/contacts", headers=auth)),
            (200, api.get("/openapi.json")),
            (
                201,
                api.post("/contacts", json={"name": "Initech", "kind": "customer"}, headers=auth),
            ),
            (401, api.get("/contacts")),
            (403, api.get("/invoices", headers=auth)),
            (404, api.get("/contacts/987654", headers=auth)),
            (404, api.get("/no-such-route", headers=auth)),
            (405, api.delete("/contacts", headers=auth)),
            (
                413,
                api.post(
                    "/contacts",
                    # Chunked, crossing the 1 MiB cap with its last chunk: the client has
                    # sent everything before the server refuses (no race on a closed socket).
                    content=iter([b"{" + b" " * (1024 * 1024 - 1), b" " * 100 + b"}"]),
                    headers={**auth, "Content-Type": "application/json"},
                ),
            ),
            (422, api.post("/contacts", json={"kind": "nonsense"}, headers=auth)),
        ]
    for status, response in answers:
        assert response.status_code == status, (status, response.text[:300])
        _no_store(response)


def test_a_rate_limited_api_answer_says_no_store(
    limited_server: LiveServer, cred: Credential
) -> None:
    token = token_for(limited_server.url, cred)
    auth = {"Authorization": f"Bearer {token}"}
    statuses = []
    for _ in range(5):
        response = httpx.get(limited_server.url + "/api/v1/contacts", headers=auth)
        statuses.append(response.status_code)
        _no_store(response)
    assert 429 in statuses


def test_every_oauth_answer_says_no_store(live_server: LiveServer, cred: Credential) -> None:
    token_url = live_server.url + "/oauth/token"
    grant = {"grant_type": "client_credentials"}
    answers = [
        httpx.post(token_url, data=grant, headers=basic(cred.client_id, cred.secret)),
        httpx.post(token_url, data=grant, headers=basic(cred.client_id, "nlcs_wrong")),
        httpx.get(token_url),
        httpx.post(live_server.url + "/oauth/revoke", data={"token": "x"}),
        httpx.get(live_server.url + "/oauth/no-such-endpoint"),
    ]
    assert [r.status_code for r in answers] == [200, 401, 405, 401, 404]
    for response in answers:
        _no_store(response)
    for response in answers[:3]:
        assert response.headers.get("pragma") == "no-cache"
