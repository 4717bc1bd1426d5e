"""What a person holding ``ledger:post`` does from a credit note's or vendor credit's page:
approve or reject the draft, apply part of it to an open invoice or bill of its contact, take
an allocation back, refund what is left, and void it with a reason.

Each is one call of the credit-note services (``credit_notes``, ``credit_allocations``), which
check ``ledger:post`` and write the activity row and the change events. Done, the page comes
back with a notice; refused, with the form as typed and the field named (422), or why it is
not possible now (409: decided, used or changed meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from newledger.errors import Conflict, InvalidState, NotFound, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger import credit_allocations as allocation_service
from newledger.ledger import credit_notes as credit_service
from newledger.ledger.credit_lookups import allocation_views
from newledger.ledger.models import CreditNote
from newledger.money import display_money
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.views.ledger._common import posted_form
from newledger.web.views.ledger.credit_common import PURCHASE, SALES, CreditPages, credit_label
from newledger.web.views.ledger.credit_notes import credit_page
from newledger.web.views.ledger.document_actions import VOID_REASON_MAX
from newledger.web.views.ledger.documents import ActionForm
from newledger.web.views.ledger.draft_pages import done_url
from newledger.web.views.ledger.forms import form_version, select_id

__all__ = ["router"]

router = web_router()
REFUND_FIELDS = ("amount", "date", "bank_account_id", "reference")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _act(
    request: Request,
    ctx: WebContext,
    pages: CreditPages,
    note_id: int,
    action: Callable[[], Any],
    done: Callable[[], str],
    *,
    form_name: str | None = None,
    submitted: ActionForm | None = None,
    unknown_field: str = "",
) -> Response:
    """Run ``action`` and go back to the page with ``done()``; or show the page again with the
    refusal: on the ``form_name`` form (as ``submitted``), else above the actions. A NotFound
    names ``unknown_field`` (the bank account or document chosen is not this company's; the
    credit note itself is looked up again by the page, so a missing one is still a 404)."""

    def again(status: int, message: str, errors: dict[str, str] | None = None) -> Response:
        values: dict[str, Any] = {}
        if form_name is not None and submitted is not None:
            submitted.errors, submitted.message = errors or {}, message
            values[form_name] = submitted
        else:
            values["action_error"] = message
        return credit_page(request, ctx, pages, note_id, status=status, **values)

    try:
        action()
    except ValidationFailed as exc:
        ctx.db.rollback()
        return again(422, exc.message, exc.errors)
    except NotFound as exc:
        ctx.db.rollback()
        if not unknown_field:
            raise
        return again(422, exc.message, {unknown_field: "unknown"})
    except (InvalidState, Conflict) as exc:
        ctx.db.rollback()
        return again(409, exc.message)
    message = done()
    ctx.db.commit()
    return RedirectResponse(done_url(f"/{pages.path}/{note_id}", message), status_code=303)


def _money(ctx: WebContext, minor: int, currency: str) -> str:
    assert ctx.company is not None
    return display_money(minor, currency, ctx.company.locale)


def _left(ctx: WebContext, note: CreditNote) -> str:
    if note.remaining == 0:
        return f"{credit_label(note)} is fully used"
    return f"{_money(ctx, note.remaining, note.currency)} of {credit_label(note)} is left"


def _add_routes(pages: CreditPages) -> None:
    base = f"/{pages.path}/{{note_id}}"
    gate = require_permission(Permission.LEDGER_POST, pages.read)
    kind = pages.kind
    name = pages.anchor.replace("-", "_")

    def get(ctx: WebContext, note_id: int) -> CreditNote:
        return credit_service.get_credit_note(ctx.db, ctx.actor, kind, note_id)

    @router.post(f"{base}/approve", name=f"approve_{name}_from_page")
    def approve(
        request: Request,
        note_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(gate),
    ) -> Response:
        def done() -> str:
            note = get(ctx, note_id)
            applied = note.amount_allocated
            if not applied:
                return f"{credit_label(note)} approved and posted."
            money = _money(ctx, applied, note.currency)
            return f"{credit_label(note)} approved and posted; {money} of it applied."

        return _act(
            request,
            ctx,
            pages,
            note_id,
            lambda: credit_service.approve_credit_note(
                ctx.db, ctx.actor, kind, note_id, expected_version=form_version(form)
            ),
            done,
        )

    @router.post(f"{base}/reject", name=f"reject_{name}_from_page")
    def reject(
        request: Request,
        note_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(gate),
    ) -> Response:
        reason = _text(form, "reason")
        return _act(
            request,
            ctx,
            pages,
            note_id,
            lambda: credit_service.reject_credit_note(
                ctx.db, ctx.actor, kind, note_id, reason=reason
            ),
            lambda: f"{credit_label(get(ctx, note_id))} rejected.",
        )

    @router.post(f"{base}/void", name=f"void_{name}_from_page")
    def void(
        request: Request,
        note_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(gate),
    ) -> Response:
        submitted = ActionForm({"reason": _text(form, "reason")})
        reason = submitted.values["reason"]

        def action() -> CreditNote:
            # As on invoices: the reason is kept with the reversing entry and shown on the page.
            if not reason:
                raise ValidationFailed("Say why it is voided", errors={"reason": "required"})
            if len(reason) > VOID_REASON_MAX:
                raise ValidationFailed(
                    f"Keep the reason to {VOID_REASON_MAX} characters",
                    errors={"reason": f"at most {VOID_REASON_MAX} characters"},
                )
            return credit_service.void_credit_note(ctx.db, ctx.actor, kind, note_id, reason=reason)

        return _act(
            request,
            ctx,
            pages,
            note_id,
            action,
            lambda: (
                f"{credit_label(get(ctx, note_id))} voided; a reversing entry takes it "
                "out of the books."
            ),
            form_name="void_form",
            submitted=submitted,
        )

    @router.post(f"{base}/allocations", name=f"allocate_{name}_from_page")
    def allocate(
        request: Request,
        note_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(gate),
    ) -> Response:
        submitted = ActionForm({k: _text(form, k) for k in ("document_id", "amount")})
        values = submitted.values
        made: list[Any] = []

        def action() -> None:
            made.append(
                allocation_service.allocate_credit_note(
                    ctx.db,
                    ctx.actor,
                    kind,
                    note_id,
                    document_id=select_id(values["document_id"]),  # type: ignore[arg-type]
                    amount=values["amount"],
                )
            )

        def done() -> str:
            note = get(ctx, note_id)
            [applied] = [v for v in allocation_views(ctx.db, ctx.actor, note) if v.id == made[0].id]
            money = _money(ctx, applied.amount, note.currency)
            return f"{money} applied to {applied.document_label}; {_left(ctx, note)}."

        return _act(
            request,
            ctx,
            pages,
            note_id,
            action,
            done,
            form_name="allocate_form",
            submitted=submitted,
            unknown_field="amount",
        )

    @router.post(f"{base}/allocations/{{allocation_id}}/remove", name=f"unallocate_{name}")
    def unallocate(
        request: Request,
        note_id: int,
        allocation_id: int,
        ctx: WebContext = Depends(gate),
    ) -> Response:
        # The allocation is this credit note's: a link from another page cannot take back
        # a different one.
        if allocation_id not in {a.id for a in get(ctx, note_id).allocations}:
            raise NotFound(f"Unknown credit allocation {allocation_id}", code="unknown_allocation")
        return _act(
            request,
            ctx,
            pages,
            note_id,
            lambda: allocation_service.remove_allocation(ctx.db, ctx.actor, kind, allocation_id),
            lambda: f"Allocation taken back; {_left(ctx, get(ctx, note_id))}.",
        )

    @router.post(f"{base}/refunds", name=f"refund_{name}_from_page")
    def refund(
        request: Request,
        note_id: int,
        form: FormData = Depends(posted_form),
        ctx: WebContext = Depends(gate),
    ) -> Response:
        submitted = ActionForm({k: _text(form, k) for k in REFUND_FIELDS})
        values = submitted.values
        made: list[Any] = []

        def action() -> None:
            made.append(
                allocation_service.refund_credit_note(
                    ctx.db,
                    ctx.actor,
                    kind,
                    note_id,
                    amount=values["amount"],
                    date=values["date"],
                    bank_account_id=select_id(values["bank_account_id"]),  # type: ignore[arg-type]
                    reference=values["reference"][:100],
                )
            )

        def done() -> str:
            note = get(ctx, note_id)
            money = _money(ctx, made[0].amount, note.currency)
            return f"Refund of {money} recorded; {_left(ctx, note)}."

        return _act(
            request,
            ctx,
            pages,
            note_id,
            action,
            done,
            form_name="refund_form",
            submitted=submitted,
            unknown_field="bank_account_id",
        )


_add_routes(SALES)
_add_routes(PURCHASE)
