"""A REST list, a web list and a direct service call return the same records for the same
filters: REST in its sync order, the page in its reading order, each the order the service
gives for it. Payments are listed on an invoice's page and accounts in a draft's edit form;
bank lines, bank accounts and journal entries have no web list, so REST meets the service."""

from __future__ import annotations

import re
from urllib.parse import urlencode

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
from tests.conftest import LiveServer
from tests.support.appconnect import server_key
from tests.support.lists import D, readers, rest_ids

__all__ = ["server_key"]

DAY = D.isoformat()  # 2026-02-02


def test_invoices_are_the_same_over_rest_the_web_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    with readers(live_server.url, sessions) as r:
        globex = r.books.customers["Globex"]
        drafts = r.three_ways(
            list_invoices,
            InvoiceFilters(status="draft", issue_date_from=D, issue_date_to=D.replace(day=7)),
            (
                "/invoices",
                {"status": "draft", "issue_date_from": DAY, "issue_date_to": "2026-02-07"},
            ),
            ("/invoices?status=draft&from=2026-02-02&to=2026-02-07", "invoice"),
            "newest",
        )
        of_globex = r.three_ways(
            list_invoices,
            InvoiceFilters(contact_id=globex),
            ("/invoices", {"contact_id": globex}),
            (f"/invoices?contact_id={globex}", "invoice"),
            "newest",
        )
    for narrowed in (drafts, of_globex):
        assert set(narrowed) < set(r.books.invoices)


def test_expenses_and_bills_are_the_same_over_rest_the_web_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    with readers(live_server.url, sessions) as r:
        bills = r.three_ways(
            list_expenses,
            ExpenseFilters(kind="bill", date_from=D.replace(day=3), date_to=D.replace(day=5)),
            ("/expenses", {"kind": "bill", "date_from": "2026-02-03", "date_to": "2026-02-05"}),
            ("/expenses?kind=bill&from=2026-02-03&to=2026-02-05", "expense"),
            "newest",
        )
        drafts = r.three_ways(
            list_expenses,
            ExpenseFilters(status="draft"),
            ("/expenses", {"status": "draft"}),
            ("/expenses?status=draft", "expense"),
            "newest",
        )
    for narrowed in (bills, drafts):
        assert set(narrowed) < set(r.books.expenses)


def test_contacts_are_the_same_over_rest_the_web_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    with readers(live_server.url, sessions) as r:
        everyone = rest_ids(r.api, "/contacts")
        for kind, q in (("customer", "co"), ("vendor", "")):
            query = {"kind": kind, **({"q": q} if q else {})}
            found = r.three_ways(
                list_contacts,
                ContactFilters(kind=kind, search=q or None),
                ("/contacts", query),
                ("/contacts?" + urlencode(query), "contact"),
                "name",
            )
            assert set(found) < set(everyone)


def test_payments_are_the_same_over_rest_the_invoice_page_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    with readers(live_server.url, sessions) as r:
        invoice_id = r.books.invoices[0]
        of_invoice = r.three_ways(
            list_payments,
            PaymentFilters(invoice_id=invoice_id),
            ("/payments", {"invoice_id": invoice_id}),
            (f"/invoices/{invoice_id}", "payment"),
            "newest",
        )
        assert set(of_invoice) < set(rest_ids(r.api, "/payments"))
        # No page lists payments by direction: REST and the service agree.
        received = PaymentFilters(direction="received")
        assert rest_ids(r.api, "/payments", direction="received") == r.service(
            list_payments, received
        )


def test_accounts_are_the_same_over_rest_a_drafts_form_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    with readers(live_server.url, sessions) as r:
        filters = AccountFilters(type="income")
        rest = rest_ids(r.api, "/accounts", type="income")
        form = r.web.get(f"/review/invoices/{r.books.invoices[5]}/edit")
        assert form.status_code == 200, form.text
        select = re.search(r'name="lines-0-account_id">(.*?)</select>', form.text, re.S)
        assert select is not None
        web = [int(i) for i in re.findall(r'<option value="(\d+)"', select.group(1))]
        assert rest == r.service(list_accounts, filters)
        assert web == r.service(list_accounts, filters, order="code")
        assert sorted(rest) == sorted(web) == sorted(r.books.income_account_ids)
        assert set(rest) < set(rest_ids(r.api, "/accounts"))


def test_bank_lines_and_bank_accounts_are_the_same_over_rest_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    with readers(live_server.url, sessions) as r:
        savings = r.books.savings_id
        filters = TransactionFilters(bank_account_id=savings, status="uncategorized")
        rest = rest_ids(
            r.api, "/bank-transactions", bank_account_id=savings, status="uncategorized"
        )
        assert rest == r.service(list_transactions, filters)
        assert len(rest) == 7 and set(rest) < set(rest_ids(r.api, "/bank-transactions"))
        assert rest_ids(r.api, "/bank-accounts") == r.service(list_bank_accounts)


def test_journal_entries_are_the_same_over_rest_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    with readers(live_server.url, sessions) as r:
        filters = EntryFilters(source_type="payment", date_from=D)
        rest = rest_ids(r.api, "/journal-entries", source_type="payment", date_from=DAY)
        assert rest == r.service(list_entries, filters)
        assert len(rest) == 4 and set(rest) < set(rest_ids(r.api, "/journal-entries"))


def test_activity_is_the_same_over_rest_the_activity_page_and_the_service(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    drafted = Event.INVOICE_DRAFTED.value
    with readers(live_server.url, sessions) as r:
        # Everything: the owner's sign-in too (a member's identity rows are the company's).
        everything = r.three_ways(
            list_activity, ActivityFilters(), ("/activity", {}), ("/activity", "activity"), "newest"
        )
        drafts = r.three_ways(
            list_activity,
            ActivityFilters(event=drafted),
            ("/activity", {"event": drafted}),
            (f"/activity?event={drafted}", "activity"),
            "newest",
        )
    assert len(drafts) == len(r.books.invoices) and set(drafts) < set(everything)
