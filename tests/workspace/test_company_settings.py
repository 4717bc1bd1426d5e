"""Settings → Company: the owner names the company, picks the fiscal year start and the locale
every amount is shown in; others may not; each change is logged old → new."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.identity.models import Company
from tests.conftest import LiveServer
from tests.support.ledger_pages import make_page_books
from tests.support.workspace import client, csrf, sign_in


def _company(sessions: sessionmaker[Session], company_id: int) -> Company:
    with sessions() as s:
        company = s.get(Company, company_id)
        assert company is not None
        return company


def test_the_owner_sets_name_fiscal_year_and_locale_and_amounts_follow(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        assert c.get("/settings").headers["location"] == "/settings/company"
        page = c.get("/settings/company").text
        assert '<option value="en_US" selected>' in page and "($1,234,567.89)" in page
        saved = c.post(
            "/settings/company",
            data={
                "csrf_token": csrf(page),
                "name": "Acme GmbH",
                "fiscal_year_start_month": "4",
                "locale": "de_DE",
            },
        )
        assert saved.status_code == 303
        assert "company-saved" in c.get(saved.headers["location"]).text
        invoices = c.get("/invoices").text
    assert "1.200,00\u00a0$" in invoices  # the app's 3 x 400.00 draft, as de_DE writes it
    company = _company(sessions, books.company_id)
    assert (company.name, company.fiscal_year_start_month, company.locale) == (
        "Acme GmbH",
        4,
        "de_DE",
    )
    with sessions() as s:
        row = s.scalar(select(Activity).where(Activity.event == Event.COMPANY_UPDATED))
        assert row is not None and row.source == "web"
        assert row.details["changed"]["locale"] == ["en_US", "de_DE"]
        assert row.details["changed"]["fiscal_year_start_month"] == [1, 4]


def test_bad_input_keeps_the_form_and_changes_nothing(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        token = csrf(c.get("/settings/company").text)
        refused = c.post(
            "/settings/company",
            data={
                "csrf_token": token,
                "name": "  ",
                "fiscal_year_start_month": "13",
                "locale": "xx_YY",
            },
        )
    assert refused.status_code == 422
    for field in ("name", "fiscal_year_start_month", "locale"):
        assert f'id="error-{field}"' in refused.text
    assert 'value="xx_YY" selected' in refused.text  # the input is kept
    company = _company(sessions, books.company_id)
    assert (company.fiscal_year_start_month, company.locale) == (1, "en_US")


def test_people_without_company_manage_cannot_see_or_change_it(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.viewer)
        assert c.get("/settings/company").status_code == 403
        token = csrf(c.get("/").text)
        posted = c.post(
            "/settings/company",
            data={
                "csrf_token": token,
                "name": "X",
                "fiscal_year_start_month": "1",
                "locale": "en_US",
            },
        )
        assert posted.status_code == 403
        assert 'href="/settings/company"' not in c.get("/settings/appconnect").text
    assert _company(sessions, books.company_id).name != "X"
