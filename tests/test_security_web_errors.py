"""Every HTML response carries the security headers, error pages included, and odd input in a
URL is a clear 4xx page, never a server error."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.workspace_support import client, make_person, sign_in

# Numbers no database integer column holds: SQLite refuses to bind them (OverflowError) and
# PostgreSQL reports "integer out of range".
HUGE = "99999999999999999999"
ODD_URLS = [
    f"/invoices/{HUGE}",
    f"/expenses/{HUGE}",
    f"/contacts/{HUGE}",
    f"/review/invoices/{HUGE}/edit",
    f"/review/expenses/{HUGE}/edit",
    f"/invoices?page={HUGE}",
    f"/expenses?page={HUGE}",
    f"/contacts?page={HUGE}",
    f"/invoices?contact_id={HUGE}",
    f"/expenses?contact_id={HUGE}",
    f"/activity?page={HUGE}",
    "/activity?until=9999-12-31",
]


@pytest.fixture
def owner_cookies(live_server: LiveServer, sessions: sessionmaker[Session]) -> httpx.Cookies:
    person = make_person(sessions, "odd-urls@example.com", company="oddurls")
    with client(live_server.url) as c:
        sign_in(c, person)
        return c.cookies


@pytest.mark.parametrize("path", ODD_URLS)
def test_every_page_keeps_its_security_headers_even_when_the_request_is_odd(
    live_server: LiveServer, owner_cookies: httpx.Cookies, path: str
) -> None:
    # A fresh connection per request: the server closes one after a failure.
    response = httpx.get(live_server.url + path, cookies=owner_cookies, timeout=30)
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (response.status_code, response.headers)
    assert response.headers.get("x-content-type-options") == "nosniff"
