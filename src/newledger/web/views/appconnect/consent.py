"""``GET /oauth/authorize`` (the consent screen) and ``POST /oauth/authorize`` (its answer).

The order of the GET matters (RFC 6749 §4.1.2.1, RFC 9700 §4.11.2):

1. the client and its redirect URI are validated; until then errors are an error page only;
2. the user signs in (with their TOTP code when 2FA is on) and comes back to this same URL:
   nothing is ever redirected to a client before a person has signed in;
3. the rest of the request is validated. An error goes back to the client's redirect URI, with
   ``state`` and ``iss``, automatically for a registered (verified) client; for a dynamically
   registered or metadata-document client the page says what went wrong and offers the way
   back, because anyone can register such a client with any https redirect URI and use the
   error path to bounce people there (RFC 9700 §4.11.2: redirect automatically only to
   trusted URIs);
4. a user without a second factor (TOTP or a passkey) is sent to set one up, then back here;
5. for the generic MCP URL the user picks the company; a company MCP URL fixes it;
6. the consent screen, whose form carries a one-time consent id bound to this session
   (``appconnect/consent.py``), the permissions as checkboxes and a TOTP field or a passkey
   (``passkeys.js`` posts the form with ``webauthn=options`` first, for a challenge bound to
   this session and this consent).

The page cannot be framed (``frame-ancestors 'none'``). Its CSP allows exactly one more form
target: the client's redirect URI origin, because browsers apply ``form-action`` to the
redirect that follows the form (approve or deny goes 303 to the client).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from newledger.appconnect import audience, clients, consent
from newledger.appconnect.models import OAuthClient
from newledger.appconnect.oauth import authorize
from newledger.appconnect.oauth.authorize import (
    AuthorizationError,
    AuthorizationRequest,
    InvalidClientRequest,
)
from newledger.errors import AuthenticationFailed, InvalidState, RateLimited, ValidationFailed
from newledger.identity import passkeys, twofactor
from newledger.identity.models import Company
from newledger.identity.permissions import CATALOGUE, Permission
from newledger.web.context import WebContext
from newledger.web.deps import get_db, require_user, web_router
from newledger.web.errors import PasskeyOptions, Redirect, refused_attempt
from newledger.web.security import CONTENT_SECURITY_POLICY
from newledger.web.templating import render

__all__ = ["router"]

router = web_router()

PATH = "/oauth/authorize"
# Our own parameter (the company picked for the generic MCP URL), not an OAuth one.
COMPANY_PARAM = "company"
# An origin safe to put into a CSP source list: scheme, host, optional port, nothing else.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|http://\[::1\](:[0-9]{1,5})?")


# ------------------------------------------------------------------------------ page helpers


def _origin(uri: str | None, *, https_only: bool = False) -> str | None:
    if not uri:
        return None
    parts = urlsplit(uri)
    if https_only and parts.scheme != "https":
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if _ORIGIN.fullmatch(origin) else None


def _csp(redirect_uri: str | None = None, logo_uri: str | None = None) -> dict[str, str]:
    """The strict CSP, widened by the client's redirect origin (form-action) and, for its logo,
    the logo's https origin (img-src). Nothing else is loosened."""
    policy = CONTENT_SECURITY_POLICY
    target = _origin(redirect_uri)
    if target:
        policy = policy.replace("form-action 'self'", f"form-action 'self' {target}")
    logo = _origin(logo_uri, https_only=True)
    if logo:
        policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {logo}")
    return {"Content-Security-Policy": policy, "X-Frame-Options": "DENY"}


def _page(
    request: Request,
    template: str,
    ctx: WebContext | None,
    *,
    status: int = 200,
    redirect_uri: str | None = None,
    logo_uri: str | None = None,
    **values: object,
) -> Response:
    """An OAuth page: no app navigation around it (the person is looking at a decision, not at
    their books), the session's CSRF token, and the consent CSP."""
    return render(
        request,
        template,
        None,
        status=status,
        headers=_csp(redirect_uri, logo_uri),
        csrf_token=ctx.web_session.csrf_token if ctx is not None else "",
        # Shown only when the CSP lets it load (an https origin of plain characters).
        client_logo=logo_uri if _origin(logo_uri, https_only=True) else None,
        signed_in_as=ctx.user.email if ctx is not None else None,
        **values,
    )


def _stop(request: Request, message: str) -> Response:
    """The request cannot be answered to anyone: a page, and nothing sent to the client."""
    return _page(
        request,
        "oauth/error.html",
        None,
        status=400,
        title="This app's request cannot be accepted",
        message=message,
        return_url=None,
    )


def _refuse(
    request: Request, ctx: WebContext, exc: AuthorizationError, *, automatic: bool
) -> Response:
    """An error for a validated redirect URI: sent automatically when ``automatic`` (a verified
    client), else shown with the way back, for the person to follow or not."""
    url = exc.redirect_url()
    if automatic:
        return RedirectResponse(url, status_code=303)
    label = clients.client_label(exc.identified.client)
    return _page(
        request,
        "oauth/error.html",
        ctx,
        status=400,
        title=f"{label.name} cannot be connected",
        message=exc.description,
        client=label,
        return_url=url,
        logo_uri=label.logo_uri,
    )


def _oauth_params(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k != COMPANY_PARAM]


def _self_url(params: list[tuple[str, str]], **extra: str) -> str:
    return f"{PATH}?{urlencode([*params, *extra.items()])}"


# ------------------------------------------------------------------------------------- GET


@router.get(PATH)
def authorize_page(request: Request, db: Session = Depends(get_db)) -> Response:
    params = _oauth_params(request)
    try:
        identified = authorize.identify_client(db, params)
    except InvalidClientRequest as exc:
        return _stop(request, exc.message)
    ctx = require_user(request, db)  # not signed in: sign in, then back to this URL
    try:
        auth_request = authorize.validate(db, identified, params)
    except AuthorizationError as exc:
        return _refuse(request, ctx, exc, automatic=_trusted(ctx, identified.client))
    if not twofactor.has_second_factor(ctx.user):
        back = _self_url(list(request.query_params.multi_items()))
        raise Redirect("/account/security/2fa?" + urlencode({"next": back, "required": "1"}))
    company = _company(request, ctx, auth_request)
    if isinstance(company, Response):
        return company
    consent_id, shown = consent.open_consent(
        db,
        web_session_id=ctx.web_session.id,
        user=ctx.user,
        request=auth_request,
        company=company,
    )
    db.commit()
    # For the generic URL with more than one company to choose from: a way back to the picker.
    choosable = auth_request.company is None and auth_request.client.kind != "registered"
    change_url = _self_url(params) if choosable and len(ctx.companies) > 1 else None
    return _consent_page(
        request,
        ctx,
        consent_id,
        shown,
        chosen=shown.offered,
        not_held=auth_request.permissions - shown.offered,
        change_url=change_url,
    )


def _trusted(ctx: WebContext, client: OAuthClient) -> bool:
    """Whether errors may go to this client's redirect URI without asking: only a registered
    client, and only for people of the company whose administrator registered it (an admin of
    one company vouches for nobody else's users)."""
    mine = {company.id for company, _ in ctx.companies}
    return client.kind == "registered" and client.company_id in mine


def _company(
    request: Request, ctx: WebContext, auth_request: AuthorizationRequest
) -> Company | Response:
    """The company the connection is for: the one a company MCP URL names (the user must be a
    member), or for the generic URL the one picked (a picker first when there is a choice).
    A registered client connects only to the company that registered it: that is whose
    administrator it is verified by."""
    denied = AuthorizationError(
        authorize.IdentifiedClient(
            auth_request.client, auth_request.redirect_uri, auth_request.state
        ),
        "access_denied",
        "The signed-in user has no access to the requested company for this app",
    )
    mine = {company.id: company for company, _ in ctx.companies}
    if auth_request.client.kind == "registered":
        mine = {k: v for k, v in mine.items() if k == auth_request.client.company_id}
    if auth_request.company is not None:
        if auth_request.company.id in mine:
            return mine[auth_request.company.id]
        # A page, also for verified clients: signing in as someone else may be the fix.
        return _refuse(request, ctx, denied, automatic=False)
    if not mine:
        return _refuse(request, ctx, denied, automatic=False)
    wanted = request.query_params.get(COMPANY_PARAM)
    for company in mine.values():
        if company.slug == wanted:
            return company
    if len(mine) == 1:
        return next(iter(mine.values()))
    params = _oauth_params(request)
    label = clients.client_label(auth_request.client)
    return _page(
        request,
        "oauth/choose_company.html",
        ctx,
        client=label,
        choices=[
            (company, role, _self_url(params, **{COMPANY_PARAM: company.slug}))
            for company, role in ctx.companies
            if company.id in mine
        ],
        logo_uri=label.logo_uri,
    )


def _consent_page(
    request: Request,
    ctx: WebContext,
    consent_id: str,
    shown: consent.OpenConsent,
    *,
    chosen: frozenset[Permission],
    not_held: frozenset[Permission] = frozenset(),
    change_url: str | None = None,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    label = clients.client_label(shown.client)
    order = list(CATALOGUE)
    response = _page(
        request,
        "oauth/consent.html",
        ctx,
        status=status,
        redirect_uri=shown.row.redirect_uri,
        logo_uri=label.logo_uri,
        client=label,
        client_id=shown.client.client_id,
        company=shown.company,
        company_fixed=audience.resource_company_slug(shown.row.resource) is not None,
        change_url=change_url,
        resource=shown.row.resource,
        return_host=urlsplit(shown.row.redirect_uri).netloc,
        offered=[CATALOGUE[p] for p in sorted(shown.offered, key=order.index)],
        not_held=[CATALOGUE[p] for p in sorted(not_held, key=order.index)],
        chosen={p.value for p in chosen},
        consent_id=consent_id,
        error=error,
        has_totp=ctx.user.totp_enabled_at is not None,
        has_passkey=bool(ctx.user.passkeys),
    )
    if headers:
        response.headers.update(headers)
    return response


# ------------------------------------------------------------------------------------ POST


@router.post(PATH)
def authorize_answer(
    request: Request,
    consent_id: str = Form(""),
    decision: str = Form(""),
    code: str = Form(""),
    passkey: str = Form(""),
    webauthn: str = Form(""),
    permissions: list[str] = Form([]),
    db: Session = Depends(get_db),
) -> Response:
    """Approve (chosen permissions + a fresh TOTP code or passkey) or deny; either answers the
    consent once. The CSRF middleware has already checked this session's token."""
    ctx = require_user(request, db)
    shown = consent.find_open(db, web_session_id=ctx.web_session.id, consent_id=consent_id)
    binding = passkeys.session_binding(ctx.web_session.id)
    if webauthn == "options" and decision == "approve":
        try:
            options = consent.passkey_options(db, ctx.user, shown, binding)
        except InvalidState as exc:
            raise PasskeyOptions(error=exc.message, status=400) from exc
        db.commit()
        raise PasskeyOptions(options)
    if decision == "deny":
        url = consent.deny(db, ctx.actor, shown)
        db.commit()
        return RedirectResponse(url, status_code=303)
    if decision != "approve":
        raise ValidationFailed("Choose Approve or Deny.")
    chosen = frozenset(p for p in shown.offered if p.value in set(permissions))
    try:
        answer = twofactor.Confirmation(code=code.strip(), passkey=passkey.strip(), binding=binding)
        url = consent.approve(db, ctx.actor, ctx.user, shown, permissions, answer)
    except ValidationFailed as exc:
        db.rollback()
        return _again(request, ctx, consent_id, shown, chosen, exc.message, 422)
    except (AuthenticationFailed, RateLimited, InvalidState) as exc:
        db.commit()  # a refused code counts against the TOTP limit and is in the activity log
        if isinstance(exc, InvalidState):
            return _again(request, ctx, consent_id, shown, chosen, exc.message, 400)
        status, headers = refused_attempt(exc)
        return _again(request, ctx, consent_id, shown, chosen, exc.message, status, headers)
    db.commit()
    return RedirectResponse(url, status_code=303)


def _again(
    request: Request,
    ctx: WebContext,
    consent_id: str,
    shown: consent.OpenConsent,
    chosen: frozenset[Permission],
    error: str,
    status: int,
    headers: dict[str, str] | None = None,
) -> Response:
    """The same consent screen (same consent id, still open) with what went wrong."""
    # Re-read: the refused attempt above was committed or rolled back, expiring the rows.
    shown = consent.find_open(ctx.db, web_session_id=ctx.web_session.id, consent_id=consent_id)
    return _consent_page(
        request, ctx, consent_id, shown, chosen=chosen, error=error, status=status, headers=headers
    )
