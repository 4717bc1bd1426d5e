"""The signed-in user's own security: password, TOTP enrolment, recovery codes, sessions (passkeys:
``views/passkeys.py``)."""

from __future__ import annotations

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import AuthenticationFailed, DomainError, RateLimited
from newledger.identity import accounts, passkeys, twofactor
from newledger.identity import sessions as web_sessions
from newledger.web.deps import WebContext, require_step_up, require_user, safe_next, web_router
from newledger.web.errors import Redirect, refused_attempt
from newledger.web.templating import render

router = web_router()

__all__ = ["router", "security_page_response"]


def security_page_response(
    request: Request,
    ctx: WebContext,
    *,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The Settings → Security page (also shown again, with ``error``, after a refused form)."""
    return render(
        request,
        "account/security.html",
        ctx,
        status=status,
        headers=headers,
        totp_on=ctx.user.totp_enabled_at is not None,
        second_factor=twofactor.has_second_factor(ctx.user),
        passkeys=ctx.user.passkeys,
        passkey_host=passkeys.relying_party(),
        recovery_remaining=twofactor.remaining_recovery_codes(ctx.db, ctx.user),
        sessions=web_sessions.list_for_user(ctx.db, ctx.user.id),
        done=request.query_params.get("done"),
        error=error,
    )


@router.get("/account/security")
def security_page(request: Request, ctx: WebContext = Depends(require_user)) -> Response:
    return security_page_response(request, ctx)


@router.post("/account/security/password")
def change_password(
    request: Request,
    current_password: str = Form(""),
    new_password: str = Form(""),
    ctx: WebContext = Depends(require_user),
) -> Response:
    try:
        accounts.change_password(
            ctx.db,
            user=ctx.user,
            current=current_password,
            new=new_password,
            keep_session_id=ctx.web_session.id,
            actor=ctx.actor,
        )
    except (AuthenticationFailed, RateLimited) as exc:
        ctx.db.commit()  # the failed attempt counts against the limit
        status, headers = refused_attempt(exc)
        return security_page_response(
            request, ctx, error=exc.message, status=status, headers=headers
        )
    except DomainError as exc:
        ctx.db.rollback()
        return security_page_response(request, ctx, error=exc.message, status=exc.status)
    ctx.db.commit()
    return RedirectResponse("/account/security?done=password", status_code=303)


def _enrol_page(
    request: Request,
    ctx: WebContext,
    next_url: str,
    *,
    required: bool = False,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    enrolment = twofactor.begin_enrolment(ctx.db, ctx.user)
    ctx.db.commit()  # keep the pending secret, so reloading the page shows the same QR code
    return render(
        request,
        "account/enrol.html",
        ctx,
        status=status,
        headers=headers,
        enrolment=enrolment,
        next=next_url,
        required=required,
        error=error,
    )


@router.get("/account/security/2fa")
def enrol_page(
    request: Request,
    next: str = "/account/security",
    required: str = "",
    ctx: WebContext = Depends(require_user),
) -> Response:
    # With a second factor already (a passkey), the secret is shown only after a step-up
    # (``enrol_start``): a borrowed session must not add a factor of its own.
    if twofactor.has_second_factor(ctx.user):
        raise Redirect("/account/security")
    return _enrol_page(request, ctx, safe_next(next, "/account/security"), required=bool(required))


@router.post("/account/security/2fa/start")
def enrol_start(
    request: Request,
    ctx: WebContext = Depends(
        require_step_up("totp.enrol", "Set up an authenticator app", only_if_enrolled=True)
    ),
) -> Response:
    """A passkey user adds TOTP: confirmed first, then a fresh secret (never one that may have
    been shown before the confirmation)."""
    if ctx.user.totp_enabled_at is not None:
        raise Redirect("/account/security")
    ctx.user.totp_secret = None
    return _enrol_page(request, ctx, "/account/security")


@router.post("/account/security/2fa")
def enrol_submit(
    request: Request,
    code: str = Form(""),
    next: str = Form("/account/security"),
    ctx: WebContext = Depends(require_user),
) -> Response:
    next_url = safe_next(next, "/account/security")
    if ctx.user.totp_enabled_at is not None:
        raise Redirect("/account/security")
    try:
        codes = twofactor.confirm_enrolment(ctx.db, ctx.user, code, ctx.actor)
    except (AuthenticationFailed, RateLimited) as exc:
        ctx.db.commit()  # the failed attempt counts against the limit
        status, headers = refused_attempt(exc)
        return _enrol_page(
            request, ctx, next_url, error=exc.message, status=status, headers=headers
        )
    ctx.db.commit()
    return render(
        request, "account/recovery_codes.html", ctx, codes=codes, next=next_url, enrolled=True
    )


@router.post("/account/security/recovery-codes")
def regenerate_recovery_codes(
    request: Request,
    ctx: WebContext = Depends(
        require_step_up("recovery_codes.regenerate", "Replace your recovery codes")
    ),
) -> Response:
    codes = twofactor.regenerate_recovery_codes(ctx.db, ctx.user, ctx.actor)
    ctx.db.commit()
    return render(
        request,
        "account/recovery_codes.html",
        ctx,
        codes=codes,
        next="/account/security",
        enrolled=False,
    )


@router.post("/account/security/sessions/revoke-others")
def revoke_other_sessions(
    ctx: WebContext = Depends(
        require_step_up("sessions.revoke_others", "Sign out all your other sessions")
    ),
) -> Response:
    count = web_sessions.revoke_all(ctx.db, ctx.user.id, except_id=ctx.web_session.id)
    record(
        ctx.db,
        Event.SESSIONS_REVOKED,
        ctx.actor,
        subject_type="user",
        subject_id=ctx.user.id,
        details={"count": count},
    )
    ctx.db.commit()
    return RedirectResponse("/account/security?done=sessions", status_code=303)
