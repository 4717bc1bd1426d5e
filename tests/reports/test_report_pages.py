"""The reports on screen over real HTTP: each of the seven pages shows the REST API's figures
for the same dates and its CSV the same figures again; dates, presets and comparisons; and the
drill-down from a figure to the ledger lines and documents behind it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from newledger.ledger.posting import LineSpec, post_entry
from tests.conftest import LiveServer
from tests.support.api import api_for
from tests.support.appconnect import server_key
from tests.support.report_pages import (
    ReportPages,
    csv_figures,
    drill_links,
    make_report_pages,
    page_figures,
    plain,
    rest_figures,
)
from tests.support.workspace import client, sign_in

__all__ = ["server_key"]

D = dt.date
# (page and REST report, query): dates inside the sample books (2023-2024).
CASES: list[tuple[str, dict[str, str]]] = [
    ("profit-and-loss", {"from": "2024-01-01", "to": "2024-03-31"}),
    ("balance-sheet", {"as_of": "2024-02-29"}),
    ("trial-balance", {"as_of": "2024-03-31"}),
    ("cash-position", {"from": "2024-02-01", "to": "2024-02-29"}),
    ("ar-aging", {"as_of": "2024-03-31"}),
    ("ap-aging", {"as_of": "2024-03-31"}),
    ("expenses-by-category", {"from": "2023-12-01", "to": "2024-03-31"}),
]


@pytest.fixture
def pages(sessions: sessionmaker[Session]) -> ReportPages:
    return make_report_pages(sessions)


def _figures(html: str) -> dict[str, str]:
    figures = page_figures(html)
    keys = [key for key, _text, _link in figures]
    assert len(keys) == len(set(keys)), "a figure key appears twice"
    return {key: text for key, text, _link in figures}


@contextmanager
def _owner(live_server: LiveServer, pages: ReportPages) -> Iterator[httpx.Client]:
    with client(live_server.url) as c:
        sign_in(c, pages.owner)
        yield c


def test_each_report_page_shows_the_rest_reports_figures_and_its_csv_the_same(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    pages: ReportPages,
    server_key: None,
) -> None:
    api, _ = api_for(live_server.url, sessions, pages.books, "reports:read")
    with _owner(live_server, pages) as c:
        for slug, query in CASES:
            expected = rest_figures(slug, api.get(f"/reports/{slug}", params=query).json())
            # Not a comparison of empty reports: every report has figures other than zero.
            assert any(v and Decimal(v) != 0 for v in expected.values()), slug
            page = c.get(f"/reports/{slug}", params=query)
            assert page.status_code == 200, (slug, page.text[:500])
            assert _figures(page.text) == expected, slug
            download = c.get(f"/reports/{slug}.csv", params=query)
            assert download.status_code == 200, slug
            assert download.headers["content-type"].startswith("text/csv")
            period = query.get("as_of") or f"{query['from']}_{query['to']}"
            assert download.headers["content-disposition"] == (
                f'attachment; filename="acme-{slug}-{period}.csv"'
            )
            in_page_order = [text for _key, text, _link in page_figures(page.text)]
            assert csv_figures(download.text) == in_page_order, slug
    api.close()


def test_comparisons_show_the_rest_figures_of_each_period_and_date(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    pages: ReportPages,
    server_key: None,
) -> None:
    api, _ = api_for(live_server.url, sessions, pages.books, "reports:read")
    pnl_query = {"from": "2024-02-01", "to": "2024-02-29", "compare": "1", "compare_year": "true"}
    with _owner(live_server, pages) as c:
        rest = api.get("/reports/profit-and-loss", params=pnl_query).json()
        assert len(rest["periods"]) == 3
        page = c.get("/reports/profit-and-loss", params=pnl_query)
        assert page.status_code == 200
        assert _figures(page.text) == rest_figures("profit-and-loss", rest)
        for label in ("2024-02-01 to 2024-02-29", "2024-01-01 to 2024-01-31"):
            assert label in page.text
        assert "2023-02-01 to 2023-02-28" in page.text  # the same month a year back

        query = {"as_of": "2024-03-31", "compare_as_of": "2023-12-31"}
        page = c.get("/reports/balance-sheet", params=query)
        assert page.status_code == 200
        expected: dict[str, str] = {}
        for column, day in (("p0", "2024-03-31"), ("p1", "2023-12-31")):
            body = api.get("/reports/balance-sheet", params={"as_of": day}).json()
            expected.update(rest_figures("balance-sheet", body, column))
        # A line only one date has shows 0.00 at the other.
        for key in {k.rsplit("/", 1)[0] for k in expected}:
            for column in ("p0", "p1"):
                expected.setdefault(f"{key}/{column}", "0.00")
        assert _figures(page.text) == expected
        assert 'id="report-balanced">balanced<' in page.text
    api.close()


def test_the_index_links_every_report_and_reports_keep_the_existing_ids(
    live_server: LiveServer, pages: ReportPages
) -> None:
    with _owner(live_server, pages) as c:
        index = c.get("/reports")
        assert index.status_code == 200
        links = re.findall(r'<a href="(/reports/[a-z-]+)" id="report-link-', index.text)
        assert links == [
            f"/reports/{slug}"
            for slug in (
                "profit-and-loss",
                "balance-sheet",
                "trial-balance",
                "cash-position",
                "ar-aging",
                "ap-aging",
                "expenses-by-category",
                "sales-tax",
            )
        ]
        sheet = c.get("/reports/balance-sheet", params={"as_of": "2024-03-31"}).text
        for element in ("bs-total-assets", "bs-total-liabilities-equity", "bs-assets"):
            assert f'id="{element}"' in sheet
        pnl = c.get("/reports/profit-and-loss", params={"from": "2024-01-01", "to": "2024-03-31"})
        for element in ("pnl-gross-profit", "pnl-net-income", "pnl-income"):
            assert f'id="{element}"' in pnl.text


def test_presets_name_whole_periods_and_a_report_at_a_date_gets_their_last_day(
    live_server: LiveServer, pages: ReportPages
) -> None:
    today = dt.date.today()
    with _owner(live_server, pages) as c:
        pnl = c.get("/reports/profit-and-loss").text
        presets = dict(re.findall(r'<a href="/reports/profit-and-loss\?([^"]+)">([^<]+)</a>', pnl))
        by_label = {
            label: parse_qs(query.replace("&amp;", "&")) for query, label in presets.items()
        }
        this_month = by_label["This month"]
        assert this_month["from"] == [today.replace(day=1).isoformat()]
        last_month_end = today.replace(day=1) - dt.timedelta(days=1)
        assert by_label["Last month"] == {
            "from": [last_month_end.replace(day=1).isoformat()],
            "to": [last_month_end.isoformat()],
        }
        assert set(by_label) == {
            "This month",
            "Last month",
            "This quarter",
            "This fiscal year",
            "Last fiscal year",
        }
        sheet = c.get("/reports/balance-sheet").text
        assert (
            f'<a href="/reports/balance-sheet?as_of={last_month_end.isoformat()}">Last month<'
            in sheet
        )
        assert f'<a href="/reports/balance-sheet?as_of={today.isoformat()}">This month<' in sheet
        # The default period is the fiscal year to date, as the REST API's.
        assert f'value="{today.replace(month=1, day=1).isoformat()}"' in pnl


def test_dates_that_do_not_parse_give_a_422_page_that_says_so_and_no_csv(
    live_server: LiveServer, pages: ReportPages
) -> None:
    with _owner(live_server, pages) as c:
        for slug, query, field in (
            ("profit-and-loss", {"from": "2024-13-01"}, "from"),
            ("balance-sheet", {"as_of": "yesterday"}, "as_of"),
            ("cash-position", {"from": "2024-03-01", "to": "2024-02-01"}, "to"),
            ("profit-and-loss", {"compare": "99"}, "compare"),
        ):
            page = c.get(f"/reports/{slug}", params=query)
            assert page.status_code == 422, (slug, query)
            assert f'id="error-{field}"' in page.text
            download = c.get(f"/reports/{slug}.csv", params=query)
            assert download.status_code == 303
            assert download.headers["location"].startswith(f"/reports/{slug}?")
        message = c.get("/reports/trial-balance", params={"as_of": "31/03/2024"}).text
        assert "Use a date like 2025-01-31." in message
        ledger = c.get(f"/reports/accounts/{pages.books.acct('4000')}", params={"to": "soon"})
        assert ledger.status_code == 422


def _ledger_movement(c: httpx.Client, link: str) -> dict[str, str]:
    page = c.get(link)
    assert page.status_code == 200, (link, page.text[:500])
    found = {
        key: plain(shown)
        for key, shown in re.findall(
            r'id="(ledger-(?:opening|debits|credits|closing))">([^<]*)<', page.text
        )
    }
    assert len(found) == 4, page.text
    return found


def test_each_figure_links_to_the_ledger_lines_that_make_it(
    live_server: LiveServer, pages: ReportPages
) -> None:
    with _owner(live_server, pages) as c:
        # P&L: an account's period movement, credit-positive for income, is its P&L figure.
        pnl = c.get("/reports/profit-and-loss", params={"from": "2024-01-01", "to": "2024-03-31"})
        figures, links = _figures(pnl.text), drill_links(pnl.text)
        income = f"account-{pages.books.acct('4000')}/p0"
        rent = f"account-{pages.books.acct('6700')}/p0"
        assert {income, rent} <= set(links)
        moved = _ledger_movement(c, links[income])
        assert Decimal(moved["ledger-credits"]) - Decimal(moved["ledger-debits"]) == Decimal(
            figures[income]
        )
        moved = _ledger_movement(c, links[rent])
        assert Decimal(moved["ledger-debits"]) - Decimal(moved["ledger-credits"]) == Decimal(
            figures[rent]
        )
        assert not any(k.startswith("total-") or k == "net-income/p0" for k in links)

        # Balance sheet: the ledger's closing balance is the line's figure.
        sheet = c.get("/reports/balance-sheet", params={"as_of": "2024-02-29"})
        figures, links = _figures(sheet.text), drill_links(sheet.text)
        for code in ("1000", "1100", "2100"):
            key = f"account-{pages.books.acct(code)}/p0"
            assert _ledger_movement(c, links[key])["ledger-closing"] == figures[key], code

        # Cash position: opening, money in and out, closing are the ledger's.
        cash = c.get("/reports/cash-position", params={"from": "2024-02-01", "to": "2024-02-29"})
        figures, links = _figures(cash.text), drill_links(cash.text)
        bank = f"bank-{pages.books.checking.id}"
        moved = _ledger_movement(c, links[f"{bank}/money_in"])
        assert moved == {
            "ledger-opening": figures[f"{bank}/opening"],
            "ledger-debits": figures[f"{bank}/money_in"],
            "ledger-credits": figures[f"{bank}/money_out"],
            "ledger-closing": figures[f"{bank}/closing"],
        }

        # Expenses by category: a month's cell is that month's movement.
        spend = c.get(
            "/reports/expenses-by-category", params={"from": "2024-01-01", "to": "2024-03-31"}
        )
        figures, links = _figures(spend.text), drill_links(spend.text)
        key = f"account-{pages.books.acct('6500')}/2024-02"
        moved = _ledger_movement(c, links[key])
        assert Decimal(moved["ledger-debits"]) - Decimal(moved["ledger-credits"]) == Decimal(
            figures[key]
        )
        assert parse_qs(urlsplit(links[key]).query) == {
            "from": ["2024-02-01"],
            "to": ["2024-02-29"],
        }

        # Trial balance: the balance to the date.
        tb = c.get("/reports/trial-balance", params={"as_of": "2024-03-31"})
        figures, links = _figures(tb.text), drill_links(tb.text)
        key = f"account-{pages.books.acct('2000')}-USD/credit"
        assert _ledger_movement(c, links[key])["ledger-closing"] == figures[key]


def test_ledger_lines_run_a_balance_and_lead_to_their_documents(
    live_server: LiveServer, pages: ReportPages
) -> None:
    sample = pages.sample
    ar = pages.books.acct("1100")
    with _owner(live_server, pages) as c:
        page = c.get(f"/reports/accounts/{ar}", params={"from": "2024-01-01", "to": "2024-03-31"})
        assert page.status_code == 200
        html = page.text
        # Opening: last year's open invoice (800.00); then the lines in date order.
        assert re.search(r'id="ledger-opening">\$800.00<', html)
        balances = re.findall(r'<td class="num">(\(?\$[0-9.,]+\)?)</td>\s*</tr>', html)
        assert balances == ["$3,300.00", "$3,000.00", "$500.00", "$1,700.00"], balances
        for invoice in (sample.paid_invoice, sample.services_invoice):
            assert f'<a class="document" href="/invoices/{invoice.id}">{invoice.number}</a>' in html
        # The payment's line leads to the invoice it paid.
        assert html.count(f'href="/invoices/{sample.paid_invoice.id}"') == 2
        entry = re.search(r'<a href="(/reports/entries/\d+)">', html)
        assert entry is not None
        detail = c.get(entry.group(1))
        assert detail.status_code == 200
        assert 'id="entry-lines"' in detail.text

        # A bill on AP, and a manual entry, which has its own entry page only.
        ap = c.get(
            f"/reports/accounts/{pages.books.acct('6700')}",
            params={"from": "2024-01-01", "to": "2024-03-31"},
        ).text
        assert f'href="/expenses/{sample.open_bill.id}">Bill #{sample.open_bill.id}</a>' in ap
        assert c.get("/reports/accounts/99999").status_code == 404
        assert c.get("/reports/entries/99999").status_code == 404


def test_a_long_ledger_pages_and_carries_the_running_balance_over(
    live_server: LiveServer, sessions: sessionmaker[Session], pages: ReportPages
) -> None:
    rent, bank = pages.books.acct("6700"), pages.books.acct("1000")
    with sessions.begin() as s:
        for i in range(230):
            post_entry(
                s,
                company_id=pages.company_id,
                date=D(2024, 6, 1) + dt.timedelta(days=i % 30),
                lines=[LineSpec(rent, 100 + i, "USD"), LineSpec(bank, -(100 + i), "USD")],
                source_type="manual",
                memo=f"Rent {i}",
            )
    with _owner(live_server, pages) as c:
        url: str | None = f"/reports/accounts/{rent}?from=2024-06-01&to=2024-06-30"
        running: list[Decimal] = []
        opening: Decimal | None = None
        pages_seen = 0
        while url:
            page = c.get(url)
            assert page.status_code == 200
            brought = re.search(r'id="ledger-page-opening">([^<]*)<', page.text)
            assert brought is not None
            carried = Decimal(plain(brought.group(1)))
            if running:
                assert carried == running[-1]  # carried over exactly
            else:
                opening = carried
            rows = re.findall(
                r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>\s*'
                r'<td class="num">([^<]+)</td>\s*</tr>',
                page.text,
            )
            previous = carried
            for debit, credit, balance in rows:
                previous += Decimal(plain(debit) or 0) - Decimal(plain(credit) or 0)
                assert Decimal(plain(balance)) == previous
                running.append(previous)
            pages_seen += 1
            nxt = re.search(r'<a href="([^"]+)" rel="next">', page.text)
            url = nxt.group(1).replace("&amp;", "&") if nxt else None
        assert pages_seen == 2
        assert len(running) == 230
        assert opening == Decimal("3750.00")  # January, February and March's rent
        assert running[-1] == opening + Decimal(sum(100 + i for i in range(230))) / 100


def _aging_rows(html: str) -> dict[str, str]:
    return dict(
        re.findall(r'<a href="(/reports/a[rp]-aging/contacts/\d+\?[^"]+)">([^<]+)</a>', html)
    )


def test_an_aging_row_leads_to_the_open_documents_that_add_up_to_it(
    live_server: LiveServer, pages: ReportPages
) -> None:
    with _owner(live_server, pages) as c:
        for slug in ("ar-aging", "ap-aging"):
            report = c.get(f"/reports/{slug}", params={"as_of": "2024-03-31"}).text
            figures = _figures(report)
            rows = _aging_rows(report)
            assert rows, slug
            for link, name in rows.items():
                link = link.replace("&amp;", "&")
                contact_id = link.split("/contacts/")[1].split("?")[0]
                detail = c.get(link)
                assert detail.status_code == 200
                assert name in detail.text
                totals = re.findall(r'data-figure="total/([a-z0-9_]+)">([^<]*)<', detail.text)
                assert [(k, plain(v)) for k, v in totals] == [
                    (k, figures[f"contact-{contact_id}/{k}"])
                    for k in ("current", "1_30", "31_60", "61_90", "90_plus", "total")
                ], (slug, name)
        ar = c.get("/reports/ar-aging", params={"as_of": "2024-03-31"}).text
        link = next(link for link, name in _aging_rows(ar).items() if name == "Globex")
        globex = c.get(link.replace("&amp;", "&")).text
        # The invoice paid in full is not open; last year's is, less its payment.
        assert f'href="/invoices/{pages.sample.paid_invoice.id}"' not in globex
        assert _figures(globex)["total/total"] == "500.00"
        assert c.get("/reports/ar-aging/contacts/99999").status_code == 404


def _without_drill_links(html: str) -> bool:
    return 'class="drill"' not in html and "/reports/accounts/" not in html


def test_reports_need_reports_read_and_the_ledger_journal_read(
    live_server: LiveServer, pages: ReportPages
) -> None:
    """Every role that reads reports also reads the journal, so a viewer sees the drill links
    (``test_report_pages_journal`` covers a member without ``journal:read``)."""
    with client(live_server.url) as c:
        sign_in(c, pages.viewer)
        page = c.get("/reports/profit-and-loss", params={"from": "2024-01-01", "to": "2024-03-31"})
        assert page.status_code == 200
        assert not _without_drill_links(page.text)
        assert c.get(f"/reports/accounts/{pages.books.acct('4000')}").status_code == 200
    with client(live_server.url) as c:
        assert c.get("/reports/balance-sheet").status_code == 303  # signed out: to sign in
        assert c.get("/reports/accounts/1").status_code == 303
