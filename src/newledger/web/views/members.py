"""Settings → Members: owners and admins add people and change roles."""

from __future__ import annotations

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from newledger.errors import DomainError, ValidationFailed
from newledger.identity import members
from newledger.identity.permissions import Permission, Role
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.nav import SETTINGS_NAV, nav_for
from newledger.web.templating import render

router = web_router()
_manage = require_permission(Permission.MEMBERS_MANAGE)
_manage_2fa = require_permission(Permission.MEMBERS_MANAGE, two_factor=True)


def _page(
    request: Request,
    ctx: WebContext,
    *,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    assert ctx.company is not None
    return render(
        request,
        "settings/members.html",
        ctx,
        status=status,
        settings_nav=nav_for(ctx.permissions, SETTINGS_NAV),
        members=members.list_members(ctx.db, ctx.company.id),
        roles=[r.value for r in Role],
        can_manage_owners=ctx.can(Permission.COMPANY_MANAGE),
        error=error,
        errors=errors or {},
        form=form or {},
        done=request.query_params.get("done"),
    )


@router.get("/settings/members")
def members_page(request: Request, ctx: WebContext = Depends(_manage)) -> Response:
    return _page(request, ctx)


@router.post("/settings/members")
def add_member(
    request: Request,
    email: str = Form(""),
    name: str = Form(""),
    role: str = Form("viewer"),
    password: str = Form(""),
    ctx: WebContext = Depends(_manage_2fa),
) -> Response:
    assert ctx.company is not None
    try:
        members.add_member_by_email(
            ctx.db,
            company=ctx.company,
            email=email,
            role=role,
            name=name,
            password=password,
            actor=ctx.actor,
        )
    except DomainError as exc:
        ctx.db.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {}
        return _page(
            request,
            ctx,
            error=exc.message,
            errors=errors,
            form={"email": email, "name": name, "role": role},
            status=exc.status,
        )
    ctx.db.commit()
    return RedirectResponse("/settings/members?done=added", status_code=303)


@router.post("/settings/members/{membership_id}/role")
def change_role(
    request: Request,
    membership_id: int,
    role: str = Form(...),
    ctx: WebContext = Depends(_manage_2fa),
) -> Response:
    assert ctx.company is not None
    try:
        members.change_role(
            ctx.db,
            company_id=ctx.company.id,
            membership_id=membership_id,
            role=role,
            actor=ctx.actor,
        )
    except DomainError as exc:
        ctx.db.rollback()
        return _page(request, ctx, error=exc.message, status=exc.status)
    ctx.db.commit()
    return RedirectResponse("/settings/members?done=role", status_code=303)
