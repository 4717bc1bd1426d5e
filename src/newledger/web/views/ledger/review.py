"""The draft review queue: every draft invoice, expense, credit note and vendor credit, proposed
payment and proposed bank categorization awaiting a person, where it came from, and the
decisions: approve (posts to the ledger), edit (the documents), or reject with a reason.

Nothing from outside ever posts: apps and connections only draft (DESIGN §1); approving needs
``ledger:post``, which only people hold. The services enforce that; these views only show the
buttons to those who may press them and translate the outcome into pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
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
from newledger.ledger import credit_notes as credit_service
from newledger.ledger import expenses as expense_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger.models import (
    CategorizationDraft,
    CreditNote,
    Expense,
    Invoice,
    PaymentDraft,
)
from newledger.ledger.review import list_drafts_awaiting_review
from newledger.web.deps import WebContext, require_any, require_permission, web_router
from newledger.web.templating import render
from newledger.web.views.ledger._common import account_names, item_codes, posted_form
from newledger.web.views.ledger.credit_drafts import CREDIT_NOTES, VENDOR_CREDITS
from newledger.web.views.ledger.draft_pages import (
    EXPENSES,
    INVOICES,
    DraftKind,
    Place,
    document_label,
    draft_page,
    save_draft,
)
from newledger.web.views.ledger.forms import form_version
from newledger.web.views.ledger.listing import draft_lines

router = web_router()
_read = require_any(
    Permission.INVOICES_READ,
    Permission.EXPENSES_READ,
    Permission.PAYMENTS_READ,
    Permission.BANK_READ,
)
_post = require_permission(Permission.LEDGER_POST)


Decided = Invoice | Expense | CreditNote | PaymentDraft | CategorizationDraft


def _label(document: Decided) -> str:
    if isinstance(document, PaymentDraft):
        return f"Proposed payment #{document.id}"
    if isinstance(document, CategorizationDraft):
        return f"Proposed categorization #{document.id}"
    return document_label(document)


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
    lines = draft_lines(ctx.db, ctx.company.id, items)
    named = [line.item_id for drafted in lines.values() for line in drafted]
    return render(
        request,
        "ledger/review.html",
        ctx,
        status=status,
        items=items,
        lines=lines,
        item_codes=item_codes(ctx.db, ctx.company.id, named),
        # The files of each draft (a receipt to check against the lines), in one query.
        files=attachments_by_document(
            ctx.db,
            ctx.company.id,
            [i.id for i in items if i.type == "invoice"],
            [i.id for i in items if i.type in ("expense", "bill")],
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


# -- decisions ----------------------------------------------------------------------------


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
        form: FormData = Depends(posted_form),
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
        form: FormData = Depends(posted_form),
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


def _credit_decision(
    decide: Callable[..., Decided], kind: str, db: Session, actor: Actor, note_id: int, **kw: Any
) -> Decided:
    """A credit-note service's decision, which names the kind, called like the others'."""
    return decide(db, actor, kind, note_id, **kw)


# -- edit (the draft form of ``draft_pages``, answered with the queue) ----------------------


def _queue_place(kind: DraftKind, document_id: int) -> Place:
    return Place(f"/review/{kind.path}/{document_id}/edit", "/review", "Review queue")


def _add_routes(
    kind: DraftKind, anchor: str, approve: Callable[..., Decided], reject: Callable[..., Decided]
) -> None:
    _add_decisions(kind.path, anchor, approve, reject)
    base = f"/review/{kind.path}/{{document_id}}"

    @router.get(f"{base}/edit", name=f"edit_{anchor}_page")
    def edit_page(
        request: Request, document_id: int, ctx: WebContext = Depends(kind.draft)
    ) -> Response:
        document = kind.get(ctx.db, ctx.actor, document_id)
        if document.status != "draft":
            raise NotFound(f"{_label(document)} is {document.status}, not a draft in review")
        place = _queue_place(kind, document_id)
        return draft_page(request, ctx, kind, kind.form(document), place, document=document)

    @router.post(f"{base}/edit", name=f"edit_{anchor}")
    def edit(
        request: Request,
        document_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(kind.draft),
    ) -> Response:
        document = kind.get(ctx.db, ctx.actor, document_id)
        return save_draft(
            request,
            ctx,
            form,
            kind,
            _queue_place(kind, document_id),
            lambda draft: _done(f"{_label(draft)} saved; it is still a draft awaiting review."),
            document=document,
            # Decided meanwhile: the queue shows what is still waiting, and why not this one.
            not_a_draft=lambda message: _queue(request, ctx, status=409, error=message),
        )


_add_routes(INVOICES, "invoice", invoice_service.approve_invoice, invoice_service.reject_invoice)
_add_routes(EXPENSES, "expense", expense_service.approve_expense, expense_service.reject_expense)
for _credit_kind, _anchor, _service_kind in (
    (CREDIT_NOTES, "credit-note", "sales"),
    (VENDOR_CREDITS, "vendor-credit", "purchase"),
):
    _add_routes(
        _credit_kind,
        _anchor,
        partial(_credit_decision, credit_service.approve_credit_note, _service_kind),
        partial(_credit_decision, credit_service.reject_credit_note, _service_kind),
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
