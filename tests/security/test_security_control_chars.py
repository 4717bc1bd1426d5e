"""A NUL or other control character in an address or a web form is a clear 400, never a server
error: PostgreSQL refuses NUL in text, so these were 500s there (and a cut-off CSV export)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.appconnect import make_app, token_for
from tests.support.books import make_books
from tests.support.workspace import (
    client,
    csrf,
    owner_cookies,  # noqa: F401 (fixture)
)

PAGES = [
    "/contacts?q=%00",
    "/activity?actor=%00",
    "/activity?event=%00",
    "/invoices?q=x%00y",
    "/expenses?q=%1b",
    "/contacts?q=%7f",
    "/contacts?q=%C2%85",  # a C1 control (NEL)
    "/contacts/%00",
    "/invoices/1%00",
    "/review?source=%0a",
]


@pytest.mark.parametrize("path", PAGES)
def test_a_control_character_in_a_page_address_is_a_400_page(
    live_server: LiveServer,
    owner_cookies: httpx.Cookies,  # noqa: F811
    path: str,
) -> None:
    response = httpx.get(live_server.url + path, cookies=owner_cookies, timeout=30)
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    assert "control character" in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_activity_export_with_a_nul_filter_is_a_400_not_a_cut_off_file(
    live_server: LiveServer,
    owner_cookies: httpx.Cookies,  # noqa: F811
) -> None:
    response = httpx.get(
        live_server.url + "/activity.csv?actor=%00", cookies=owner_cookies, timeout=30
    )
    assert response.status_code == 400
    assert not response.headers["content-type"].startswith("text/csv")


def test_the_activity_export_still_streams_every_row(
    live_server: LiveServer,
    owner_cookies: httpx.Cookies,  # noqa: F811
) -> None:
    response = httpx.get(live_server.url + "/activity.csv", cookies=owner_cookies, timeout=30)
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines[0].startswith("time,event,")
    assert len(lines) >= 2  # the owner's sign-in at least


def test_a_nul_in_a_signed_out_page_address_is_a_400(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url + "/signin?next=%00", timeout=30)
    assert response.status_code == 400


def test_a_nul_in_a_form_field_is_a_400_and_nothing_is_recorded(
    live_server: LiveServer,
) -> None:
    with client(live_server.url) as c:
        page = c.get("/signin")
        response = c.post(
            "/signin",
            data={"email": "a\x00@example.com", "password": "x", "csrf_token": csrf(page.text)},
        )
    assert response.status_code == 400, response.text[:300]
    assert "control character" in response.text


def test_line_breaks_and_tabs_in_a_form_field_are_not_refused(live_server: LiveServer) -> None:
    with client(live_server.url) as c:
        page = c.get("/signin")
        response = c.post(
            "/signin",
            data={"email": "no\r\n\tbody", "password": "x", "csrf_token": csrf(page.text)},
        )
    # The sign-in page answers (a failed sign-in), not the control-character refusal.
    assert "Sign in" in response.text
    assert "control character" not in response.text


@pytest.mark.parametrize(
    "path", ["/api/v1/invoices?status=%00", "/api/v1/contacts?q=%00", "/api/v1/contacts/%00"]
)
def test_a_control_character_in_an_api_address_is_a_400_problem(
    live_server: LiveServer, sessions: sessionmaker[Session], path: str
) -> None:
    books = make_books(sessions, invoices=0)
    token = token_for(live_server.url, make_app(sessions, books.tenant, "invoices:read"))
    response = httpx.get(
        live_server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_request"
    assert response.headers["cache-control"] == "no-store"


def test_a_control_character_in_an_oauth_address_is_an_oauth_error(
    live_server: LiveServer,
) -> None:
    response = httpx.post(
        live_server.url + "/oauth/token?x=%00", data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
