"""The draft form, one for every way to reach it: a new invoice, bill or expense (from the
Invoices and Expenses lists), and an edit of a draft (from its own page, or from the review
queue, whose routes live in ``review.py``). Credit notes and vendor credits use the same form
and machinery (their kinds and routes are in ``credit_drafts.py``).

Saving goes through the same services as the API (``create_draft_*`` / ``update_draft_*``), so a
person's draft is a draft like an app's: it waits in the review queue until someone holding
``ledger:post`` approves it. A refused form comes back with what was typed and each field's
message; "Add line" and "Remove" come back with the rows changed and nothing saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from newledger.actor import Actor
from newledger.errors import Conflict, InvalidState, NotFound, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger import expenses as expense_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger.accounts import AccountFilters, list_accounts
from newledger.ledger.contacts import ContactFilters, list_contacts
from newledger.ledger.expense_lines import EXPENSE_KINDS
from newledger.ledger.items import ItemFilters, get_item, list_items
from newledger.ledger.models import Account, CreditNote, Expense, Invoice
from newledger.ledger.tax_rates import TaxRateFilters, list_tax_rates
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.pager import choices
from newledger.web.templating import render
from newledger.web.views.ledger._common import posted_form, tax_rate_label
from newledger.web.views.ledger.credit_common import credit_label
from newledger.web.views.ledger.forms import (
    EXPENSE_LINE_FIELDS,
    INVOICE_LINE_FIELDS,
    DraftForm,
    expense_changes,
    expense_form,
    form_version,
    invoice_changes,
    invoice_form,
    line_action,
    new_expense_form,
    new_invoice_form,
    select_id,
)

__all__ = [
    "EXPENSES",
    "INVOICES",
    "DraftKind",
    "Place",
    "add_edit_routes",
    "contact_param",
    "document_label",
    "done_url",
    "draft_page",
    "new_place",
    "router",
    "save_draft",
    "saved_to_page",
]

router = web_router()
Document = Invoice | Expense | CreditNote


def document_label(document: Document) -> str:
    """``Invoice INV-00001``, ``Bill #7``, ``Expense #8``, ``Credit note CN-00001``,
    ``Vendor credit VC-00001``."""
    if isinstance(document, Invoice):
        return f"Invoice {document.number}"
    if isinstance(document, CreditNote):
        return credit_label(document)
    return f"{document.kind.capitalize()} #{document.id}"


def _create_invoice(db: Session, actor: Actor, changes: dict[str, Any]) -> Invoice:
    # An empty due date means "by the customer's payment terms" (the service's default).
    return invoice_service.create_draft_invoice(
        db, actor, **{**changes, "due_date": changes["due_date"] or None}
    )


def _create_expense(db: Session, actor: Actor, changes: dict[str, Any]) -> Expense:
    return expense_service.create_draft_expense(db, actor, **changes)


def _no_more(ctx: WebContext, form: DraftForm, document: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class DraftKind:
    """One kind of draft document: its services, its form, and who may draft it."""

    path: str  # "invoices" | "expenses" | "credit-notes" | "vendor-credits": its list and pages
    form_kind: str  # invoice | expense | credit_note | vendor_credit: which form the page shows
    draft: Callable[..., WebContext]  # the dependency that may draft and edit it
    get: Callable[[Session, Actor, int], Document]
    create: Callable[[Session, Actor, dict[str, Any]], Document]
    update: Callable[..., Document]
    form: Callable[[Any], DraftForm]
    changes: Callable[[FormData], tuple[DraftForm, dict[str, Any]]]
    # More for the form's page (a credit note's open documents to apply it to); it may also
    # give the form labels for its fields.
    more: Callable[[WebContext, DraftForm, Any], dict[str, Any]] = _no_more
    list_label: str = ""  # where Cancel on a new draft goes back to: "Invoices", …

    @property
    def is_invoice(self) -> bool:
        return self.form_kind == "invoice"

    @property
    def sales(self) -> bool:
        """A customer's document: customers, income accounts and sales tax rates."""
        return self.form_kind in ("invoice", "credit_note")

    @property
    def line_fields(self) -> tuple[str, ...]:
        return EXPENSE_LINE_FIELDS if self.form_kind == "expense" else INVOICE_LINE_FIELDS

    def new_title(self, form: DraftForm) -> str:
        if self.form_kind == "expense":
            return "New bill" if form.values.get("kind") == "bill" else "New expense"
        return "New " + self.form_kind.replace("_", " ")

    def page_url(self, document: Document) -> str:
        return f"/{self.path}/{document.id}"


INVOICES = DraftKind(
    "invoices",
    "invoice",
    require_permission(Permission.INVOICES_DRAFT, Permission.INVOICES_READ),
    invoice_service.get_invoice,
    _create_invoice,
    invoice_service.update_draft_invoice,
    invoice_form,
    invoice_changes,
    list_label="Invoices",
)
EXPENSES = DraftKind(
    "expenses",
    "expense",
    require_permission(Permission.EXPENSES_DRAFT, Permission.EXPENSES_READ),
    expense_service.get_expense,
    _create_expense,
    expense_service.update_draft_expense,
    expense_form,
    expense_changes,
    list_label="Expenses",
)


@dataclass(frozen=True)
class Place:
    """Where the form posts, and where Cancel goes back to."""

    action: str
    back: str
    back_label: str


def _accounts(ctx: WebContext, filters: AccountFilters) -> Sequence[Account]:
    return list_accounts(ctx.db, ctx.actor, filters, choices("code")).items


def _tax_rates(ctx: WebContext, sales: bool) -> list[tuple[int, str]]:
    """(id, label) of the active rates a line of this kind of document may carry (sales rates
    on invoices and credit notes, purchase rates on expenses, bills and vendor credits; "both"
    on either)."""
    if not ctx.can(Permission.ACCOUNTS_READ):
        return []
    kind = "sales" if sales else "purchase"
    rates = list_tax_rates(ctx.db, ctx.actor, TaxRateFilters(kind=kind), choices("name")).items
    return [(r.id, tax_rate_label(r.name, r.rate)) for r in rates]


def _items(ctx: WebContext, form: DraftForm) -> list[tuple[int, str]]:
    """(id, label) of the items a line may pick: the active ones, and any the form's lines
    already name that has been archived since (shown so, and refused on save), so a draft
    that names one does not lose it unseen."""
    if not ctx.can(Permission.ACCOUNTS_READ):
        return []
    items = list_items(ctx.db, ctx.actor, ItemFilters(), choices("code")).items
    options = [(item.id, f"{item.code} · {item.name}") for item in items]
    offered = {item_id for item_id, _ in options}
    named = {line.get("item_id", "") for line in form.lines} - {""}
    for value in sorted(named):
        item_id = select_id(value)
        if not isinstance(item_id, int) or item_id in offered:
            continue
        try:
            gone = get_item(ctx.db, ctx.actor, item_id)
        except NotFound:
            continue  # not this company's: the service refuses it on save
        options.append((gone.id, f"{gone.code} · {gone.name} (archived)"))
    return options


def draft_page(
    request: Request,
    ctx: WebContext,
    kind: DraftKind,
    form: DraftForm,
    place: Place,
    *,
    document: Document | None = None,
    status: int = 200,
) -> Response:
    """The form for a new draft (``document`` None) or for editing ``document``."""
    sales = kind.sales
    title = f"Edit {document_label(document)}" if document is not None else kind.new_title(form)
    shown = form.with_spare_rows(kind.line_fields)
    return render(
        request,
        "ledger/draft_form.html",
        ctx,
        status=status,
        document=document,
        form_kind=kind.form_kind,
        is_invoice=kind.is_invoice,
        priced=kind.form_kind != "expense",
        sales=sales,
        title=title,
        form=shown,
        contacts=list_contacts(
            ctx.db,
            ctx.actor,
            ContactFilters(kind="customer" if sales else "vendor"),
            choices("name"),
        ).items,
        can_add_contacts=ctx.can(Permission.CONTACTS_WRITE),
        line_accounts=_accounts(ctx, AccountFilters(type="income" if sales else "expense")),
        bank_accounts=_accounts(ctx, AccountFilters(type="asset", subtype="bank")),
        tax_rates=_tax_rates(ctx, sales),
        items=_items(ctx, form),
        place=place,
        **kind.more(ctx, shown, document),
    )


def save_draft(
    request: Request,
    ctx: WebContext,
    form: FormData,
    kind: DraftKind,
    place: Place,
    saved: Callable[[Document], Response],
    *,
    document: Document | None = None,
    not_a_draft: Callable[[str], Response] | None = None,
) -> Response:
    """Create a draft (``document`` None) or apply the form's changes to ``document``, then
    answer ``saved(draft)``; or show the form again with what was wrong. ``not_a_draft``
    answers an edit of a document decided meanwhile (default: the form with the message)."""
    submitted, changes = kind.changes(form)

    def again(status: int) -> Response:
        return draft_page(request, ctx, kind, submitted, place, document=document, status=status)

    if line_action(form):
        return again(200)
    try:
        if document is None:
            draft = kind.create(ctx.db, ctx.actor, changes)
        else:
            draft = kind.update(
                ctx.db, ctx.actor, document.id, changes, expected_version=form_version(form)
            )
    except ValidationFailed as exc:
        ctx.db.rollback()
        submitted.errors = submitted.field_errors(exc.errors)
        # The service names fields by their data path (lines[0].amount); the page lists them
        # by label and marks each field, so the summary only points there.
        submitted.message = "Check the fields marked below." if exc.errors else exc.message
        return again(422)
    except NotFound as exc:
        # A customer, vendor or account chosen on the form is gone (or never was this
        # company's): the form is still the place to choose another.
        ctx.db.rollback()
        submitted.message = f"{exc.message}. Choose another and save again."
        return again(422)
    except InvalidState as exc:
        ctx.db.rollback()
        # Decided meanwhile; anything else (a credit note's invoice no longer open) is the
        # form's to fix.
        if not_a_draft is not None and exc.code == "not_a_draft":
            return not_a_draft(exc.message)
        submitted.message = exc.message
        return again(409)
    except Conflict as exc:
        # Edited meanwhile: the message says to reload; what was typed stays on the form.
        ctx.db.rollback()
        submitted.message = exc.message
        return again(409)
    ctx.db.commit()
    return saved(draft)


def done_url(path: str, message: str) -> str:
    return f"{path}?{urlencode({'done': message})}"


def saved_to_page(kind: DraftKind, verb: str) -> Callable[[Document], Response]:
    def saved(document: Document) -> Response:
        message = f"{document_label(document)} {verb}; it is a draft until someone approves it."
        return RedirectResponse(done_url(kind.page_url(document), message), status_code=303)

    return saved


def _draft_or_404(document: Document) -> None:
    if document.status != "draft":
        raise NotFound(f"{document_label(document)} is {document.status}, not a draft")


# -- routes: new drafts from the lists, edits from the document's page ------------------------


def contact_param(request: Request) -> str:
    value = request.query_params.get("contact_id", "").strip()
    return value if value.isascii() and value.isdigit() and len(value) <= 10 else ""


def new_place(kind: DraftKind, query: str = "") -> Place:
    return Place(f"/{kind.path}/new{query}", f"/{kind.path}", kind.list_label)


@router.get("/invoices/new")
def new_invoice_page(request: Request, ctx: WebContext = Depends(INVOICES.draft)) -> Response:
    form = new_invoice_form(dt.date.today(), contact_param(request))
    return draft_page(request, ctx, INVOICES, form, new_place(INVOICES))


@router.post("/invoices/new")
def new_invoice(
    request: Request,
    form: FormData = Depends(posted_form),
    ctx: WebContext = Depends(INVOICES.draft),
) -> Response:
    return save_draft(
        request, ctx, form, INVOICES, new_place(INVOICES), saved_to_page(INVOICES, "saved")
    )


def _expense_kind(value: str) -> str:
    return value if value in EXPENSE_KINDS else "expense"


@router.get("/expenses/new")
def new_expense_page(request: Request, ctx: WebContext = Depends(EXPENSES.draft)) -> Response:
    kind = _expense_kind(request.query_params.get("kind", ""))
    form = new_expense_form(kind, dt.date.today(), contact_param(request))
    return draft_page(request, ctx, EXPENSES, form, new_place(EXPENSES))


@router.post("/expenses/new")
def new_expense(
    request: Request,
    form: FormData = Depends(posted_form),
    ctx: WebContext = Depends(EXPENSES.draft),
) -> Response:
    return save_draft(
        request, ctx, form, EXPENSES, new_place(EXPENSES), saved_to_page(EXPENSES, "saved")
    )


def _edit_place(kind: DraftKind, document: Document) -> Place:
    page = kind.page_url(document)
    return Place(f"{page}/edit", page, document_label(document))


def add_edit_routes(kind: DraftKind, on: APIRouter = router) -> None:
    """``/<path>/{id}/edit`` on ``on``: the draft's form, from its own page."""
    path = f"/{kind.path}/{{document_id}}/edit"

    @on.get(path, name=f"edit_{kind.path}_draft_page")
    def edit_page(
        request: Request, document_id: int, ctx: WebContext = Depends(kind.draft)
    ) -> Response:
        document = kind.get(ctx.db, ctx.actor, document_id)
        _draft_or_404(document)
        place = _edit_place(kind, document)
        return draft_page(request, ctx, kind, kind.form(document), place, document=document)

    @on.post(path, name=f"edit_{kind.path}_draft")
    def edit(
        request: Request,
        document_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(kind.draft),
    ) -> Response:
        document = kind.get(ctx.db, ctx.actor, document_id)
        place = _edit_place(kind, document)
        return save_draft(
            request, ctx, form, kind, place, saved_to_page(kind, "saved"), document=document
        )


add_edit_routes(INVOICES)
add_edit_routes(EXPENSES)
