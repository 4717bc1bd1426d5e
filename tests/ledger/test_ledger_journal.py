"""Manual journal entries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.errors import NotFound, PermissionDenied, ValidationFailed
from newledger.identity.permissions import Permission, Role
from newledger.ledger.journal import (
    EntryFilters,
    create_manual_entry,
    entry_dict,
    get_entry,
    list_entries,
)
from newledger.ledger.models import JournalLine
from newledger.pagination import PageRequest
from tests.support.books import Books, make_books, net, row_counts

D = dt.date(2026, 3, 1)


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def test_a_manual_entry_posts_and_reads_back_with_its_lines(session: Session, books: Books) -> None:
    entry = create_manual_entry(
        session,
        books.actor,
        date="2026-03-01",
        memo="Loan received",
        lines=[
            {"account_id": books.acct("1000"), "debit": "5000.00", "description": "cash in"},
            {"account_id": books.acct("2500"), "credit": "5000.00"},
        ],
    )
    assert net(session, books.acct("1000")) == 500000
    assert net(session, books.acct("2500")) == -500000
    got = entry_dict(get_entry(session, books.actor, entry.id))
    assert got["source_type"] == "manual" and got["memo"] == "Loan received"
    assert [(ln["debit"], ln["credit"]) for ln in got["lines"]] == [
        ("5000.00", None),
        (None, "5000.00"),
    ]
    on_2500 = list_entries(
        session, books.actor, EntryFilters(account_id=books.acct("2500")), PageRequest()
    )
    assert [e.id for e in on_2500.items] == [entry.id]
    later = EntryFilters(date_from=D + dt.timedelta(days=1))
    assert list_entries(session, books.actor, later, PageRequest()).items == []


@pytest.mark.parametrize(
    "lines",
    [
        [{"debit": "10.00"}, {"credit": "9.99"}],  # unbalanced
        [{"debit": "10.00"}],  # one line
        [{"debit": "10.00", "credit": "10.00"}, {"credit": "10.00"}],  # both sides
        [{"debit": "10.001"}, {"credit": "10.001"}],  # too many decimals
        [{"debit": "-10.00"}, {"credit": "-10.00"}],  # negative
        [{"debit": 10.0}, {"credit": 10.0}],  # floats
    ],
)
def test_an_invalid_manual_entry_is_refused_and_nothing_is_written(
    session: Session, books: Books, lines: list[dict[str, object]]
) -> None:
    accounts = [books.acct("1000"), books.acct("3000")]
    full = [{**ln, "account_id": accounts[i % 2]} for i, ln in enumerate(lines)]
    before = row_counts(session)
    with pytest.raises(ValidationFailed):
        create_manual_entry(session, books.actor, date=D, lines=full)
    assert row_counts(session) == before


def test_an_unbalanced_entry_says_by_how_much(session: Session, books: Books) -> None:
    with pytest.raises(ValidationFailed, match=r"differ by 0\.01 USD") as exc:
        create_manual_entry(
            session,
            books.actor,
            date=D,
            lines=[
                {"account_id": books.acct("1000"), "debit": "10.00"},
                {"account_id": books.acct("3000"), "credit": "9.99"},
            ],
        )
    assert exc.value.code == "unbalanced"


def test_unknown_or_other_company_accounts_are_refused(session: Session, books: Books) -> None:
    other = make_books(session)
    before = row_counts(session)
    for bad in (999999, other.acct("3000")):
        with pytest.raises(NotFound):
            create_manual_entry(
                session,
                books.actor,
                date=D,
                lines=[
                    {"account_id": books.acct("1000"), "debit": "1.00"},
                    {"account_id": bad, "credit": "1.00"},
                ],
            )
    assert row_counts(session) == before
    assert session.scalar(select(func.count()).select_from(JournalLine)) == 0


def test_only_people_with_ledger_post_write_manual_entries(session: Session, books: Books) -> None:
    lines = [
        {"account_id": books.acct("1000"), "debit": "1.00"},
        {"account_id": books.acct("3000"), "credit": "1.00"},
    ]
    app = books.app()
    # Even an app wrongly holding ledger:post cannot post: the governance rule.
    sneaky = books.app(Permission.LEDGER_POST, Permission.JOURNAL_READ)
    for actor in (app, sneaky, books.connection(), books.role(Role.VIEWER)):
        with pytest.raises(PermissionDenied):
            create_manual_entry(session, actor, date=D, lines=lines)
    create_manual_entry(session, books.role(Role.BOOKKEEPER), date=D, lines=lines)
    with pytest.raises(PermissionDenied):
        list_entries(session, books.app(Permission.INVOICES_READ), EntryFilters(), PageRequest())
    assert len(list_entries(session, app, EntryFilters(), PageRequest()).items) == 1
