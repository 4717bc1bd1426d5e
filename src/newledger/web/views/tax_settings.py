"""Settings → Tax rates: the company's sales tax / VAT rates (create, archive, restore) and
its rounding rule. Rates are a person's job (``ledger:post``, as in ``ledger.tax_rates``); the
rounding rule needs ``company:manage``. The pages hold no rules: every check is the service's.
"""

from __future__ import annotations

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from newledger.errors import DomainError, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger.tax import ROUNDING_RULES
from newledger.ledger.tax_rates import (
    TAX_RATE_KINDS,
    TaxRateFilters,
    create_tax_rate,
    list_tax_rates,
    set_tax_rounding,
    update_tax_rate,
)
from newledger.pagination import MAX_LIMIT, PageRequest
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.errors import PageError
from newledger.web.views.appconnect.shared import settings_page
from newledger.web.views.ledger._common import account_names

router = web_router()
BASE = "/settings/tax-rates"
_post = require_permission(Permission.LEDGER_POST)
_manage = require_permission(Permission.COMPANY_MANAGE)


def _page(
    request: Request,
    ctx: WebContext,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    assert ctx.company is not None
    rates = list_tax_rates(
        ctx.db,
        ctx.actor,
        TaxRateFilters(include_archived=True),
        PageRequest(limit=MAX_LIMIT, order="name"),
    ).items
    accounts = account_names(ctx.db, ctx.company.id)
    return settings_page(
        request,
        "settings/tax_rates.html",
        ctx,
        status=422 if errors or error else 200,
        rates=rates,
        percent={r.id: format(r.rate.normalize(), "f") + "%" for r in rates},
        accounts=accounts,
        kinds=TAX_RATE_KINDS,
        rounding_rules=ROUNDING_RULES,
        form=form or {"kind": "sales"},
        errors=errors or {},
        error=error,
        done=request.query_params.get("done", ""),
        can_set_rounding=ctx.can(Permission.COMPANY_MANAGE),
    )


@router.get(BASE)
def tax_rates_page(request: Request, ctx: WebContext = Depends(_post)) -> Response:
    return _page(request, ctx)


@router.post(BASE)
async def add_tax_rate(request: Request, ctx: WebContext = Depends(_post)) -> Response:
    submitted = await request.form()
    form = {k: str(submitted.get(k) or "").strip() for k in ("name", "rate", "kind")}
    try:
        create_tax_rate(ctx.db, ctx.actor, name=form["name"], rate=form["rate"], kind=form["kind"])
    except ValidationFailed as exc:
        ctx.db.rollback()
        return _page(request, ctx, form=form, errors=exc.errors, error=exc.message)
    except DomainError as exc:  # a name already taken
        ctx.db.rollback()
        return _page(request, ctx, form=form, error=exc.message)
    ctx.db.commit()
    return RedirectResponse(f"{BASE}?done=added", status_code=303)


@router.post(BASE + "/{rate_id}/{action}")
def archive_or_restore(
    request: Request, rate_id: int, action: str, ctx: WebContext = Depends(_post)
) -> Response:
    if action not in ("archive", "restore"):
        raise PageError(404, "Not found", "There is no such action.")
    update_tax_rate(ctx.db, ctx.actor, rate_id, {"is_active": action == "restore"})
    ctx.db.commit()
    return RedirectResponse(f"{BASE}?done={action}d", status_code=303)


@router.post(BASE + "/rounding")
async def rounding(request: Request, ctx: WebContext = Depends(_manage)) -> Response:
    rule = str((await request.form()).get("tax_rounding") or "")
    try:
        set_tax_rounding(ctx.db, ctx.actor, rule)
    except ValidationFailed as exc:
        ctx.db.rollback()
        return _page(request, ctx, error=exc.message)
    ctx.db.commit()
    return RedirectResponse(f"{BASE}?done=rounding", status_code=303)
