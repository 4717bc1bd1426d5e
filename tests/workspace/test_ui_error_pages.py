"""A person who follows a broken or mistyped link gets a NewLedger page, not a JSON blob;
machine clients (REST API, OAuth) keep their JSON answers."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.workspace import client, make_person, sign_in

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def owner_client(live_server: LiveServer, sessions: sessionmaker[Session]) -> httpx.Client:
    person = make_person(sessions, "lost@example.com", company="lostlinks")
    c = client(live_server.url)
    sign_in(c, person)
    return c


def _is_error_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Not found · NewLedger</title>" in response.text
    assert 'id="error-message"' in response.text
    assert '"detail"' not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_an_unknown_address_shows_the_not_found_page(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url + "/no-such-page", headers=BROWSER)
    _is_error_page(response, 404)


@pytest.mark.parametrize(
    "path", ["/invoices/abc", "/expenses/INV-1", "/contacts/x", "/review/invoices/x/edit"]
)
def test_a_record_address_with_a_malformed_id_is_not_found_not_a_validation_dump(
    owner_client: httpx.Client, path: str
) -> None:
    _is_error_page(owner_client.get(path, headers=BROWSER), 404)


def test_the_not_found_page_keeps_the_navigation_for_a_signed_in_person(
    owner_client: httpx.Client,
) -> None:
    response = owner_client.get("/invoices/abc", headers=BROWSER)
    assert response.status_code == 404
    assert 'href="/invoices"' in response.text


def test_machine_clients_keep_json_errors(live_server: LiveServer) -> None:
    plain = httpx.get(live_server.url + "/no-such-page", headers={"accept": "application/json"})
    assert plain.status_code == 404
    assert plain.json() == {"detail": "Not Found"}
    api = httpx.get(live_server.url + "/api/v1/no-such-thing", headers=BROWSER)
    assert api.status_code in (401, 404)
    assert "json" in api.headers["content-type"]


def test_a_page_the_role_does_not_allow_explains_it_in_words_not_only_permission_codes(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    viewer = make_person(sessions, "viewer@example.com", company="lostlinks", role="viewer")
    with client(live_server.url) as c:
        sign_in(c, viewer)
        page = c.get("/settings/members", headers=BROWSER)
    assert page.status_code == 403
    text = page.text.replace("&amp;", "&")
    assert "Your role in Lostlinks (viewer) does not allow this." in text
    assert "It needs Add members and change roles (members:manage)." in text
