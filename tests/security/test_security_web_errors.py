"""Every HTML response carries the security headers, error pages included, and odd input in a
URL is a clear 4xx page, never a server error."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer
from tests.support.workspace import ODD_URLS, owner_cookies  # noqa: F401 (fixture)


@pytest.mark.parametrize("path", ODD_URLS)
def test_every_page_keeps_its_security_headers_even_when_the_request_is_odd(
    live_server: LiveServer,
    owner_cookies: httpx.Cookies,  # noqa: F811
    path: str,
) -> None:
    # A fresh connection per request: the server closes one after a failure.
    response = httpx.get(live_server.url + path, cookies=owner_cookies, timeout=30)
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (response.status_code, response.headers)
    assert response.headers.get("x-content-type-options") == "nosniff"
