"""Invoices and expenses: filtered lists and detail pages (with their attached files, the
credits applied to them, and the forms that act on the document: approve, record a payment,
void; see ``document_actions``). The credit-note pages share the lists' pieces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request, Response

from newledger.attachments.kinds import ALLOWED
from newledger.attachments.services import EXPENSE, INVOICE, DocumentKind, list_attachments
from newledger.config import get_settings
from newledger.identity.permissions import Permission
from newledger.ledger import contacts as contact_service
from newledger.ledger import expenses as expense_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger._common import amount_due
from newledger.ledger.contacts import ContactFilters
from newledger.ledger.credit_lookups import credits_on_document
from newledger.ledger.expense_list import ExpenseFilters, list_expenses
from newledger.ledger.invoice_list import InvoiceFilters, list_invoices
from newledger.ledger.models import Contact, Expense, Invoice, Payment
from newledger.ledger.payments import PaymentFilters, list_payments
from newledger.money import format_minor
from newledger.pagination import Page, PageRequest
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.pager import choices, page_link_errors, page_request, pager
from newledger.web.templating import render
from newledger.web.views.ledger._common import (
    account_names,
    bank_choices,
    bank_names,
    contact_names,
    date_param,
    int_param,
    item_codes,
    tax_rate_names,
)
from newledger.web.views.ledger.listing import EXPENSE_KINDS, EXPENSE_STATUSES, INVOICE_STATUSES

__all__ = [
    "ActionForm",
    "common_filters",
    "contact_choices",
    "expense_page",
    "invoice_page",
    "list_page",
    "payments_for",
    "raw_filters",
    "router",
]

router = web_router()
_invoices = require_permission(Permission.INVOICES_READ)
_expenses = require_permission(Permission.EXPENSES_READ)
_FILTER_KEYS = ("status", "contact_id", "from", "to", "kind")


def raw_filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "").strip() for k in _FILTER_KEYS}


def common_filters(
    raw: Mapping[str, str], statuses: tuple[str, ...], errors: dict[str, str]
) -> tuple[str | None, int | None, dt.date | None, dt.date | None]:
    """Status, contact and date range, with a message per field that does not parse."""
    status = raw["status"] if raw["status"] in statuses else None
    if raw["status"] and status is None:
        errors["status"] = "Unknown status."
    contact_id = int_param(raw, "contact_id", errors)
    start, end = date_param(raw, "from", errors), date_param(raw, "to", errors)
    if start and end and start > end:
        errors["to"] = "The end date is before the start date."
    return status, contact_id, start, end


def contact_choices(ctx: WebContext, kind: str) -> list[Contact]:
    """The customers or vendors a filter offers (none without ``contacts:read``)."""
    if not ctx.can(Permission.CONTACTS_READ):
        return []
    filters = ContactFilters(kind=kind)
    return list(contact_service.list_contacts(ctx.db, ctx.actor, filters, choices("name")).items)


def payments_for(ctx: WebContext, filters: PaymentFilters) -> list[Payment]:
    if not ctx.can(Permission.PAYMENTS_READ):
        return []
    return list(list_payments(ctx.db, ctx.actor, filters, choices("newest")).items)


def list_page(
    request: Request,
    ctx: WebContext,
    template: str,
    key: str,
    raw: dict[str, str],
    errors: dict[str, str],
    fetch: Callable[[PageRequest], Page[Any]],
    *,
    path: str = "",
    **values: Any,
) -> Response:
    """A filtered list page (at ``path``, default ``/<key>``): the asked-for page of ``fetch``
    under ``key``, 422 while a filter does not parse."""
    path = path or "/" + key
    asked = page_request(request, "newest")
    with page_link_errors():
        page = fetch(asked)
    values[key] = page.items
    return render(
        request,
        template,
        ctx,
        status=422 if errors else 200,
        filters=raw,
        errors=errors,
        pager=pager(path, raw, asked, page),
        **values,
    )


@dataclass
class ActionForm:
    """One of a document page's action forms (record a payment, void) as shown: its values as
    strings, and what was wrong with them after a refused submission."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None


def _payable(document: Invoice | Expense) -> bool:
    is_bill = isinstance(document, Invoice) or document.kind == "bill"
    return is_bill and document.status in ("approved", "partially_paid")


def _voidable(document: Invoice | Expense) -> bool:
    # An expense is paid when approved (no payment rows); anything else with money received or
    # paid against it keeps its payments, which must be dealt with first.
    paid_at_once = isinstance(document, Expense) and document.kind == "expense"
    untouched = document.amount_paid == 0 and document.amount_credited == 0
    return document.status in ("approved", "paid") and (paid_at_once or untouched)


def _action_forms(ctx: WebContext, document: Invoice | Expense, values: dict[str, Any]) -> None:
    """The payment and void forms the page offers this person (``ledger:post``), as submitted
    when ``values`` carries a refused one, else with their defaults: the payment is what is
    still open, today, through the first bank account in the document's currency."""
    if not ctx.can(Permission.LEDGER_POST):
        return
    if _payable(document):
        banks = bank_choices(ctx.db, document.company_id, document.currency)
        values["bank_accounts"] = banks
        values.setdefault(
            "payment_form",
            ActionForm(
                {
                    "amount": format_minor(amount_due(document), document.currency),
                    "date": dt.date.today().isoformat(),
                    "bank_account_id": str(banks[0][0]) if banks else "",
                    "reference": "",
                }
            ),
        )
    if _voidable(document):
        values.setdefault("void_form", ActionForm({"reason": ""}))


def _credits(ctx: WebContext, document: Invoice | Expense, values: dict[str, Any]) -> None:
    """The credit notes (or vendor credits) set against an invoice (or bill), and whether this
    person may start one from it: it is posted and not voided (a paid one too: its credit is
    then refunded), and they may draft that kind."""
    if isinstance(document, Expense) and document.kind != "bill":
        return
    kind, draft = (
        ("sales", Permission.INVOICES_DRAFT)
        if isinstance(document, Invoice)
        else ("purchase", Permission.EXPENSES_DRAFT)
    )
    values["credits"] = credits_on_document(ctx.db, ctx.actor, kind, document.id)
    posted = document.status in ("approved", "partially_paid", "paid")
    values["can_credit"] = ctx.can(draft) and posted


def _detail_page(
    request: Request,
    ctx: WebContext,
    template: str,
    document: Invoice | Expense,
    payments: PaymentFilters,
    kind: DocumentKind,
    *,
    status: int = 200,
    **values: Any,
) -> Response:
    """An invoice's or expense's page, with the names it shows, its payments, its attached
    files and whether this person may approve or edit it."""
    assert ctx.company is not None
    company_id = ctx.company.id
    contact_id = document.contact_id
    _action_forms(ctx, document, values)
    _credits(ctx, document, values)
    return render(
        request,
        template,
        ctx,
        status=status,
        contact_name=contact_names(ctx.db, company_id, [contact_id]).get(contact_id or 0, ""),
        accounts=account_names(ctx.db, company_id),
        tax_rates=tax_rate_names(ctx.db, company_id),
        item_codes=item_codes(ctx.db, company_id, [line.item_id for line in document.lines]),
        payments=payments_for(ctx, payments),
        banks=bank_names(ctx.db, company_id),
        attachments=list_attachments(ctx.db, ctx.actor, kind, document.id),
        attachment_types=ALLOWED,
        attachment_max_bytes=get_settings().attachment_max_bytes,
        can_post=ctx.can(Permission.LEDGER_POST),
        can_edit=ctx.can(kind.draft),
        # void_note is the same in both services: when and why the document was voided.
        voided=invoice_service.void_note(ctx.db, document),
        done=request.query_params.get("done"),
        **values,
    )


@router.get("/invoices")
def invoice_list(request: Request, ctx: WebContext = Depends(_invoices)) -> Response:
    raw, errors = raw_filters(request), dict[str, str]()
    status, contact_id, start, end = common_filters(raw, INVOICE_STATUSES, errors)
    filters = InvoiceFilters(
        status=status, contact_id=contact_id, issue_date_from=start, issue_date_to=end
    )
    return list_page(
        request,
        ctx,
        "ledger/invoices.html",
        "invoices",
        raw,
        errors,
        lambda asked: list_invoices(ctx.db, ctx.actor, filters, asked),
        customers=contact_choices(ctx, "customer"),
        statuses=INVOICE_STATUSES,
    )


def invoice_page(
    request: Request, ctx: WebContext, invoice_id: int, *, status: int = 200, **values: Any
) -> Response:
    """An invoice's page (``values``: e.g. an upload's ``attachment_error``)."""
    invoice = invoice_service.get_invoice(ctx.db, ctx.actor, invoice_id)
    return _detail_page(
        request,
        ctx,
        "ledger/invoice.html",
        invoice,
        PaymentFilters(invoice_id=invoice.id),
        INVOICE,
        status=status,
        invoice=invoice,
        **values,
    )


@router.get("/invoices/{invoice_id}")
def invoice_detail(
    request: Request, invoice_id: int, ctx: WebContext = Depends(_invoices)
) -> Response:
    return invoice_page(request, ctx, invoice_id)


@router.get("/expenses")
def expense_list(request: Request, ctx: WebContext = Depends(_expenses)) -> Response:
    raw, errors = raw_filters(request), dict[str, str]()
    status, contact_id, start, end = common_filters(raw, EXPENSE_STATUSES, errors)
    kind = raw["kind"] if raw["kind"] in EXPENSE_KINDS else None
    filters = ExpenseFilters(
        kind=kind, status=status, contact_id=contact_id, date_from=start, date_to=end
    )
    return list_page(
        request,
        ctx,
        "ledger/expenses.html",
        "expenses",
        raw,
        errors,
        lambda asked: list_expenses(ctx.db, ctx.actor, filters, asked),
        vendors=contact_choices(ctx, "vendor"),
        statuses=EXPENSE_STATUSES,
        kinds=EXPENSE_KINDS,
    )


def expense_page(
    request: Request, ctx: WebContext, expense_id: int, *, status: int = 200, **values: Any
) -> Response:
    """An expense's or bill's page (``values``: e.g. an upload's ``attachment_error``)."""
    expense = expense_service.get_expense(ctx.db, ctx.actor, expense_id)
    return _detail_page(
        request,
        ctx,
        "ledger/expense.html",
        expense,
        PaymentFilters(expense_id=expense.id),
        EXPENSE,
        status=status,
        expense=expense,
        **values,
    )


@router.get("/expenses/{expense_id}")
def expense_detail(
    request: Request, expense_id: int, ctx: WebContext = Depends(_expenses)
) -> Response:
    return expense_page(request, ctx, expense_id)
