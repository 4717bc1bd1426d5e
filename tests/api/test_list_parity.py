"""A REST list, a web list and a direct service call return the same records for the same
filters: REST in its sync order, the page in its reading order, each the order the service
gives for it. Payments are listed on an invoice's page and accounts in a draft's edit form;
bank lines, bank accounts and journal entries have no web list, so REST meets the service."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.queries import ActivityFilters, list_activity
from newledger.audit.tags import Event
from newledger.ledger.accounts import AccountFilters, list_accounts
from newledger.ledger.bank import TransactionFilters, list_bank_accounts, list_transactions
from newledger.ledger.contacts import ContactFilters, list_contacts
from newledger.ledger.expense_list import ExpenseFilters, list_expenses
from newledger.ledger.invoice_list import InvoiceFilters, list_invoices
from newledger.ledger.journal import EntryFilters, list_entries
from newledger.ledger.payments import PaymentFilters, list_payments
from tests.api.list_parity_support import (
    D,
    make_parity_books,
    rest_ids,
    rest_reader,
    service_ids,
    web_client,
    web_ids,
)
from tests.appconnect_support import server_key
from tests.conftest import LiveServer

__all__ = ["server_key"]


def _same_records(rest: list[int], web: list[int], narrowed_from: list[int]) -> None:
    assert rest and sorted(rest) == sorted(web)
    assert len(set(rest)) == len(rest)
    assert set(rest) < set(narrowed_from)  # the filters did narrow the list


def test_invoices_are_the_same_over_rest_the_web_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_parity_books(sessions)
    api = rest_reader(live_server.url, sessions, books)
    globex = books.customers["Globex"]
    cases = [
        (
            InvoiceFilters(status="draft", issue_date_from=D, issue_date_to=D.replace(day=7)),
            {"status": "draft", "issue_date_from": "2026-02-02", "issue_date_to": "2026-02-07"},
            {"status": "draft", "from": "2026-02-02", "to": "2026-02-07"},
        ),
        (InvoiceFilters(contact_id=globex), {"contact_id": globex}, {"contact_id": globex}),
    ]
    with web_client(live_server.url, books) as c:
        for filters, rest_params, web_params in cases:
            rest = rest_ids(api, "/invoices", **rest_params)
            web = web_ids(c, "/invoices?" + _query(web_params), "invoice")
            assert rest == service_ids(sessions, books, list_invoices, filters)
            assert web == service_ids(sessions, books, list_invoices, filters, order="newest")
            _same_records(rest, web, books.invoices)


def test_expenses_and_bills_are_the_same_over_rest_the_web_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_parity_books(sessions)
    api = rest_reader(live_server.url, sessions, books)
    cases = [
        (
            ExpenseFilters(kind="bill", date_from=D.replace(day=3), date_to=D.replace(day=5)),
            {"kind": "bill", "date_from": "2026-02-03", "date_to": "2026-02-05"},
            {"kind": "bill", "from": "2026-02-03", "to": "2026-02-05"},
        ),
        (ExpenseFilters(status="draft"), {"status": "draft"}, {"status": "draft"}),
    ]
    with web_client(live_server.url, books) as c:
        for filters, rest_params, web_params in cases:
            rest = rest_ids(api, "/expenses", **rest_params)
            web = web_ids(c, "/expenses?" + _query(web_params), "expense")
            assert rest == service_ids(sessions, books, list_expenses, filters)
            assert web == service_ids(sessions, books, list_expenses, filters, order="newest")
            _same_records(rest, web, books.expenses)


def test_contacts_are_the_same_over_rest_the_web_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_parity_books(sessions)
    api = rest_reader(live_server.url, sessions, books)
    everyone = rest_ids(api, "/contacts")
    with web_client(live_server.url, books) as c:
        for kind, q in (("customer", "co"), ("vendor", "")):
            filters = ContactFilters(kind=kind, search=q or None)
            rest = rest_ids(api, "/contacts", kind=kind, **({"q": q} if q else {}))
            web = web_ids(c, "/contacts?" + _query({"kind": kind, "q": q}), "contact")
            assert rest == service_ids(sessions, books, list_contacts, filters)
            assert web == service_ids(sessions, books, list_contacts, filters, order="name")
            _same_records(rest, web, everyone)


def test_payments_are_the_same_over_rest_the_invoice_page_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_parity_books(sessions)
    api = rest_reader(live_server.url, sessions, books)
    invoice_id = books.invoices[0]
    filters = PaymentFilters(invoice_id=invoice_id)
    rest = rest_ids(api, "/payments", invoice_id=invoice_id)
    with web_client(live_server.url, books) as c:
        web = web_ids(c, f"/invoices/{invoice_id}", "payment")
    assert rest == service_ids(sessions, books, list_payments, filters)
    assert web == service_ids(sessions, books, list_payments, filters, order="newest")
    _same_records(rest, web, rest_ids(api, "/payments"))
    # No page lists payments by direction: REST and the service agree.
    received = PaymentFilters(direction="received")
    assert rest_ids(api, "/payments", direction="received") == service_ids(
        sessions, books, list_payments, received
    )


def test_accounts_are_the_same_over_rest_a_drafts_form_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_parity_books(sessions)
    api = rest_reader(live_server.url, sessions, books)
    filters = AccountFilters(type="income")
    rest = rest_ids(api, "/accounts", type="income")
    with web_client(live_server.url, books) as c:
        form = c.get(f"/review/invoices/{books.invoices[5]}/edit")
    assert form.status_code == 200, form.text
    select = re.search(r'name="lines-0-account_id">(.*?)</select>', form.text, re.S)
    assert select is not None
    web = [int(i) for i in re.findall(r'<option value="(\d+)"', select.group(1))]
    assert rest == service_ids(sessions, books, list_accounts, filters)
    assert web == service_ids(sessions, books, list_accounts, filters, order="code")
    _same_records(rest, web, rest_ids(api, "/accounts"))
    assert sorted(rest) == sorted(books.income_account_ids)


def test_bank_lines_and_bank_accounts_are_the_same_over_rest_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_parity_books(sessions)
    api = rest_reader(live_server.url, sessions, books)
    filters = TransactionFilters(bank_account_id=books.savings_id, status="uncategorized")
    rest = rest_ids(
        api, "/bank-transactions", bank_account_id=books.savings_id, status="uncategorized"
    )
    assert rest == service_ids(sessions, books, list_transactions, filters)
    assert len(rest) == 7 and set(rest) < set(rest_ids(api, "/bank-transactions"))
    assert rest_ids(api, "/bank-accounts") == service_ids(sessions, books, list_bank_accounts)


def test_journal_entries_are_the_same_over_rest_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_parity_books(sessions)
    api = rest_reader(live_server.url, sessions, books)
    filters = EntryFilters(source_type="payment", date_from=D)
    rest = rest_ids(api, "/journal-entries", source_type="payment", date_from="2026-02-02")
    assert rest == service_ids(sessions, books, list_entries, filters)
    assert len(rest) == 4 and set(rest) < set(rest_ids(api, "/journal-entries"))


def test_activity_is_the_same_over_rest_the_activity_page_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_parity_books(sessions)
    api = rest_reader(live_server.url, sessions, books)
    drafted = Event.INVOICE_DRAFTED.value
    with web_client(live_server.url, books) as c:
        # Everything (the owner's sign-in included: a member's identity rows are the
        # company's too), and one event.
        for filters, params in ((ActivityFilters(), {}), (ActivityFilters(event=drafted), {})):
            params = {"event": filters.event} if filters.event else {}
            rest = rest_ids(api, "/activity", **params)
            web = web_ids(c, "/activity?" + _query(params), "activity")
            assert rest == service_ids(sessions, books, list_activity, filters)
            assert web == service_ids(sessions, books, list_activity, filters, order="newest")
            assert rest and sorted(rest) == sorted(web)
        assert len(rest) == len(books.invoices)


def _query(params: dict[str, object]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items() if v)
