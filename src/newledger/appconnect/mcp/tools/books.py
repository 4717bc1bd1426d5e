"""Tools over the books: invoices, expenses and bills, credit notes and vendor credits,
contacts, items, bank transactions and categorization hints. Lists are pages of at most
``limit`` records with a cursor and a total, read by the same list services as REST API v1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from newledger.appconnect.mcp.call import McpCall, page_url
from newledger.appconnect.mcp.tools import models
from newledger.appconnect.mcp.tools.registry import tool
from newledger.appconnect.mcp.tools.results import guarded, success
from newledger.identity.permissions import Permission
from newledger.ledger import bank, contacts, credit_notes, expense_list, invoice_list, items
from newledger.ledger.categorize import hint_amount, suggest
from newledger.ledger.credit_kinds import KINDS, credit_kind
from newledger.ledger.credit_note_dict import credit_note_summary
from newledger.ledger.expense_list import ExpenseFilters, expense_summary
from newledger.ledger.invoice_list import InvoiceFilters, invoice_summary
from newledger.ledger.invoices import get_invoice as load_invoice
from newledger.ledger.invoices import invoice_dict
from newledger.ledger.models import Item
from newledger.ledger.payments import PaymentFilters, list_payments, payment_dict
from newledger.pagination import PageRequest

__all__ = ["contact_out", "credit_note_out", "expense_out", "invoice_out"]

MAX_PAGE = 100
Limit = Annotated[int, Field(ge=1, le=MAX_PAGE, description=f"Page size, 1 to {MAX_PAGE}")]
Cursor = Annotated[
    str | None, Field(max_length=200, description="`next_cursor` of the previous page")
]
Day = Annotated[dt.date | None, Field(description="ISO 8601 date (YYYY-MM-DD)")]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
DocStatus = Literal["draft", "approved", "partially_paid", "paid", "voided", "rejected"]
Search = Annotated[str | None, Field(max_length=100, description="Contains this, any case")]


def _newest(limit: int, cursor: str | None) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor or None, order="newest")


def invoice_out(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "url": page_url(f"/invoices/{row['id']}")}


def expense_out(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "url": page_url(f"/expenses/{row['id']}")}


def credit_note_out(row: dict[str, Any]) -> dict[str, Any]:
    """With the link to its page: ``/credit-notes/{id}`` or ``/vendor-credits/{id}``."""
    pages = "credit-notes" if row["kind"] == "sales" else "vendor-credits"
    return {**row, "url": page_url(f"/{pages}/{row['id']}")}


def contact_out(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "url": page_url(f"/contacts/{row['id']}")}


def _more(total: int, shown: int, cursor: str | None) -> str:
    return f" Showing {shown} of {total}; pass cursor for more." if cursor else ""


def _listing(
    model: type[BaseModel],
    key: str,
    rows: list[dict[str, Any]],
    total: int,
    next_cursor: str | None,
    heading: str,
    line: Callable[[dict[str, Any]], str],
    **extra: Any,
) -> CallToolResult:
    """A list tool's reply: ``heading`` (the count), the first ten rows as ``line`` words them and
    the paging hint as text; the rows under ``key`` with the total and cursor as data."""
    listed = "; ".join(line(r) for r in rows[:10])
    text = heading + (f" {listed}." if rows else "") + _more(total, len(rows), next_cursor)
    return success(text, model, {key: rows, "total": total, "next_cursor": next_cursor, **extra})


@tool("search_invoices", "Search invoices", Permission.INVOICES_READ)
async def search_invoices(
    search: Annotated[Search, Field(description="Invoice number or customer name contains")] = None,
    status: DocStatus | None = None,
    contact_id: Annotated[Id | None, Field(description="Only this customer's")] = None,
    issued_from: Day = None,
    issued_to: Day = None,
    due_to: Annotated[Day, Field(description="Due on or before this day")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, models.InvoicesOut]:
    """Search and list invoices, newest issue date first: number, customer, dates, status,
    total, amount paid and amount due. Unpaid: status approved or partially_paid. Use
    get_invoice for lines and payments."""

    def work(call: McpCall) -> CallToolResult:
        filters = InvoiceFilters(
            status=status,
            contact_id=contact_id,
            issue_date_from=issued_from,
            issue_date_to=issued_to,
            due_date_to=due_to,
            search=search,
        )
        page = invoice_list.list_invoices(call.session, call.actor, filters, _newest(limit, cursor))
        total = invoice_list.count_invoices(call.session, call.actor, filters)
        rows = [invoice_out(invoice_summary(r)) for r in page.items]
        return _listing(
            models.InvoicesOut,
            "invoices",
            rows,
            total,
            page.next_cursor,
            f"{total} invoice(s) match.",
            lambda r: (
                f"{r['number']} {r['contact_name']} {r['total']} {r['currency']} {r['status']}"
                f" (due {r['amount_due']}, {r['due_date']})"
            ),
        )

    return await guarded(work)


@tool("get_invoice", "Get an invoice", Permission.INVOICES_READ)
async def get_invoice(
    invoice_id: Annotated[Id, Field(description="The invoice's id (from search_invoices)")],
) -> Annotated[CallToolResult, models.InvoiceDetailOut]:
    """One invoice with its lines and the payments received against it (payments need the
    payments:read permission; without it `payments` is null)."""

    def work(call: McpCall) -> CallToolResult:
        invoice = load_invoice(call.session, call.actor, invoice_id)
        data = invoice_out(
            {**invoice_dict(invoice), "contact_name": invoice.contact.name, "payments": None}
        )
        cur = invoice.currency
        text = (
            f"Invoice {invoice.number} to {invoice.contact.name}: {data['total']} {cur}, "
            f"{invoice.status}, issued {data['issue_date']}, due {data['due_date']}, "
            f"amount due {data['amount_due']} {cur}."
        )
        if call.actor.can(Permission.PAYMENTS_READ):
            page = list_payments(
                call.session,
                call.actor,
                PaymentFilters(invoice_id=invoice.id),
                PageRequest(limit=MAX_PAGE),
            )
            data["payments"] = [payment_dict(p) for p in page.items]
            paid = ", ".join(f"{p['amount']} on {p['date']}" for p in data["payments"])
            text += f" Payments: {paid}." if paid else " No payments yet."
        else:
            text += " (Payments hidden: this connection lacks payments:read.)"
        return success(text, models.InvoiceDetailOut, data)

    return await guarded(work)


@tool("list_expenses", "List expenses and bills", Permission.EXPENSES_READ)
async def list_expenses(
    kind: Annotated[
        Literal["expense", "bill"] | None,
        Field(description="expense: paid at once from a bank account; bill: owed to a vendor"),
    ] = None,
    status: DocStatus | None = None,
    contact_id: Annotated[Id | None, Field(description="Only this vendor's")] = None,
    date_from: Day = None,
    date_to: Day = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, models.ExpensesOut]:
    """List expenses and bills, newest first: vendor, date, status, total, amount paid and
    due. For spend per category use expenses_by_category."""

    def work(call: McpCall) -> CallToolResult:
        filters = ExpenseFilters(
            kind=kind, status=status, contact_id=contact_id, date_from=date_from, date_to=date_to
        )
        page = expense_list.list_expenses(call.session, call.actor, filters, _newest(limit, cursor))
        total = expense_list.count_expenses(call.session, call.actor, filters)
        rows = [expense_out(expense_summary(r)) for r in page.items]
        return _listing(
            models.ExpensesOut,
            "expenses",
            rows,
            total,
            page.next_cursor,
            f"{total} expense(s) and bill(s) match.",
            lambda r: (
                f"{r['date']} {r['contact_name'] or r['description'] or r['kind']} {r['total']} "
                f"{r['currency']} {r['status']}"
            ),
        )

    return await guarded(work)


def _kind_read(arguments: Mapping[str, Any]) -> tuple[Permission, ...]:
    """``list_credit_notes`` reads with the permission of the kind asked for (an unknown kind
    needs none here: the argument's own validation refuses it)."""
    kind = arguments.get("kind", "sales")
    return (credit_kind(kind).read,) if isinstance(kind, str) and kind in KINDS else ()


@tool("list_credit_notes", "List credit notes or vendor credits", per_call=_kind_read)
async def list_credit_notes(
    kind: Annotated[
        Literal["sales", "purchase"],
        Field(
            description="sales: credit notes to customers (needs invoices:read); purchase: "
            "credits from vendors (needs expenses:read)"
        ),
    ] = "sales",
    status: Annotated[
        Literal["draft", "approved", "applied", "voided", "rejected"] | None,
        Field(description="approved: something is left to allocate or refund; applied: none"),
    ] = None,
    contact_id: Annotated[Id | None, Field(description="Only this customer's or vendor's")] = None,
    date_from: Day = None,
    date_to: Day = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, models.CreditNotesOut]:
    """List credit notes (to customers) or vendor credits (from vendors), newest first: number,
    contact, date, status, total and what remains to allocate or refund."""

    def work(call: McpCall) -> CallToolResult:
        filters = credit_notes.CreditNoteFilters(
            kind=kind, status=status, contact_id=contact_id, date_from=date_from, date_to=date_to
        )
        page = credit_notes.list_credit_notes(
            call.session, call.actor, filters, _newest(limit, cursor)
        )
        total = credit_notes.count_credit_notes(call.session, call.actor, filters)
        rows = [credit_note_out(credit_note_summary(n)) for n in page.items]
        noun = "credit note(s)" if kind == "sales" else "vendor credit(s)"
        return _listing(
            models.CreditNotesOut,
            "credit_notes",
            rows,
            total,
            page.next_cursor,
            f"{total} {noun} match.",
            lambda r: (
                f"{r['number']} {r['contact_name']} {r['total']} {r['currency']} {r['status']}"
                f" (remaining {r['remaining']}, {r['date']})"
            ),
        )

    return await guarded(work)


@tool("search_contacts", "Search contacts", Permission.CONTACTS_READ)
async def search_contacts(
    search: Annotated[Search, Field(description="Name or email contains")] = None,
    kind: Annotated[
        Literal["customer", "vendor"] | None,
        Field(description="customer or vendor (contacts that are both match either)"),
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, models.ContactsOut]:
    """Find customers and vendors by name or email, to get the contact_id that invoices,
    expenses and drafts take."""

    def work(call: McpCall) -> CallToolResult:
        filters = contacts.ContactFilters(kind=kind, search=search)
        request = PageRequest(limit=limit, cursor=cursor or None, order="name")
        page = contacts.list_contacts(call.session, call.actor, filters, request)
        total = contacts.count_contacts(call.session, call.actor, filters)
        rows = [contact_out(contacts.contact_dict(c)) for c in page.items]
        return _listing(
            models.ContactsOut,
            "contacts",
            rows,
            total,
            page.next_cursor,
            f"{total} contact(s) match.",
            lambda r: f"{r['name']} (id {r['id']}, {r['kind']})",
        )

    return await guarded(work)


def _item_out(item: Item) -> dict[str, Any]:
    row = items.item_dict(item)
    return {k: v for k, v in row.items() if k not in ("version", "created_at", "updated_at")}


@tool("list_items", "List items (products and services)", Permission.ACCOUNTS_READ)
async def list_items(
    search: Annotated[Search, Field(description="Code or name contains")] = None,
    include_archived: Annotated[bool, Field(description="Archived items too")] = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, models.ItemsOut]:
    """The company's products and services by code: name, default unit price, income and
    expense accounts and tax rate. A line of create_invoice_draft or create_expense_draft may
    name one (item_id or item_code) and leave out what the item gives."""

    def work(call: McpCall) -> CallToolResult:
        filters = items.ItemFilters(include_archived=include_archived, search=search)
        request = PageRequest(limit=limit, cursor=cursor or None, order="code")
        page = items.list_items(call.session, call.actor, filters, request)
        total = items.count_items(call.session, call.actor, filters)
        rows = [_item_out(i) for i in page.items]
        return _listing(
            models.ItemsOut,
            "items",
            rows,
            total,
            page.next_cursor,
            f"{total} item(s) match.",
            lambda r: (
                f"{r['code']} {r['name']}"
                + (f" at {r['unit_price']}" if r["unit_price"] is not None else "")
                + (" (archived)" if not r["is_active"] else "")
            ),
            url=page_url("/settings/items"),
        )

    return await guarded(work)


@tool("uncategorized_bank_transactions", "Uncategorized bank transactions", Permission.BANK_READ)
async def uncategorized_bank_transactions(
    bank_account_id: Annotated[Id | None, Field(description="Only this bank account's")] = None,
    date_from: Day = None,
    date_to: Day = None,
    search: Annotated[Search, Field(description="Description contains")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, models.BankTransactionsOut]:
    """Imported bank transactions nobody has categorized or matched yet, newest first
    (amounts signed: money in positive). Pair with suggest_category for each."""

    def work(call: McpCall) -> CallToolResult:
        filters = bank.TransactionFilters(
            bank_account_id=bank_account_id,
            status="uncategorized",
            date_from=date_from,
            date_to=date_to,
            search=search,
        )
        page = bank.list_transactions(call.session, call.actor, filters, _newest(limit, cursor))
        total = bank.count_transactions(call.session, call.actor, filters)
        rows = [bank.transaction_dict(t) for t in page.items]
        return _listing(
            models.BankTransactionsOut,
            "transactions",
            rows,
            total,
            page.next_cursor,
            f"{total} uncategorized transaction(s).",
            lambda r: (
                f"{r['date']} {r['description']} {r['amount']} {r['currency']} (id {r['id']})"
            ),
            url=page_url("/review"),
        )

    return await guarded(work)


@tool("suggest_category", "Suggest an expense category", Permission.EXPENSES_READ)
async def suggest_category(
    description: Annotated[
        str, Field(min_length=1, max_length=500, description="What was bought, as on the receipt")
    ],
    contact_id: Annotated[Id | None, Field(description="The vendor, if it is a contact")] = None,
    vendor: Annotated[
        str | None, Field(max_length=200, description="The vendor's name when not a contact")
    ] = None,
    amount: Annotated[
        str | None,
        Field(pattern=r"^-?\d{1,13}(\.\d{1,4})?$", description="Decimal amount, e.g. 42.50"),
    ] = None,
    currency: Annotated[str | None, Field(pattern=r"^[A-Z]{3}$")] = None,
) -> Annotated[CallToolResult, models.SuggestionOut]:
    """Which expense account a purchase probably belongs to, with confidence and the evidence
    from the company's own approved history (vendor first, then similar descriptions). It
    abstains when unsure. Advice only: nothing is categorized or posted."""

    def work(call: McpCall) -> CallToolResult:
        minor = hint_amount(call.session, call.company_id, amount, currency)
        who: int | str | None = contact_id if contact_id is not None else vendor
        hint = suggest(call.session, call.actor, call.company_id, description, who, minor)
        data = hint.to_json()
        if hint.abstained:
            text = f"No confident suggestion: {hint.evidence}"
        else:
            text = (
                f"Suggest {hint.account_code} {hint.account_name} "
                f"(confidence {hint.confidence:.2f}): {hint.evidence}"
            )
        return success(text, models.SuggestionOut, data)

    return await guarded(work, thread=True)
