"""Dependencies for HTML views: the database session, the signed-in user and company, the actor,
permission gates, the 2FA gate and the reusable step-up confirmation.

Usage in a view::

    @router.post("/things/{id}/delete")
    def delete_thing(
        id: int,
        ctx: WebContext = Depends(require_step_up("thing.delete", "Delete this thing")),
    ) -> Response: ...

The form posting there includes ``partials/stepup.html`` (a ``code`` field for TOTP users; a
``passkey`` field that ``passkeys.js`` fills for passkey users); without an answer, or with a
wrong one, the user gets the confirmation page, which posts the same form back. To confirm
with a passkey, ``passkeys.js`` first posts the same form with ``webauthn=options`` and gets the
WebAuthn options for a challenge bound to this session, this action and this URL path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from newledger.actor import Actor
from newledger.db import utcnow
from newledger.errors import AuthenticationFailed, InvalidState, RateLimited
from newledger.identity import passkeys, twofactor
from newledger.identity import sessions as web_sessions
from newledger.identity.models import Company, Membership, User, WebSession
from newledger.identity.permissions import CATALOGUE, Permission, role_permissions
from newledger.runtime import get_sessionmaker
from newledger.web.context import WebContext
from newledger.web.errors import (
    LoginRequired,
    PageError,
    PasskeyOptions,
    Redirect,
    StepUpRequired,
    WebRoute,
)
from newledger.web.security import CSRF_FIELD, session_cookie_name

__all__ = [
    "STEP_UP_FIELDS",
    "WebContext",
    "client_ip",
    "get_db",
    "optional_web_session",
    "require_2fa",
    "require_any",
    "require_permission",
    "require_permission_and_step_up",
    "require_step_up",
    "require_user",
    "safe_next",
    "web_router",
]


def web_router() -> APIRouter:
    """A router for HTML views (domain errors become error pages)."""
    return APIRouter(route_class=WebRoute, include_in_schema=False)


def get_db() -> Iterator[Session]:
    with get_sessionmaker()() as db:
        yield db


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def user_agent(request: Request) -> str | None:
    value = request.headers.get("user-agent")
    return value[:400] if value else None


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths: never ``//evil.example`` or an absolute URL (open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    return value


def optional_web_session(request: Request, db: Session = Depends(get_db)) -> WebSession | None:
    return web_sessions.find(db, request.cookies.get(session_cookie_name()))


def _next_url(request: Request) -> str:
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/"


def require_user(request: Request, db: Session = Depends(get_db)) -> WebContext:
    row = web_sessions.find(db, request.cookies.get(session_cookie_name()))
    if row is None or row.user_id is None:
        raise LoginRequired(_next_url(request))
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        raise LoginRequired(_next_url(request))
    companies = [
        (company, role)
        for company, role in db.execute(
            select(Company, Membership.role)
            .join(Membership, Membership.company_id == Company.id)
            .where(Membership.user_id == user.id)
            .order_by(Company.name, Company.id)
        ).all()
    ]
    current = next(((c, r) for c, r in companies if c.id == row.company_id), None)
    if current is None and companies:
        # The chosen company is gone or the membership ended: fall back to the first one.
        current = companies[0]
        row.company_id = current[0].id
    company, role = current if current else (None, None)
    web_sessions.touch(row)
    if db.dirty:
        db.commit()
    actor = Actor(
        "user",
        company.id if company else None,
        role_permissions(role) if role else frozenset(),
        user_id=user.id,
        label=user.email,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    ctx = WebContext(db, row, user, company, role, companies, actor)
    request.state.web_ctx = ctx  # so error pages keep the layout and navigation
    return ctx


def _forbidden(ctx: WebContext, permissions: tuple[Permission, ...], *, any_of: bool) -> PageError:
    if ctx.company is None:
        return PageError(403, "No company", "You are not a member of any company yet.")
    # In words first ("Approve drafts and post journal entries"), the code after it.
    names = (f"{CATALOGUE[p].description} ({p.value})" for p in permissions)
    needs = ("one of: " if any_of and len(permissions) > 1 else "") + "; ".join(names)
    return PageError(
        403,
        "Not allowed",
        f"Your role in {ctx.company.name} ({ctx.role}) does not allow this. It needs {needs}. "
        "An owner or admin can change your role under Settings → Members.",
    )


def require_permission(
    *permissions: Permission, two_factor: bool = False
) -> Callable[..., WebContext]:
    """The signed-in user must hold every one of ``permissions`` in the current company (and,
    with ``two_factor``, have 2FA on: sensitive actions lead to enrolment first)."""

    def dependency(request: Request, ctx: WebContext = Depends(require_user)) -> WebContext:
        if ctx.company is None or not all(ctx.can(p) for p in permissions):
            missing = tuple(p for p in permissions if not ctx.can(p))
            raise _forbidden(ctx, missing or permissions, any_of=False)
        if two_factor:
            require_2fa(request, ctx)
        return ctx

    return dependency


def require_any(*permissions: Permission) -> Callable[..., WebContext]:
    def dependency(ctx: WebContext = Depends(require_user)) -> WebContext:
        if ctx.company is None or not any(ctx.can(p) for p in permissions):
            raise _forbidden(ctx, permissions, any_of=True)
        return ctx

    return dependency


def _back(request: Request) -> str:
    """Where to return after a detour: this page for GET, else the page the form was on."""
    if request.method == "GET":
        return _next_url(request)
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return "/"
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))


def require_2fa(request: Request, ctx: WebContext = Depends(require_user)) -> WebContext:
    """Sensitive actions need a second factor (TOTP or a passkey): a user without one is led to
    set one up first."""
    if not twofactor.has_second_factor(ctx.user):
        query = urlencode({"next": _back(request), "required": "1"})
        raise Redirect(f"/account/security/2fa?{query}")
    return ctx


# What the confirmation page says is being confirmed: (what, which) pairs, from the request's
# path and form (e.g. ("App", "Receipt Bot"), ("Old secret keeps working for", "1 hour")).
Describe = Callable[[Request, WebContext, dict[str, str]], list[tuple[str, str]]]


# Form fields that answer the step-up rather than belong to the action.
STEP_UP_FIELDS = frozenset({"code", "passkey", "webauthn", CSRF_FIELD})


def require_step_up(
    action: str, label: str, describe: Describe | None = None, *, only_if_enrolled: bool = False
) -> Callable[..., Awaitable[WebContext]]:
    """Require a fresh TOTP code or passkey for ``action`` (e.g. ``app.rotate``), recorded as
    ``identity:stepup:confirmed``. The confirmation commits on its own, so a code stays spent
    even when the action then fails. ``describe`` names what is confirmed on the page that
    asks for the answer, and again after a wrong one. With ``only_if_enrolled``, a user with
    no second factor yet passes without one (adding their first)."""

    async def dependency(request: Request, ctx: WebContext = Depends(require_user)) -> WebContext:
        if only_if_enrolled and not twofactor.has_second_factor(ctx.user):
            return ctx
        require_2fa(request, ctx)
        form = await request.form()
        answer = twofactor.Confirmation(
            code=str(form.get("code") or "").strip(),
            passkey=str(form.get("passkey") or "").strip(),
            binding=passkeys.session_binding(ctx.web_session.id),
            subject=request.url.path,
        )
        if form.get("webauthn") == "options":
            await run_in_threadpool(_passkey_options, ctx, answer, action)
        fields = [
            (k, v) for k, v in form.multi_items() if k not in STEP_UP_FIELDS and isinstance(v, str)
        ]

        def ask(**problem: Any) -> StepUpRequired:
            facts = describe(request, ctx, dict(fields)) if describe else []
            return StepUpRequired(
                action,
                label,
                fields,
                facts=facts,
                totp=ctx.user.totp_enabled_at is not None,
                passkey=bool(ctx.user.passkeys),
                **problem,
            )

        if not answer.code and not answer.passkey:
            raise ask()
        try:
            await run_in_threadpool(_confirm, ctx, answer, action)
        except RateLimited as exc:
            raise ask(error=exc.message, status=429, retry_after=exc.retry_after) from exc
        except (AuthenticationFailed, InvalidState) as exc:
            raise ask(error=exc.message, status=400) from exc
        return ctx

    return dependency


def _passkey_options(ctx: WebContext, answer: twofactor.Confirmation, action: str) -> None:
    """Raise the WebAuthn options for confirming ``action`` here (``PasskeyOptions``)."""
    ask = passkeys.Ask(
        answer.binding, passkeys.STEP_UP, action, answer.subject, user_id=ctx.user.id
    )
    try:
        options = passkeys.authentication_options(ctx.db, ask, ctx.user)
    except InvalidState as exc:
        raise PasskeyOptions(error=exc.message, status=400) from exc
    ctx.db.commit()
    raise PasskeyOptions(options)


def require_permission_and_step_up(
    gate: Callable[..., WebContext], action: str, label: str, describe: Describe | None = None
) -> Callable[..., Awaitable[WebContext]]:
    """``gate`` (a ``require_permission``) first, so a viewer gets 403 without spending a code;
    then ``require_step_up(action, label, describe)``."""
    step_up = require_step_up(action, label, describe)

    async def dependency(
        _: WebContext = Depends(gate), ctx: WebContext = Depends(step_up)
    ) -> WebContext:
        return ctx

    return dependency


def _confirm(ctx: WebContext, answer: twofactor.Confirmation, action: str) -> None:
    try:
        twofactor.confirm_step_up(ctx.db, ctx.user, answer, ctx.actor, action)
        ctx.web_session.stepup_at = utcnow()
    finally:
        # Commit failures too: they count against the rate limit and are in the activity log.
        ctx.db.commit()
