"""The list services page by keyset and check the read permission themselves: a page never
repeats or skips a row when rows arrive between two fetches, a cursor from another list order
is refused, and an actor without the permission or from another company gets nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.audit.queries import ActivityFilters, list_activity
from newledger.errors import NotFound, PermissionDenied, ValidationFailed
from newledger.identity.permissions import DELEGABLE, Permission
from newledger.ledger.accounts import AccountFilters, get_account, list_accounts
from newledger.ledger.bank import (
    TransactionFilters,
    get_transaction,
    list_bank_accounts,
    list_transactions,
)
from newledger.ledger.contacts import ContactFilters, get_contact, list_contacts
from newledger.ledger.expense_list import ExpenseFilters, list_expenses
from newledger.ledger.expenses import get_expense
from newledger.ledger.invoice_list import InvoiceFilters, list_invoices
from newledger.ledger.invoices import create_draft_invoice, get_invoice
from newledger.ledger.journal import EntryFilters, get_entry, list_entries
from newledger.ledger.payments import PaymentFilters, get_payment, list_payments
from newledger.pagination import MAX_LIMIT, PageRequest
from tests.support.books import Books, make_books

D = dt.date(2026, 4, 1)


def _draft(session: Session, books: Books, day: dt.date) -> int:
    invoice = create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=day,
        lines=[{"description": "Work", "unit_price": "10.00"}],
    )
    return invoice.id


def _walk_with_arrivals(
    sessions: sessionmaker[Session], order: str, arrivals: list[dt.date]
) -> tuple[list[int], list[int], list[int]]:
    """Page through 9 invoices three at a time in ``order``; after the first page, invoices
    dated ``arrivals`` are committed. Returns (ids seen, the 9 first ids, the new ids)."""
    with sessions.begin() as s:
        books = make_books(s)
        company_id = books.company.id
        first = [_draft(s, books, D + dt.timedelta(days=i % 4)) for i in range(9)]
    seen: list[int] = []
    cursor: str | None = None
    added: list[int] = []
    while True:
        with sessions() as s:
            actor = Actor("user", company_id, DELEGABLE, label="reader")
            page = list_invoices(s, actor, InvoiceFilters(), PageRequest(3, cursor, order=order))
        seen += [row.id for row in page.items]
        cursor = page.next_cursor
        if not added:
            with sessions.begin() as s:
                books = make_books(s)  # another company's invoices must never show up
                _draft(s, books, D)
            with sessions.begin() as s:
                writer = Actor("user", company_id, frozenset(Permission), label="writer")
                for day in arrivals:
                    invoice = create_draft_invoice(
                        s,
                        writer,
                        contact_id=_customer(s, company_id),
                        issue_date=day,
                        lines=[{"description": "Late", "unit_price": "5.00"}],
                    )
                    added.append(invoice.id)
        if cursor is None:
            return seen, first, added


def _customer(session: Session, company_id: int) -> int:
    actor = Actor("user", company_id, DELEGABLE, label="reader")
    found = list_contacts(session, actor, ContactFilters(kind="customer"), PageRequest())
    return found.items[0].id


def test_a_sync_walk_sees_every_row_once_and_rows_added_meanwhile_at_the_end(
    sessions: sessionmaker[Session],
) -> None:
    seen, first, added = _walk_with_arrivals(sessions, "changed", [D, D + dt.timedelta(days=9)])
    assert len(seen) == len(set(seen))
    assert seen == first + added  # the 9 in creation order, then the 2 that arrived


def test_a_newest_first_walk_neither_repeats_nor_skips_when_rows_arrive_between_pages(
    sessions: sessionmaker[Session],
) -> None:
    # One invoice lands before the first page's position (never shown: it is "newer"), one
    # after it (shown in its place further down).
    early, late = D + dt.timedelta(days=30), D - dt.timedelta(days=30)
    seen, first, added = _walk_with_arrivals(sessions, "newest", [early, late])
    assert len(seen) == len(set(seen))
    assert set(first) <= set(seen)
    assert added[1] in seen and added[0] not in seen
    assert seen[-1] == added[1]


def test_a_cursor_of_another_order_or_tampered_is_refused_on_the_field_cursor(
    session: Session,
) -> None:
    books = make_books(session)
    for day in (D, D, D + dt.timedelta(days=1)):
        _draft(session, books, day)
    page = list_invoices(session, books.actor, InvoiceFilters(), PageRequest(limit=1))
    assert page.next_cursor is not None
    for cursor in (page.next_cursor, page.next_cursor[:-3], "bm90LWpzb24", "WzEsIDJd"):
        with pytest.raises(ValidationFailed) as refused:
            list_invoices(
                session, books.actor, InvoiceFilters(), PageRequest(1, cursor, order="newest")
            )
        assert refused.value.errors == {"cursor": "invalid cursor"}


ListService = Callable[..., Any]
# Each list service, the filters it takes (none for bank accounts) and its read permission.
LISTS: list[tuple[ListService, tuple[Any, ...], Permission]] = [
    (list_invoices, (InvoiceFilters(),), Permission.INVOICES_READ),
    (list_expenses, (ExpenseFilters(),), Permission.EXPENSES_READ),
    (list_contacts, (ContactFilters(),), Permission.CONTACTS_READ),
    (list_payments, (PaymentFilters(),), Permission.PAYMENTS_READ),
    (list_transactions, (TransactionFilters(),), Permission.BANK_READ),
    (list_bank_accounts, (), Permission.BANK_READ),
    (list_accounts, (AccountFilters(),), Permission.ACCOUNTS_READ),
    (list_entries, (EntryFilters(),), Permission.JOURNAL_READ),
    (list_activity, (ActivityFilters(),), Permission.ACTIVITY_READ),
]


@pytest.mark.parametrize(
    ("service", "filters", "permission"), LISTS, ids=[s.__name__ for s, *_ in LISTS]
)
def test_every_list_service_checks_its_read_permission_and_keeps_to_the_actors_company(
    session: Session, service: ListService, filters: tuple[Any, ...], permission: Permission
) -> None:
    books = make_books(session)
    other = make_books(session)
    _draft(session, other, D)
    page = PageRequest(limit=MAX_LIMIT)
    without = Actor("app", books.company.id, DELEGABLE - {permission}, app_id=3, label="Bot")
    with pytest.raises(PermissionDenied) as refused:
        service(session, without, *filters, page)
    assert refused.value.required == (permission,)
    with pytest.raises(PermissionDenied):
        service(
            session, Actor("user", None, frozenset(Permission), label="nowhere"), *filters, page
        )
    allowed = Actor("app", books.company.id, frozenset({permission}), app_id=3, label="Bot")
    mine = {row.id for row in service(session, allowed, *filters, page).items}
    theirs = {row.id for row in service(session, other.actor, *filters, page).items}
    assert mine.isdisjoint(theirs)  # unscoped, the other company's rows would show in both
    with pytest.raises(ValidationFailed):
        service(session, allowed, *filters, PageRequest(order="sideways"))


def test_each_record_kind_has_one_checked_lookup_that_keeps_to_the_company(
    session: Session,
) -> None:
    books = make_books(session)
    other = make_books(session)
    invoice_id = _draft(session, books, D)
    lookups: list[tuple[Callable[..., Any], Permission, int]] = [
        (get_invoice, Permission.INVOICES_READ, invoice_id),
        (get_contact, Permission.CONTACTS_READ, books.customer.id),
        (get_account, Permission.ACCOUNTS_READ, books.acct("4000")),
    ]
    for lookup, permission, record_id in lookups:
        assert lookup(session, books.actor, record_id).id == record_id
        without = Actor("app", books.company.id, DELEGABLE - {permission}, label="Bot")
        with pytest.raises(PermissionDenied):
            lookup(session, without, record_id)
        with pytest.raises(NotFound):
            lookup(session, other.actor, record_id)
    for lookup in (get_expense, get_payment, get_transaction, get_entry):
        with pytest.raises(NotFound):
            lookup(session, books.actor, 987654)
