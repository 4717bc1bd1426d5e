"""The draft review queue: every draft invoice and expense, proposed payment and proposed bank
categorization awaiting a person, where it came from, and the decisions: approve (posts to the
ledger), edit (invoices and expenses), or reject with a reason.

Nothing from outside ever posts: apps and connections only draft (DESIGN §1); approving needs
``ledger:post``, which only people hold. The services enforce that; these views only show the
buttons to those who may press them and translate the outcome into pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from newledger.actor import Actor
from newledger.attachments.services import attachments_by_document
from newledger.errors import Conflict, InvalidState, NotFound, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger import categorization_drafts, payment_drafts
from newledger.ledger import expenses as expense_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger.accounts import AccountFilters, list_accounts
from newledger.ledger.contacts import ContactFilters, list_contacts
from newledger.ledger.models import Account, CategorizationDraft, Expense, Invoice, PaymentDraft
from newledger.ledger.review import list_drafts_awaiting_review
from newledger.web.deps import WebContext, require_any, require_permission, web_router
from newledger.web.pager import choices
from newledger.web.templating import render
from newledger.web.views.ledger._common import account_names
from newledger.web.views.ledger.forms import (
    EXPENSE_LINE_FIELDS,
    INVOICE_LINE_FIELDS,
    DraftForm,
    expense_changes,
    expense_form,
    form_version,
    invoice_changes,
    invoice_form,
)
from newledger.web.views.ledger.listing import draft_lines

router = web_router()
_read = require_any(
    Permission.INVOICES_READ,
    Permission.EXPENSES_READ,
    Permission.PAYMENTS_READ,
    Permission.BANK_READ,
)
_post = require_permission(Permission.LEDGER_POST)
_draft_invoices = require_permission(Permission.INVOICES_DRAFT, Permission.INVOICES_READ)
_draft_expenses = require_permission(Permission.EXPENSES_DRAFT, Permission.EXPENSES_READ)


async def _form(request: Request) -> FormData:
    return await request.form()


Decided = Invoice | Expense | PaymentDraft | CategorizationDraft


def _label(document: Decided) -> str:
    if isinstance(document, Invoice):
        return f"Invoice {document.number}"
    if isinstance(document, PaymentDraft):
        return f"Proposed payment #{document.id}"
    if isinstance(document, CategorizationDraft):
        return f"Proposed categorization #{document.id}"
    return f"{document.kind.capitalize()} #{document.id}"


SOURCES = ("ui", "api", "mcp", "demo", "import")


def _queue(
    request: Request,
    ctx: WebContext,
    *,
    status: int = 200,
    error: str | None = None,
    error_for: str | None = None,
    reasons: dict[str, str] | None = None,
) -> Response:
    assert ctx.company is not None
    source = request.query_params.get("source", "")
    items = list_drafts_awaiting_review(
        ctx.db, ctx.actor, source=source if source in SOURCES else None
    )
    return render(
        request,
        "ledger/review.html",
        ctx,
        status=status,
        items=items,
        lines=draft_lines(ctx.db, ctx.company.id, items),
        # The files of each draft (a receipt to check against the lines), in one query.
        files=attachments_by_document(
            ctx.db,
            ctx.company.id,
            [i.id for i in items if i.type == "invoice"],
            [i.id for i in items if i.type != "invoice"],
        ),
        accounts=account_names(ctx.db, ctx.company.id),
        sources=SOURCES,
        source=source,
        can_post=ctx.can(Permission.LEDGER_POST),
        can_edit_invoices=ctx.can(Permission.INVOICES_DRAFT),
        can_edit_expenses=ctx.can(Permission.EXPENSES_DRAFT),
        done=request.query_params.get("done"),
        error=error,
        error_for=error_for,
        reasons=reasons or {},
    )


def _done(message: str) -> Response:
    return RedirectResponse("/review?" + urlencode({"done": message}), status_code=303)


@router.get("/review")
def review_page(request: Request, ctx: WebContext = Depends(_read)) -> Response:
    return _queue(request, ctx)


def _decide(
    request: Request,
    ctx: WebContext,
    anchor: str,
    action: Callable[[], Decided],
    verb: str,
    reason: str = "",
) -> Response:
    try:
        document = action()
    except ValidationFailed as exc:
        ctx.db.rollback()
        return _queue(
            request,
            ctx,
            status=422,
            error=exc.message,
            error_for=anchor,
            reasons={anchor: reason},
        )
    except (InvalidState, Conflict) as exc:
        # Someone else decided first, or the draft changed since the page was loaded.
        ctx.db.rollback()
        return _queue(request, ctx, status=409, error=exc.message, error_for=anchor)
    ctx.db.commit()
    return _done(f"{_label(document)} {verb}.")


def _reason(form: FormData) -> str:
    value = form.get("reason")
    return value.strip() if isinstance(value, str) else ""


# -- edit -----------------------------------------------------------------------------------


def _edit_page(
    request: Request,
    ctx: WebContext,
    document: Invoice | Expense,
    form: DraftForm,
    *,
    status: int = 200,
) -> Response:
    is_invoice = isinstance(document, Invoice)
    kind = "customer" if is_invoice else "vendor"
    return render(
        request,
        "ledger/review_edit.html",
        ctx,
        status=status,
        document=document,
        is_invoice=is_invoice,
        label=_label(document),
        form=form.with_spare_rows(INVOICE_LINE_FIELDS if is_invoice else EXPENSE_LINE_FIELDS),
        contacts=list_contacts(ctx.db, ctx.actor, ContactFilters(kind=kind), choices("name")).items,
        line_accounts=_accounts(ctx, AccountFilters(type="income" if is_invoice else "expense")),
        bank_accounts=_accounts(ctx, AccountFilters(type="asset", subtype="bank")),
        action=f"/review/{'invoices' if is_invoice else 'expenses'}/{document.id}/edit",
    )


def _accounts(ctx: WebContext, filters: AccountFilters) -> Sequence[Account]:
    return list_accounts(ctx.db, ctx.actor, filters, choices("code")).items


def _save(
    request: Request,
    ctx: WebContext,
    form: FormData,
    document: Invoice | Expense,
    parse: Callable[[FormData], tuple[DraftForm, dict[str, Any]]],
    update: Callable[..., Any],
) -> Response:
    """Apply the edit form's changes to the draft (``update`` is the service's update_draft_*),
    or show the form again with what was wrong."""
    submitted, changes = parse(form)
    try:
        update(ctx.db, ctx.actor, document.id, changes, expected_version=form_version(form))
    except ValidationFailed as exc:
        ctx.db.rollback()
        submitted.errors = exc.errors
        # The service names fields by their data path (lines[0].amount); the page lists them
        # by label and marks each field, so the summary only points there.
        submitted.message = "Check the fields marked below." if exc.errors else exc.message
        return _edit_page(request, ctx, document, submitted, status=422)
    except (Conflict, InvalidState) as exc:
        ctx.db.rollback()
        if isinstance(exc, InvalidState):
            return _queue(request, ctx, status=409, error=exc.message)
        submitted.message = exc.message
        return _edit_page(request, ctx, document, submitted, status=409)
    ctx.db.commit()
    return _done(f"{_label(document)} saved; it is still a draft awaiting review.")


def _draft_or_404(document: Invoice | Expense) -> None:
    if document.status != "draft":
        raise NotFound(f"{_label(document)} is {document.status}, not a draft in review")


# -- routes, once per kind of draft --------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """What the review routes of one kind of draft call: its services and its edit form."""

    path: str  # "invoices" | "expenses"
    anchor: str  # the id prefix of its row in the queue
    draft: Callable[..., WebContext]  # the dependency that may edit it
    get: Callable[[Session, Actor, int], Invoice | Expense]
    approve: Callable[..., Invoice | Expense]
    reject: Callable[..., Invoice | Expense]
    update: Callable[..., Any]
    form: Callable[[Any], DraftForm]
    changes: Callable[[FormData], tuple[DraftForm, dict[str, Any]]]


def _add_decisions(
    path: str,
    anchor: str,
    approve_with: Callable[..., Decided],
    reject_with: Callable[..., Decided],
) -> None:
    """Approve and reject for one kind of draft: ``/review/{path}/{id}/approve`` and
    ``…/reject``, answered with the queue."""
    base = f"/review/{path}/{{document_id}}"

    @router.post(f"{base}/approve", name=f"approve_{anchor}")
    def approve(
        request: Request,
        document_id: int,
        form: FormData = Depends(_form),
        ctx: WebContext = Depends(_post),
    ) -> Response:
        return _decide(
            request,
            ctx,
            f"{anchor}-{document_id}",
            lambda: approve_with(
                ctx.db, ctx.actor, document_id, expected_version=form_version(form)
            ),
            "approved and posted",
        )

    @router.post(f"{base}/reject", name=f"reject_{anchor}")
    def reject(
        request: Request,
        document_id: int,
        form: FormData = Depends(_form),
        ctx: WebContext = Depends(_post),
    ) -> Response:
        reason = _reason(form)
        return _decide(
            request,
            ctx,
            f"{anchor}-{document_id}",
            lambda: reject_with(ctx.db, ctx.actor, document_id, reason=reason),
            "rejected",
            reason,
        )


def _add_routes(kind: _Kind) -> None:
    _add_decisions(kind.path, kind.anchor, kind.approve, kind.reject)
    base = f"/review/{kind.path}/{{document_id}}"

    @router.get(f"{base}/edit", name=f"edit_{kind.anchor}_page")
    def edit_page(
        request: Request, document_id: int, ctx: WebContext = Depends(kind.draft)
    ) -> Response:
        document = kind.get(ctx.db, ctx.actor, document_id)
        _draft_or_404(document)
        return _edit_page(request, ctx, document, kind.form(document))

    @router.post(f"{base}/edit", name=f"edit_{kind.anchor}")
    def edit(
        request: Request,
        document_id: int,
        form: FormData = Depends(_form),
        ctx: WebContext = Depends(kind.draft),
    ) -> Response:
        document = kind.get(ctx.db, ctx.actor, document_id)
        return _save(request, ctx, form, document, kind.changes, kind.update)


_add_routes(
    _Kind(
        "invoices",
        "invoice",
        _draft_invoices,
        invoice_service.get_invoice,
        invoice_service.approve_invoice,
        invoice_service.reject_invoice,
        invoice_service.update_draft_invoice,
        invoice_form,
        invoice_changes,
    )
)
_add_routes(
    _Kind(
        "expenses",
        "expense",
        _draft_expenses,
        expense_service.get_expense,
        expense_service.approve_expense,
        expense_service.reject_expense,
        expense_service.update_draft_expense,
        expense_form,
        expense_changes,
    )
)
_add_decisions(
    "payment-drafts",
    "payment-draft",
    payment_drafts.approve_payment_draft,
    payment_drafts.reject_payment_draft,
)
_add_decisions(
    "categorization-drafts",
    "categorization-draft",
    categorization_drafts.approve_categorization_draft,
    categorization_drafts.reject_categorization_draft,
)
