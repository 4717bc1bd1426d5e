"""Settings → Members: owners and admins invite people, change roles and remove members; owners
deactivate and reactivate people whose only companies are theirs.

Inviting, role changes, removal and (de)activation ask for a fresh authenticator code (step-up).
The invitation response is the same whether the email has an account or not.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from newledger.config import get_settings
from newledger.errors import DomainError, NotFound, ValidationFailed
from newledger.identity import accounts, invitations, members
from newledger.identity.models import Membership, User
from newledger.identity.permissions import Permission, Role
from newledger.web.deps import (
    WebContext,
    require_permission,
    require_permission_and_step_up,
    web_router,
)
from newledger.web.nav import SETTINGS_NAV, nav_for
from newledger.web.templating import render

router = web_router()
_manage = require_permission(Permission.MEMBERS_MANAGE)
_own = require_permission(Permission.COMPANY_MANAGE)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _page(
    request: Request,
    ctx: WebContext,
    *,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    invited: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    assert ctx.company is not None
    return render(
        request,
        "settings/members.html",
        ctx,
        status=status,
        headers=NO_STORE if invited else None,
        settings_nav=nav_for(ctx.permissions, SETTINGS_NAV),
        members=members.list_members(ctx.db, ctx.company.id),
        invitations=invitations.list_for_company(ctx.db, ctx.company.id),
        roles=[r.value for r in Role],
        can_manage_owners=ctx.can(Permission.COMPANY_MANAGE),
        invited=invited,
        error=error,
        errors=errors or {},
        form=form or {},
        done=request.query_params.get("done"),
    )


def _company_id(ctx: WebContext) -> int:
    assert ctx.company is not None  # the permission gate requires a company
    return ctx.company.id


def _failed(request: Request, ctx: WebContext, exc: DomainError, **kw: object) -> Response:
    ctx.db.rollback()
    errors = exc.errors if isinstance(exc, ValidationFailed) else {}
    return _page(request, ctx, error=exc.message, errors=errors, status=exc.status, **kw)  # type: ignore[arg-type]


def _change(request: Request, ctx: WebContext, change: Callable[[], object], done: str) -> Response:
    """Run one member change: commit it and go back to the list with ``?done=``, or show the
    list again with the domain error (nothing of the change kept)."""
    try:
        change()
    except DomainError as exc:
        return _failed(request, ctx, exc)
    ctx.db.commit()
    return RedirectResponse(f"/settings/members?done={done}", status_code=303)


@router.get("/settings/members")
def members_page(request: Request, ctx: WebContext = Depends(_manage)) -> Response:
    return _page(request, ctx)


@router.post("/settings/members")
def invite(
    request: Request,
    email: str = Form(""),
    role: str = Form("viewer"),
    ctx: WebContext = Depends(
        require_permission_and_step_up(_manage, "member.invite", "Invite this person")
    ),
) -> Response:
    assert ctx.company is not None
    try:
        invitation, token = invitations.invite(
            ctx.db, company=ctx.company, email=email, role=role, actor=ctx.actor
        )
    except DomainError as exc:
        return _failed(request, ctx, exc, form={"email": email, "role": role})
    ctx.db.commit()
    link = f"{get_settings().issuer}/invitations/link/{token}"
    # The token is shown here once and never again (only its digest is stored).
    return _page(request, ctx, invited=(invitation.email, link))


@router.post("/settings/members/invitations/{invitation_id}/cancel")
def cancel_invitation(
    request: Request, invitation_id: int, ctx: WebContext = Depends(_manage)
) -> Response:
    company_id = _company_id(ctx)
    return _change(
        request,
        ctx,
        lambda: invitations.cancel(
            ctx.db, company_id=company_id, invitation_id=invitation_id, actor=ctx.actor
        ),
        "cancelled",
    )


@router.post("/settings/members/{membership_id}/role")
def change_role(
    request: Request,
    membership_id: int,
    role: str = Form(...),
    ctx: WebContext = Depends(
        require_permission_and_step_up(_manage, "member.role", "Change this member's role")
    ),
) -> Response:
    company_id = _company_id(ctx)
    return _change(
        request,
        ctx,
        lambda: members.change_role(
            ctx.db, company_id=company_id, membership_id=membership_id, role=role, actor=ctx.actor
        ),
        "role",
    )


@router.post("/settings/members/{membership_id}/remove")
def remove(
    request: Request,
    membership_id: int,
    ctx: WebContext = Depends(
        require_permission_and_step_up(_manage, "member.remove", "Remove this member")
    ),
) -> Response:
    company_id = _company_id(ctx)
    return _change(
        request,
        ctx,
        lambda: members.remove_member(
            ctx.db, company_id=company_id, membership_id=membership_id, actor=ctx.actor
        ),
        "removed",
    )


def _member_user(ctx: WebContext, membership_id: int) -> User:
    assert ctx.company is not None
    membership = ctx.db.get(Membership, membership_id)
    user = ctx.db.get(User, membership.user_id) if membership else None
    if membership is None or membership.company_id != ctx.company.id or user is None:
        raise NotFound("No such member")
    return user


@router.post("/settings/members/{membership_id}/deactivate")
def deactivate(
    request: Request,
    membership_id: int,
    ctx: WebContext = Depends(
        require_permission_and_step_up(_own, "user.deactivate", "Deactivate this person")
    ),
) -> Response:
    return _change(
        request,
        ctx,
        lambda: accounts.deactivate_user(
            ctx.db, user=_member_user(ctx, membership_id), actor=ctx.actor
        ),
        "deactivated",
    )


@router.post("/settings/members/{membership_id}/reactivate")
def reactivate(
    request: Request,
    membership_id: int,
    ctx: WebContext = Depends(
        require_permission_and_step_up(_own, "user.reactivate", "Reactivate this person")
    ),
) -> Response:
    return _change(
        request,
        ctx,
        lambda: accounts.reactivate_user(
            ctx.db, user=_member_user(ctx, membership_id), actor=ctx.actor
        ),
        "reactivated",
    )
