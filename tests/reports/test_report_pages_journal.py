"""A member who may read reports but not the journal sees every figure without a drill link,
and is refused the ledger and journal entry pages.

No role has that combination today (the viewer reads everything), so the test gives the viewer
role ``reports:read`` without ``journal:read`` in this process and drives the real application
in-process (``create_app`` over the test database, through the real sign-in form): the role
table is the only thing changed; the pages and their permission checks are the product's.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from newledger.identity import permissions
from newledger.identity.permissions import ROLES, Permission, Role
from newledger.web.app import create_app
from tests.support.report_pages import make_report_pages, page_figures
from tests.support.workspace import sign_in

PUBLIC_URL = "http://127.0.0.1:8000"  # the settings' default, which the tests do not change
REPORTS = (
    ("profit-and-loss", {"from": "2024-01-01", "to": "2024-03-31"}),
    ("balance-sheet", {"as_of": "2024-03-31"}),
    ("trial-balance", {"as_of": "2024-03-31"}),
    ("cash-position", {"from": "2024-01-01", "to": "2024-03-31"}),
    ("expenses-by-category", {"from": "2024-01-01", "to": "2024-03-31"}),
)


def _pages(c: TestClient) -> dict[str, str]:
    out = {}
    for slug, query in REPORTS:
        response = c.get(f"/reports/{slug}", params=query)
        assert response.status_code == 200, (slug, response.text[:300])
        out[slug] = response.text
    return out


def test_without_journal_read_figures_have_no_drill_links_and_the_ledger_is_403(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = make_report_pages(sessions)
    app = create_app()
    with TestClient(app, base_url=PUBLIC_URL, follow_redirects=False) as c:
        sign_in(c, pages.viewer)
        before = _pages(c)
        # The viewer as it is: every figure of the statements can be followed.
        assert any(link for _k, _t, link in page_figures(before["profit-and-loss"]))

        # Permissions are read from the role on every request: the next one has the new set.
        reduced = ROLES[Role.VIEWER] - {Permission.JOURNAL_READ}
        monkeypatch.setitem(permissions._BY_ROLE_NAME, Role.VIEWER.value, reduced)
        after = _pages(c)
        for slug, html in after.items():
            figures = page_figures(html)
            assert figures, slug
            assert not any(link for _k, _t, link in figures), slug
            assert "/reports/accounts/" not in html, slug
            # The same figures, only without links.
            assert [(k, t) for k, t, _l in figures] == [
                (k, t) for k, t, _l in page_figures(before[slug])
            ]
        ledger = c.get(f"/reports/accounts/{pages.books.acct('4000')}")
        assert ledger.status_code == 403
        assert "journal:read" in ledger.text
        entry = re.search(r"/reports/entries/(\d+)", c.get("/reports").text)
        assert entry is None  # nothing on the index leads there either
        assert c.get("/reports/entries/1").status_code == 403
        # The aging drill-down is the report's own: still open to a reports reader.
        aging = c.get("/reports/ar-aging", params={"as_of": "2024-03-31"}).text
        link = re.search(r'href="(/reports/ar-aging/contacts/\d+\?[^"]+)"', aging)
        assert link is not None
        assert c.get(link.group(1).replace("&amp;", "&")).status_code == 200
