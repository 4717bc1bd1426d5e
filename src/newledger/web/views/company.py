"""The company switcher (the session's current company, among those the user belongs to) and
Settings → Company (its name, fiscal year and locale)."""

from __future__ import annotations

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from newledger.errors import ValidationFailed
from newledger.identity.permissions import Permission
from newledger.identity.services import COMMON_LOCALES, update_company_profile
from newledger.money import display_money
from newledger.web.deps import WebContext, require_permission, require_user, safe_next, web_router
from newledger.web.errors import PageError
from newledger.web.views.appconnect.shared import settings_page

router = web_router()
_manage = require_permission(Permission.COMPANY_MANAGE)
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _profile_page(
    request: Request,
    ctx: WebContext,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    done: bool = False,
) -> Response:
    assert ctx.company is not None
    samples = {
        code: display_money(-123456789, ctx.company.home_currency, code)
        for code, _ in COMMON_LOCALES
    }
    return settings_page(
        request,
        "settings/company.html",
        ctx,
        status=422 if errors else 200,
        form=form,
        errors=errors or {},
        done=done,
        months=MONTHS,
        locales=COMMON_LOCALES,
        samples=samples,
    )


@router.get("/settings/company")
def company_page(request: Request, ctx: WebContext = Depends(_manage)) -> Response:
    assert ctx.company is not None
    form = {
        "name": ctx.company.name,
        "fiscal_year_start_month": str(ctx.company.fiscal_year_start_month),
        "locale": ctx.company.locale,
    }
    return _profile_page(request, ctx, form, done=request.query_params.get("done") == "saved")


@router.post("/settings/company")
async def company_save(request: Request, ctx: WebContext = Depends(_manage)) -> Response:
    submitted = await request.form()
    form = {k: str(submitted.get(k) or "") for k in ("name", "fiscal_year_start_month", "locale")}
    month = form["fiscal_year_start_month"]
    try:
        update_company_profile(
            ctx.db,
            ctx.actor,
            name=form["name"],
            fiscal_year_start_month=int(month) if month.isdigit() else 0,
            locale=form["locale"],
        )
    except ValidationFailed as exc:
        ctx.db.rollback()
        return _profile_page(request, ctx, form, errors=exc.errors)
    ctx.db.commit()
    return RedirectResponse("/settings/company?done=saved", status_code=303)


@router.post("/company/switch")
def switch_company(
    company_id: int = Form(...),
    next: str = Form("/"),
    ctx: WebContext = Depends(require_user),
) -> Response:
    if company_id not in {company.id for company, _ in ctx.companies}:
        raise PageError(403, "Not allowed", "You are not a member of that company.")
    ctx.web_session.company_id = company_id
    ctx.db.commit()
    # Settings pages of one company make no sense in another one the user may not manage.
    target = safe_next(next)
    if target.startswith("/settings"):
        target = "/"
    return RedirectResponse(target, status_code=303)
