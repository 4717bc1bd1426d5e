"""Numbers and dates outside what the database holds are a clear page (404, or the filter's
error), never a server error: ids, page numbers and filters in web UI URLs."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer
from tests.support.workspace import ODD_URLS, owner_cookies  # noqa: F401 (fixture)


@pytest.mark.parametrize("path", ODD_URLS)
def test_an_out_of_range_number_in_a_url_is_not_a_server_error(
    live_server: LiveServer,
    owner_cookies: httpx.Cookies,  # noqa: F811
    path: str,
) -> None:
    response = httpx.get(live_server.url + path, cookies=owner_cookies, timeout=30)
    assert response.status_code in (200, 404, 422), (response.status_code, response.text[:300])
    if "/" in path.split("?")[0].strip("/"):  # a detail page: /invoices/<id>, /review/...
        assert response.status_code == 404
