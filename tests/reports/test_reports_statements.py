"""Cash position, expenses by category, P&L, balance sheet and trial balance on small books."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import NotFound, PermissionDenied, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.identity.services import create_company
from newledger.ledger import reports
from tests.support.reports_books import Books, D, make_books


@pytest.fixture
def books(session: Session) -> Books:
    b = make_books(session)
    b.post(D(2024, 1, 1), ("1000", 1_000_000), ("3000", -1_000_000), source="opening")
    inv = b.invoice("Globex", D(2024, 1, 10), D(2024, 2, 9), 250_000)
    b.receive(inv, D(2024, 2, 5), 250_000)
    b.invoice("Initech", D(2024, 2, 15), D(2024, 3, 16), 120_000, income="4100")
    b.post(D(2024, 1, 20), ("5000", 40_000), ("1000", -40_000))
    b.post(D(2024, 1, 31), ("6700", 150_000), ("1000", -150_000))
    b.post(D(2024, 2, 29), ("6700", 150_000), ("1000", -150_000))
    b.post(D(2024, 2, 12), ("6500", 12_345), ("2100", -12_345))
    b.post(D(2024, 2, 13), ("6500", -2_345), ("2100", 2_345))  # a refund
    b.post(D(2024, 2, 20), ("1000", 500), ("4900", -500))
    b.post(D(2024, 2, 21), ("8000", 1_000), ("1000", -1_000))
    b.post(D(2024, 2, 28), ("1010", 100_000), ("1000", -100_000))
    # Last year, to test prior-year earnings and year-ago comparisons.
    b.post(D(2023, 2, 10), ("1000", 77_700), ("4000", -77_700))
    b.post(D(2023, 12, 31), ("1000", -7_700), ("7900", 7_700))
    session.flush()
    return b


def test_cash_position_shows_opening_money_in_money_out_and_closing(books: Books) -> None:
    report = reports.cash_position(
        books.session, books.actor, books.cid, D(2024, 2, 1), D(2024, 2, 29)
    )
    checking = next(a for a in report.accounts if a.account_id == books.acct("1000"))
    # Before February: 1,000,000 + 77,700 - 7,700 - 40,000 - 150,000
    assert checking.opening == 880_000
    assert checking.money_in == 250_000 + 500
    assert checking.money_out == 150_000 + 1_000 + 100_000
    assert checking.closing == 880_000 + 250_500 - 251_000
    savings = next(a for a in report.accounts if a.account_id == books.acct("1010"))
    assert (savings.opening, savings.money_in, savings.money_out, savings.closing) == (
        0,
        100_000,
        0,
        100_000,
    )
    (total,) = report.totals
    assert total.closing == checking.closing + savings.closing
    data = report.to_json()
    assert data["accounts"][0]["currency"] == "USD"
    assert {a["closing"] for a in data["accounts"]} == {"8795.00", "1000.00"}


def test_cash_position_of_an_earlier_period_ignores_what_came_after_it(books: Books) -> None:
    """The opening balance is the account's total less the days since the period began, so
    movements after the period must not leak into it, nor into money in and out."""
    books.post(D(2024, 3, 5), ("1000", 9_999), ("4900", -9_999))  # after the period
    january = reports.cash_position(
        books.session, books.actor, books.cid, D(2024, 1, 1), D(2024, 1, 31)
    )
    checking = next(a for a in january.accounts if a.account_id == books.acct("1000"))
    # Before 2024: 77,700 - 7,700; January: +1,000,000 in, 40,000 + 150,000 out.
    assert (checking.opening, checking.money_in, checking.money_out) == (
        70_000,
        1_000_000,
        190_000,
    )
    assert checking.closing == 880_000
    # A period before any movement opens (and closes) at zero.
    early = reports.cash_position(
        books.session, books.actor, books.cid, D(2020, 1, 1), D(2020, 12, 31)
    )
    assert {(a.opening, a.money_in, a.money_out, a.closing) for a in early.accounts} == {
        (0, 0, 0, 0)
    }


def test_cash_position_of_a_company_without_bank_accounts_is_empty(session: Session) -> None:
    company = create_company(session, name="No Banks Ltd", slug="no-banks")
    actor = Actor.system(company.id)
    report = reports.cash_position(session, actor, company.id, D(2024, 2, 1), D(2024, 2, 29))
    assert (report.accounts, report.totals) == ((), ())


def test_cash_position_of_an_unknown_company_is_not_found(session: Session) -> None:
    actor = Actor.system(None)
    with pytest.raises(NotFound):
        reports.cash_position(session, actor, 987_654, D(2024, 2, 1), D(2024, 2, 29))


def test_expenses_by_category_are_net_per_account_and_month(books: Books) -> None:
    report = reports.expenses_by_category(
        books.session, books.actor, books.cid, D(2024, 1, 1), D(2024, 3, 31)
    )
    assert report.months == ("2024-01", "2024-02", "2024-03")
    by_code = {c.code: c.months for c in report.categories}
    assert by_code == {
        "5000": (40_000, 0, 0),
        "6500": (0, 10_000, 0),
        "6700": (150_000, 150_000, 0),
        "8000": (0, 1_000, 0),
    }
    assert report.totals == (190_000, 161_000, 0)
    assert report.to_json()["total"] == "3510.00"


def test_profit_and_loss_groups_sections_and_compares_previous_periods(books: Books) -> None:
    report = reports.profit_and_loss(
        books.session,
        books.actor,
        books.cid,
        D(2024, 2, 1),
        D(2024, 2, 29),
        compare=1,
        compare_year=True,
    )
    assert [(p.start, p.end) for p in report.periods] == [
        (D(2024, 2, 1), D(2024, 2, 29)),
        (D(2024, 1, 1), D(2024, 1, 31)),
        (D(2023, 2, 1), D(2023, 2, 28)),
    ]
    assert report.section("income").totals == (120_000, 250_000, 77_700)
    assert report.section("cost_of_sales").totals == (0, 40_000, 0)
    assert report.gross_profit == (120_000, 210_000, 77_700)
    assert report.section("expense").totals == (160_000, 150_000, 0)
    assert report.operating_profit == (-40_000, 60_000, 77_700)
    assert report.section("other").totals == (-500, 0, 0)
    assert report.net_income == (-40_500, 60_000, 77_700)
    data = report.to_json()
    assert data["net_income"] == ["-405.00", "600.00", "777.00"]
    assert data["sections"][0]["lines"][0]["amounts"] == ["0.00", "2500.00", "777.00"]


def test_comparison_periods_of_uneven_length_shift_by_days(books: Books) -> None:
    report = reports.profit_and_loss(
        books.session, books.actor, books.cid, D(2024, 1, 10), D(2024, 1, 19), compare=2
    )
    assert [(p.start, p.end) for p in report.periods] == [
        (D(2024, 1, 10), D(2024, 1, 19)),
        (D(2023, 12, 31), D(2024, 1, 9)),
        (D(2023, 12, 21), D(2023, 12, 30)),
    ]
    assert report.net_income == (250_000, -7_700, 0)


def test_balance_sheet_balances_and_rolls_prior_years_into_retained_earnings(books: Books) -> None:
    sheet = reports.balance_sheet(books.session, books.actor, books.cid, D(2024, 2, 29))
    assert sheet.balanced
    assert sheet.prior_years_earnings == 70_000
    assert sheet.current_year_earnings == 19_500
    equity = {line.name: line.amount for line in sheet.equity.lines}
    assert equity == {
        "Owner's Equity": 1_000_000,
        "Retained Earnings": 70_000,
        "Current Year Earnings": 19_500,
    }
    assets = {line.code: line.amount for line in sheet.assets.lines}
    assert assets == {"1000": 879_500, "1010": 100_000, "1100": 120_000}
    assert sheet.liabilities.total == 10_000
    assert sheet.assets.total == sheet.liabilities_and_equity == 1_099_500
    assert sheet.to_json()["balanced"] is True


def test_balance_sheet_follows_the_company_fiscal_year(session: Session) -> None:
    b = make_books(session, "fy", fy_month=7)
    b.post(D(2024, 6, 30), ("1000", 10_000), ("4000", -10_000))
    b.post(D(2024, 7, 1), ("1000", 2_500), ("4000", -2_500))
    sheet = reports.balance_sheet(session, b.actor, b.cid, D(2024, 12, 31))
    assert sheet.fiscal_year_start == D(2024, 7, 1)
    assert (sheet.prior_years_earnings, sheet.current_year_earnings) == (10_000, 2_500)
    assert sheet.balanced


def test_trial_balance_lists_every_account_and_sums_to_zero(books: Books) -> None:
    tb = reports.trial_balance(books.session, books.actor, books.cid, D(2024, 12, 31))
    assert len({r.account_id for r in tb.rows}) == len(books.accounts)
    assert tb.balanced
    (total,) = tb.totals
    assert total.debit == total.credit > 0
    assert sum(r.balance for r in tb.rows) == 0
    rent = next(r for r in tb.rows if r.code == "6700")
    assert (rent.debit, rent.credit) == (300_000, 0)
    sales = next(r for r in tb.rows if r.code == "4000")
    assert (sales.debit, sales.credit) == (0, 327_700)
    assert tb.to_json()["totals"][0]["difference"] == "0.00"


def test_reports_need_reports_read(books: Books) -> None:
    viewer = Actor("user", books.cid, frozenset({Permission.INVOICES_READ}), user_id=1)
    with pytest.raises(PermissionDenied):
        reports.trial_balance(books.session, viewer, books.cid, D(2024, 1, 1))
    with pytest.raises(PermissionDenied):
        reports.ar_aging(books.session, viewer, books.cid, D(2024, 1, 1))


def test_a_report_for_another_company_is_refused(books: Books, session: Session) -> None:
    other = make_books(session, "other")
    with pytest.raises(PermissionDenied):
        reports.balance_sheet(session, other.actor, books.cid, D(2024, 1, 1))


def test_a_period_that_ends_before_it_starts_is_refused(books: Books) -> None:
    with pytest.raises(ValidationFailed):
        reports.profit_and_loss(books.session, books.actor, books.cid, D(2024, 2, 1), D(2024, 1, 1))


@pytest.mark.parametrize(("whole_months", "compare_year"), [(True, False), (False, True)])
def test_comparison_periods_before_the_year_1_are_refused_not_crashed(
    books: Books, whole_months: bool, compare_year: bool
) -> None:
    end = D(1, 3, 31) if whole_months else D(1, 3, 15)
    with pytest.raises(ValidationFailed, match="before the year 1"):
        reports.profit_and_loss(
            books.session,
            books.actor,
            books.cid,
            D(1, 1, 1),
            end,
            compare=3,
            compare_year=compare_year,
        )
