"""Settings → Security: the signed-in user's passkeys (add, rename, remove) and turning TOTP off.

Adding a passkey takes two posts: the name (behind a step-up when the user already has a
second factor, so a borrowed session cannot add its own), which answers with a page holding
the creation options for a challenge bound to this session; then the authenticator's answer,
which ``passkeys.js`` sends from that page. Removing a passkey or turning TOTP off always
needs a fresh confirmation; the page says so when it is the last second factor.
"""

from __future__ import annotations

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from newledger.errors import AuthenticationFailed, DomainError, InvalidState, ValidationFailed
from newledger.identity import passkeys, second_factor
from newledger.web.deps import WebContext, require_step_up, require_user, web_router
from newledger.web.templating import render
from newledger.web.views.account import security_page_response

__all__ = ["router"]

router = web_router()

BASE = "/account/security/passkeys"


def _is_last_factor(ctx: WebContext, *, removing_totp: bool) -> bool:
    totp_left = ctx.user.totp_enabled_at is not None and not removing_totp
    passkeys_left = len(ctx.user.passkeys) - (0 if removing_totp else 1)
    return not totp_left and passkeys_left <= 0


_LAST = (
    "Afterwards",
    "You have no second factor left: sign-in asks only for your password, and sensitive "
    "actions ask you to set one up again. Your recovery codes stop working.",
)


def _describe_passkey(
    request: Request, ctx: WebContext, form: dict[str, str]
) -> list[tuple[str, str]]:
    try:
        passkey = passkeys.get_passkey(ctx.db, ctx.user, int(request.path_params["passkey_id"]))
    except (DomainError, ValueError):
        return []
    facts = [("Passkey", passkey.name)]
    return [*facts, _LAST] if _is_last_factor(ctx, removing_totp=False) else facts


def _describe_new(request: Request, ctx: WebContext, form: dict[str, str]) -> list[tuple[str, str]]:
    return [("New passkey", form.get("name") or "—")]


def _describe_totp_off(
    request: Request, ctx: WebContext, form: dict[str, str]
) -> list[tuple[str, str]]:
    return [_LAST] if _is_last_factor(ctx, removing_totp=True) else []


@router.post(f"{BASE}/new")
def new_passkey(
    request: Request,
    name: str = Form(""),
    ctx: WebContext = Depends(
        require_step_up("passkey.add", "Add a passkey", _describe_new, only_if_enrolled=True)
    ),
) -> Response:
    """The page that creates the passkey: its options carry a fresh registration challenge."""
    try:
        name = passkeys.clean_name(name)
        options = passkeys.registration_options(
            ctx.db, ctx.user, binding=passkeys.session_binding(ctx.web_session.id)
        )
    except (ValidationFailed, InvalidState) as exc:
        ctx.db.rollback()
        return security_page_response(request, ctx, error=exc.message, status=exc.status)
    ctx.db.commit()
    return render(request, "account/passkey_new.html", ctx, passkey_name=name, options=options)


@router.post(BASE)
def add_passkey(
    request: Request,
    name: str = Form(""),
    passkey: str = Form(""),
    ctx: WebContext = Depends(require_user),
) -> Response:
    """The authenticator's answer to the registration challenge (from ``passkey_new.html``)."""
    try:
        _, codes = second_factor.add_passkey(
            ctx.db,
            ctx.user,
            ctx.actor,
            binding=passkeys.session_binding(ctx.web_session.id),
            credential=passkey,
            name=name,
        )
    except AuthenticationFailed as exc:
        ctx.db.commit()  # the refusal stays in the activity log
        return security_page_response(request, ctx, error=exc.message, status=400)
    except DomainError as exc:
        ctx.db.rollback()
        return security_page_response(request, ctx, error=exc.message, status=exc.status)
    ctx.db.commit()
    if codes is None:
        return RedirectResponse("/account/security?done=passkey", status_code=303)
    return render(
        request,
        "account/recovery_codes.html",
        ctx,
        codes=codes,
        next="/account/security",
        enrolled=True,
    )


@router.post(BASE + "/{passkey_id}/rename")
def rename_passkey(
    request: Request,
    passkey_id: int,
    name: str = Form(""),
    ctx: WebContext = Depends(require_user),
) -> Response:
    try:
        passkeys.rename(ctx.db, ctx.user, passkey_id, name, ctx.actor)
    except ValidationFailed as exc:
        ctx.db.rollback()
        return security_page_response(request, ctx, error=exc.message, status=exc.status)
    ctx.db.commit()
    return RedirectResponse("/account/security?done=passkey_renamed", status_code=303)


@router.post(BASE + "/{passkey_id}/remove")
def remove_passkey(
    passkey_id: int,
    ctx: WebContext = Depends(
        require_step_up("passkey.remove", "Remove this passkey", _describe_passkey)
    ),
) -> Response:
    second_factor.remove_passkey(ctx.db, ctx.user, passkey_id, ctx.actor)
    ctx.db.commit()
    return RedirectResponse("/account/security?done=passkey_removed", status_code=303)


@router.post("/account/security/2fa/disable")
def disable_totp(
    ctx: WebContext = Depends(
        require_step_up("totp.disable", "Turn off authenticator app codes", _describe_totp_off)
    ),
) -> Response:
    second_factor.disable_totp(ctx.db, ctx.user, ctx.actor)
    ctx.db.commit()
    return RedirectResponse("/account/security?done=totp_off", status_code=303)
