"""The invitee's side: pending invitations after sign-in (accept or decline), and the invitation
link, with which someone without an account creates one and joins."""

from __future__ import annotations

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import DomainError, ValidationFailed
from newledger.identity import invitations
from newledger.identity import sessions as web_sessions
from newledger.web.deps import WebContext, client_ip, get_db, require_user, user_agent, web_router
from newledger.web.security import session_cookie_name
from newledger.web.templating import render

router = web_router()
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "Referrer-Policy": "no-referrer"}


def _list(
    request: Request, ctx: WebContext, *, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "invitations/list.html",
        ctx,
        status=status,
        pending=invitations.pending_for_user(ctx.db, ctx.user),
        done=request.query_params.get("done"),
        error=error,
    )


@router.get("/invitations")
def invitations_page(request: Request, ctx: WebContext = Depends(require_user)) -> Response:
    return _list(request, ctx)


@router.post("/invitations/{invitation_id}/accept")
def accept(
    request: Request, invitation_id: int, ctx: WebContext = Depends(require_user)
) -> Response:
    try:
        membership = invitations.accept(
            ctx.db, invitation_id=invitation_id, user=ctx.user, actor=ctx.actor
        )
    except DomainError as exc:
        ctx.db.rollback()
        return _list(request, ctx, error=exc.message, status=exc.status)
    ctx.web_session.company_id = membership.company_id  # open the company just joined
    ctx.db.commit()
    return RedirectResponse("/", status_code=303)


@router.post("/invitations/{invitation_id}/decline")
def decline(
    request: Request, invitation_id: int, ctx: WebContext = Depends(require_user)
) -> Response:
    try:
        invitations.decline(ctx.db, invitation_id=invitation_id, user=ctx.user, actor=ctx.actor)
    except DomainError as exc:
        ctx.db.rollback()
        return _list(request, ctx, error=exc.message, status=exc.status)
    ctx.db.commit()
    return RedirectResponse("/invitations?done=declined", status_code=303)


def _link_page(
    request: Request,
    db: Session,
    token: str,
    *,
    name: str = "",
    error: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    row = web_sessions.find(db, request.cookies.get(session_cookie_name()))
    try:
        invitation, company = invitations.find_by_token(db, token)
    except DomainError as exc:
        return render(
            request,
            "invitations/link.html",
            None,
            status=410,
            headers=NO_STORE,
            gone=exc.message,
        )
    return render(
        request,
        "invitations/link.html",
        None,
        status=status,
        headers=NO_STORE,
        invitation=invitation,
        company=company,
        csrf_token=row.csrf_token if row is not None else "",
        invitee_name=name,
        error=error,
        errors=errors or {},
    )


@router.get("/invitations/link/{token}")
def link_page(request: Request, token: str, db: Session = Depends(get_db)) -> Response:
    return _link_page(request, db, token)


@router.post("/invitations/link/{token}")
def link_submit(
    request: Request,
    token: str,
    name: str = Form(""),
    password: str = Form(""),
    db: Session = Depends(get_db),
) -> Response:
    # The unguessable token in the path is what authorizes this form (like a password-reset
    # link); a signed-in browser's session CSRF token is checked by the middleware as usual.
    actor = Actor("user", None, ip=client_ip(request), user_agent=user_agent(request))
    try:
        user = invitations.accept_with_new_account(
            db, token=token, name=name, password=password, actor=actor
        )
    except DomainError as exc:
        db.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {}
        return _link_page(
            request, db, token, name=name, error=exc.message, errors=errors, status=exc.status
        )
    db.commit()
    return render(request, "invitations/link.html", None, headers=NO_STORE, created=user.email)
