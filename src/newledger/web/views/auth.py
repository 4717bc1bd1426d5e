"""Sign-in (password, then a TOTP code, a passkey or a recovery code; or a passkey alone,
username-less) and sign-out.

Passkey forms work in two posts, both made by ``passkeys.js``: ``webauthn=options`` answers
the WebAuthn options for a challenge bound to this browser (its session, or before one exists
its pre-session cookie) and to this step, then the form is sent with the passkey's answer."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.config import get_settings
from newledger.errors import AuthenticationFailed, InvalidState, RateLimited
from newledger.identity import passkeys, signin, totp, twofactor
from newledger.identity import sessions as web_sessions
from newledger.identity.models import User, WebSession
from newledger.web.deps import client_ip, get_db, safe_next, user_agent, web_router
from newledger.web.errors import PageError, PasskeyOptions, Redirect, refused_attempt
from newledger.web.security import (
    clear_session_cookie,
    new_presession_nonce,
    presession_cookie_name,
    presession_token,
    session_cookie_name,
    set_presession_cookie,
    set_session_cookie,
    tokens_match,
)
from newledger.web.templating import render

router = web_router()


def _current(request: Request, db: Session) -> WebSession | None:
    return web_sessions.find(db, request.cookies.get(session_cookie_name()))


def _signin_form(
    request: Request,
    row: WebSession | None,
    next_url: str,
    *,
    email: str = "",
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    nonce = None
    if row is not None:
        token = row.csrf_token
    else:
        nonce = request.cookies.get(presession_cookie_name()) or new_presession_nonce()
        token = presession_token(nonce)
    response = render(
        request,
        "auth/signin.html",
        None,
        status=status,
        headers=headers,
        csrf_token=token,
        next=next_url,
        email=email,
        error=error,
    )
    if nonce is not None:
        set_presession_cookie(response, nonce)
    return response


@router.get("/signin")
def signin_page(request: Request, next: str = "/", db: Session = Depends(get_db)) -> Response:
    row = _current(request, db)
    if row is not None and row.user_id is not None:
        raise Redirect(safe_next(next))
    return _signin_form(request, row, safe_next(next))


@router.post("/signin")
def signin_submit(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/"),
    db: Session = Depends(get_db),
) -> Response:
    next_url = safe_next(next)
    row = _current(request, db)
    _check_presession(request, row, csrf_token)
    ip, ua = client_ip(request), user_agent(request)
    try:
        user = signin.check_password(db, email, password, ip=ip, user_agent=ua)
    except (RateLimited, AuthenticationFailed) as exc:
        db.commit()  # the attempt counts and a lockout is recorded
        status, headers = refused_attempt(exc)
        return _signin_form(
            request, row, next_url, email=email, error=exc.message, status=status, headers=headers
        )
    if twofactor.has_second_factor(user):
        issued = web_sessions.begin_pending(db, row, user_id=user.id, ip=ip, user_agent=ua)
        target = "/signin/totp?" + _q(next_url)
    else:
        issued = _sign_in(db, row, user, "password", ip, ua)
        target = next_url
    db.commit()
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, issued.token)
    response.delete_cookie(presession_cookie_name(), path="/")
    return response


def _check_presession(request: Request, row: WebSession | None, csrf_token: str) -> None:
    """With no session yet the middleware had nothing to check: verify the pre-session token."""
    if row is not None:
        return
    nonce = request.cookies.get(presession_cookie_name())
    if not nonce or not tokens_match(presession_token(nonce), csrf_token):
        raise PageError(
            403,
            "Not allowed",
            "This sign-in form has expired. Reload the page and try again.",
        )


def _sign_in(
    db: Session, row: WebSession | None, user: User, method: str, ip: str | None, ua: str | None
) -> web_sessions.IssuedSession:
    """Open a signed-in session in the user's default company and record the sign-in."""
    issued = web_sessions.sign_in(
        db,
        row,
        user_id=user.id,
        company_id=signin.default_company_id(db, user.id),
        ip=ip,
        user_agent=ua,
    )
    signin.record_signed_in(db, user, method=method, ip=ip, user_agent=ua)
    return issued


def _q(next_url: str) -> str:
    return urlencode({"next": next_url})


def _pending(request: Request, db: Session) -> tuple[WebSession, User]:
    row = _current(request, db)
    if row is None or row.pending_user_id is None:
        raise Redirect("/signin")
    user = db.get(User, row.pending_user_id)
    if user is None or not user.is_active or not twofactor.has_second_factor(user):
        raise Redirect("/signin")
    return row, user


def _totp_form(
    request: Request,
    row: WebSession,
    user: User,
    next_url: str,
    *,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    demo_code = None
    # Demo-only convenience: never for a real account, and only in demo mode.
    if get_settings().demo_mode and user.is_demo and user.totp_secret:
        demo_code = totp.current_code(user.totp_secret)
    return render(
        request,
        "auth/totp.html",
        None,
        status=status,
        headers=headers,
        csrf_token=row.csrf_token,
        next=next_url,
        error=error,
        demo_code=demo_code,
        email=user.email,
        has_totp=user.totp_enabled_at is not None,
        has_passkey=bool(user.passkeys),
    )


@router.get("/signin/totp")
def totp_page(request: Request, next: str = "/", db: Session = Depends(get_db)) -> Response:
    row, user = _pending(request, db)
    return _totp_form(request, row, user, safe_next(next))


def _second_factor(
    request: Request, db: Session, next: str, method: str, check: str, code: str
) -> Response:
    row, user = _pending(request, db)
    next_url = safe_next(next)
    ip, ua = client_ip(request), user_agent(request)
    actor = Actor("user", None, user_id=user.id, label=user.email, ip=ip, user_agent=ua)
    try:
        if check == "totp":
            twofactor.verify_totp(db, user, code, actor, purpose="sign-in")
        else:
            twofactor.use_recovery_code(db, user, code, actor)
    except (RateLimited, AuthenticationFailed) as exc:
        db.commit()  # the attempt counts and a lockout is recorded
        status, headers = refused_attempt(exc)
        return _totp_form(
            request, row, user, next_url, error=exc.message, status=status, headers=headers
        )
    issued = _sign_in(db, row, user, method, ip, ua)
    db.commit()
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, issued.token)
    return response


@router.post("/signin/totp")
def totp_submit(
    request: Request, code: str = Form(""), next: str = Form("/"), db: Session = Depends(get_db)
) -> Response:
    return _second_factor(request, db, next, "totp", "totp", code)


@router.post("/signin/recovery")
def recovery_submit(
    request: Request,
    recovery_code: str = Form(""),
    next: str = Form("/"),
    db: Session = Depends(get_db),
) -> Response:
    return _second_factor(request, db, next, "recovery_code", "recovery", recovery_code)


def _passkey_answer(
    request: Request, db: Session, ask: passkeys.Ask, user: User | None, webauthn: str, passkey: str
) -> tuple[User, Actor] | None:
    """Options for ``webauthn=options`` (raised as ``PasskeyOptions``); else check the answer
    and return the user it signs in, or None when there is no answer."""
    if webauthn == "options":
        try:
            options = passkeys.authentication_options(db, ask, user)
        except InvalidState as exc:
            raise PasskeyOptions(error=exc.message, status=400) from exc
        db.commit()
        raise PasskeyOptions(options)
    if not passkey:
        return None
    ip, ua = client_ip(request), user_agent(request)
    label = user.email if user is not None else "[passkey]"
    actor = Actor(
        "user", None, user_id=user.id if user else None, label=label, ip=ip, user_agent=ua
    )
    found = passkeys.verify_assertion(db, ask, passkey, actor)
    return found.user, actor


def _passkey_signed_in(
    db: Session, row: WebSession | None, user: User, next_url: str, request: Request
) -> Response:
    issued = _sign_in(db, row, user, "passkey", client_ip(request), user_agent(request))
    db.commit()
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, issued.token)
    response.delete_cookie(presession_cookie_name(), path="/")
    return response


@router.post("/signin/passkey")
def passkey_signin(
    request: Request,
    csrf_token: str = Form(""),
    next: str = Form("/"),
    webauthn: str = Form(""),
    passkey: str = Form(""),
    db: Session = Depends(get_db),
) -> Response:
    """Username-less sign-in: any discoverable passkey of an active user signs them in (user
    verification makes it both factors)."""
    next_url = safe_next(next)
    row = _current(request, db)
    _check_presession(request, row, csrf_token)
    if row is not None:
        binding = passkeys.session_binding(row.id)
    else:
        binding = passkeys.presession_binding(request.cookies.get(presession_cookie_name(), ""))
    ask = passkeys.Ask(binding, passkeys.SIGN_IN, "sign-in", "passkey-first")
    try:
        answered = _passkey_answer(request, db, ask, None, webauthn, passkey)
    except AuthenticationFailed as exc:
        db.commit()  # the refusal is in the activity log
        return _signin_form(request, row, next_url, error=exc.message, status=400)
    if answered is None:
        raise Redirect("/signin?" + _q(next_url))
    return _passkey_signed_in(db, row, answered[0], next_url, request)


@router.post("/signin/2fa/passkey")
def passkey_second_factor(
    request: Request,
    next: str = Form("/"),
    webauthn: str = Form(""),
    passkey: str = Form(""),
    db: Session = Depends(get_db),
) -> Response:
    """The second step with a passkey instead of a TOTP code (only the pending user's)."""
    row, user = _pending(request, db)
    next_url = safe_next(next)
    ask = passkeys.Ask(
        passkeys.session_binding(row.id),
        passkeys.SIGN_IN,
        "sign-in",
        f"user:{user.id}",
        user_id=user.id,
    )
    try:
        answered = _passkey_answer(request, db, ask, user, webauthn, passkey)
    except AuthenticationFailed as exc:
        db.commit()  # the refusal is in the activity log
        return _totp_form(request, row, user, next_url, error=exc.message, status=400)
    if answered is None:
        raise Redirect("/signin/totp?" + _q(next_url))
    return _passkey_signed_in(db, row, user, next_url, request)


@router.post("/signout")
def signout(request: Request, db: Session = Depends(get_db)) -> Response:
    row = _current(request, db)
    if row is not None:
        user_id = row.user_id or row.pending_user_id
        user = db.get(User, user_id) if user_id else None
        web_sessions.end(db, row)
        if user is not None and row.user_id is not None:
            signin.record_signed_out(
                db, user, ip=client_ip(request), user_agent=user_agent(request)
            )
        db.commit()
    response = RedirectResponse("/signin", status_code=303)
    clear_session_cookie(response)
    return response
