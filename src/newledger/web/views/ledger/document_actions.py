"""What a person does from an invoice's or expense's own page: approve or reject a draft, record
a payment (partial ones too), and void with a reason.

Each is one call of the same service the API and the review queue use (``approve_*``,
``reject_*``, ``payments.record_payment``, ``void_*``), which checks ``ledger:post`` and writes
the activity row and the change event. Done, the page comes back with a notice; refused, it
comes back with the form as typed and what was wrong (422), or why it is not possible now (409:
decided, paid or changed meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from newledger.errors import Conflict, InvalidState, NotFound, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger import expenses as expense_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger.models import Expense, Invoice, Payment
from newledger.ledger.payments import record_payment
from newledger.money import display_money
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.views.ledger._common import posted_form
from newledger.web.views.ledger.documents import ActionForm, expense_page, invoice_page
from newledger.web.views.ledger.draft_pages import document_label, done_url
from newledger.web.views.ledger.forms import form_version, select_id

__all__ = ["VOID_REASON_MAX", "router"]

router = web_router()
# The reason goes into the reversing entry's memo (500 characters with the document's name).
VOID_REASON_MAX = 400
PAYMENT_FIELDS = ("amount", "date", "bank_account_id", "reference")

Document = Invoice | Expense
Outcome = Document | Payment


@dataclass(frozen=True)
class _Kind:
    path: str  # "invoices" | "expenses"
    gate: Callable[..., WebContext]
    page: Callable[..., Response]  # the document's page, with extra values
    get: Callable[..., Document]
    approve: Callable[..., Document]
    reject: Callable[..., Document]
    void: Callable[..., Document]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _act(
    request: Request,
    ctx: WebContext,
    kind: _Kind,
    document_id: int,
    action: Callable[[], Outcome],
    done: Callable[[Outcome], str],
    *,
    form_name: str | None = None,
    submitted: ActionForm | None = None,
) -> Response:
    """Run ``action`` and go back to the page with ``done(outcome)``; or show the page again
    with the refusal: on the ``form_name`` form (as ``submitted``), else above the actions."""

    def again(status: int, message: str, errors: dict[str, str] | None = None) -> Response:
        values: dict[str, Any] = {}
        if form_name is not None and submitted is not None:
            submitted.errors, submitted.message = errors or {}, message
            values[form_name] = submitted
        else:
            values["action_error"] = message
        return kind.page(request, ctx, document_id, status=status, **values)

    try:
        outcome = action()
    except ValidationFailed as exc:
        ctx.db.rollback()
        return again(422, exc.message, exc.errors)
    except NotFound as exc:
        # The bank account chosen is not this company's (the document itself is looked up
        # again by the page, so a missing document is still a 404).
        ctx.db.rollback()
        return again(422, exc.message, {"bank_account_id": "unknown"})
    except (InvalidState, Conflict) as exc:
        # Decided, paid or changed since the page was loaded.
        ctx.db.rollback()
        return again(409, exc.message)
    ctx.db.commit()
    url = done_url(f"/{kind.path}/{document_id}", done(outcome))
    return RedirectResponse(url, status_code=303)


def _label(outcome: Outcome) -> str:
    assert not isinstance(outcome, Payment)
    return document_label(outcome)


def _add_routes(kind: _Kind) -> None:
    base = f"/{kind.path}/{{document_id}}"

    @router.post(f"{base}/approve", name=f"approve_{kind.path}_from_page")
    def approve(
        request: Request,
        document_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(kind.gate),
    ) -> Response:
        return _act(
            request,
            ctx,
            kind,
            document_id,
            lambda: kind.approve(
                ctx.db, ctx.actor, document_id, expected_version=form_version(form)
            ),
            lambda done: f"{_label(done)} approved and posted.",
        )

    @router.post(f"{base}/reject", name=f"reject_{kind.path}_from_page")
    def reject(
        request: Request,
        document_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(kind.gate),
    ) -> Response:
        reason = _text(form, "reason")
        return _act(
            request,
            ctx,
            kind,
            document_id,
            lambda: kind.reject(ctx.db, ctx.actor, document_id, reason=reason),
            lambda done: f"{_label(done)} rejected.",
        )

    @router.post(f"{base}/payments", name=f"pay_{kind.path}_from_page")
    def pay(
        request: Request,
        document_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(kind.gate),
    ) -> Response:
        submitted = ActionForm({name: _text(form, name) for name in PAYMENT_FIELDS})
        values = submitted.values

        def done(payment: Outcome) -> str:
            assert isinstance(payment, Payment) and ctx.company is not None
            document = kind.get(ctx.db, ctx.actor, document_id)
            amount = display_money(payment.amount, payment.currency, ctx.company.locale)
            status = document.status.replace("_", " ")
            return f"Payment of {amount} recorded; {document_label(document)} is {status}."

        return _act(
            request,
            ctx,
            kind,
            document_id,
            lambda: record_payment(
                ctx.db,
                ctx.actor,
                amount=values["amount"],
                date=values["date"],
                bank_account_id=select_id(values["bank_account_id"]),  # type: ignore[arg-type]
                reference=values["reference"][:100],
                invoice_id=document_id if kind.path == "invoices" else None,
                expense_id=document_id if kind.path == "expenses" else None,
            ),
            done,
            form_name="payment_form",
            submitted=submitted,
        )

    @router.post(f"{base}/void", name=f"void_{kind.path}_from_page")
    def void(
        request: Request,
        document_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(kind.gate),
    ) -> Response:
        submitted = ActionForm({"reason": _text(form, "reason")})
        reason = submitted.values["reason"]

        def action() -> Document:
            # The page asks for a reason; it is kept with the reversing entry and in the
            # activity log, and shown on the document's page.
            if not reason:
                raise ValidationFailed("Say why it is voided", errors={"reason": "required"})
            if len(reason) > VOID_REASON_MAX:
                raise ValidationFailed(
                    f"Keep the reason to {VOID_REASON_MAX} characters",
                    errors={"reason": f"at most {VOID_REASON_MAX} characters"},
                )
            return kind.void(ctx.db, ctx.actor, document_id, reason=reason)

        return _act(
            request,
            ctx,
            kind,
            document_id,
            action,
            lambda done: f"{_label(done)} voided; a reversing entry takes it out of the books.",
            form_name="void_form",
            submitted=submitted,
        )


_add_routes(
    _Kind(
        "invoices",
        require_permission(Permission.LEDGER_POST, Permission.INVOICES_READ),
        invoice_page,
        invoice_service.get_invoice,
        invoice_service.approve_invoice,
        invoice_service.reject_invoice,
        invoice_service.void_invoice,
    )
)
_add_routes(
    _Kind(
        "expenses",
        require_permission(Permission.LEDGER_POST, Permission.EXPENSES_READ),
        expense_page,
        expense_service.get_expense,
        expense_service.approve_expense,
        expense_service.reject_expense,
        expense_service.void_expense,
    )
)
