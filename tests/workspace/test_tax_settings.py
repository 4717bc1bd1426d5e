"""Settings → Tax rates: a person with ledger:post adds, archives and restores rates; the owner
sets the rounding rule; refused input keeps the form; viewers may not."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import Company
from newledger.ledger.models import TaxRate
from tests.conftest import LiveServer
from tests.support.ledger_pages import make_page_books
from tests.support.workspace import client, csrf, sign_in


def _rates(sessions: sessionmaker[Session], company_id: int) -> list[TaxRate]:
    with sessions() as s:
        return list(s.scalars(select(TaxRate).where(TaxRate.company_id == company_id)))


def test_an_owner_adds_archives_and_restores_a_rate_and_sets_rounding(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        page = c.get("/settings/tax-rates")
        assert page.status_code == 200 and 'href="/settings/tax-rates"' in page.text
        token = csrf(page.text)
        added = c.post(
            "/settings/tax-rates",
            data={"csrf_token": token, "name": "CA sales tax", "rate": "7.25", "kind": "sales"},
        )
        assert added.status_code == 303
        listing = c.get(added.headers["location"]).text
        assert "CA sales tax" in listing and "7.25%" in listing and "2200" in listing
        [rate] = _rates(sessions, books.company_id)
        assert (rate.name, str(rate.rate.normalize()), rate.kind) == (
            "CA sales tax",
            "7.25",
            "sales",
        )
        archived = c.post(f"/settings/tax-rates/{rate.id}/archive", data={"csrf_token": token})
        assert archived.status_code == 303
        assert not _rates(sessions, books.company_id)[0].is_active
        c.post(f"/settings/tax-rates/{rate.id}/restore", data={"csrf_token": token})
        assert _rates(sessions, books.company_id)[0].is_active
        saved = c.post(
            "/settings/tax-rates/rounding", data={"csrf_token": token, "tax_rounding": "document"}
        )
        assert saved.status_code == 303
    with sessions() as s:
        company = s.get(Company, books.company_id)
        assert company is not None and company.tax_rounding == "document"


def test_a_bad_rate_keeps_the_form_and_stores_nothing(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        token = csrf(c.get("/settings/tax-rates").text)
        refused = c.post(
            "/settings/tax-rates",
            data={"csrf_token": token, "name": "Odd", "rate": "120", "kind": "sales"},
        )
    assert refused.status_code == 422
    assert 'id="error-rate"' in refused.text and 'value="120"' in refused.text
    assert _rates(sessions, books.company_id) == []


def test_a_viewer_may_not_see_or_change_tax_rates(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.viewer)
        assert c.get("/settings/tax-rates").status_code == 403
        token = csrf(c.get("/").text)
        posted = c.post(
            "/settings/tax-rates",
            data={"csrf_token": token, "name": "X", "rate": "5", "kind": "sales"},
        )
        assert posted.status_code == 403
    assert _rates(sessions, books.company_id) == []
