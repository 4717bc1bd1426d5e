"""Jinja2 templates and the one ``render`` helper every HTML view uses."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from newledger.audit.tags import describe
from newledger.config import get_settings
from newledger.identity.twofactor import has_second_factor
from newledger.web.context import WebContext
from newledger.web.errors import StepUpRequired
from newledger.web.nav import nav_for

__all__ = ["render", "render_error", "render_step_up", "templates"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals["app_name"] = "NewLedger"
templates.env.filters["event_label"] = describe
templates.env.globals["has_second_factor"] = has_second_factor


def render(
    request: Request,
    name: str,
    ctx: WebContext | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    """Render ``name`` inside the layout. Pages for a signed-in user are never cached."""
    context: dict[str, Any] = {
        "ctx": ctx,
        "nav": nav_for(ctx.permissions) if ctx is not None else [],
        "csrf_token": ctx.web_session.csrf_token if ctx is not None else "",
        "current_path": request.url.path,
        "demo_mode": get_settings().demo_mode,
        **values,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status)
    if headers:
        response.headers.update(headers)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _ctx_of(request: Request) -> WebContext | None:
    ctx = getattr(request.state, "web_ctx", None)
    return ctx  # type: ignore[no-any-return]


def render_error(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        _ctx_of(request),
        status=status,
        headers=headers,
        title=title,
        message=message,
    )


def render_step_up(request: Request, exc: StepUpRequired) -> HTMLResponse:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return render(
        request,
        "twofactor/stepup.html",
        _ctx_of(request),
        status=exc.status,
        headers=headers,
        action_url=request.url.path,
        label=exc.label,
        fields=exc.fields,
        facts=exc.facts,
        error=exc.error,
        has_totp=exc.totp,
        has_passkey=exc.passkey,
    )
