"""The pages for the errors in ``errors``: the exception handlers a web app installs, and the bare
error page the middleware layers send when no view (and no request context) is involved."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from newledger.web.errors import PageError, PasskeyOptions, Redirect, StepUpRequired
from newledger.web.templating import render_error, render_step_up, templates

__all__ = ["html_error", "install_error_pages", "passkey_options_response"]

_NO_STORE = {"Cache-Control": "no-store"}


def passkey_options_response(exc: PasskeyOptions) -> Response:
    """The options as the browser's ``fetch`` expects them; never cached (one-time challenge)."""
    if exc.error:
        return JSONResponse({"error": exc.error}, status_code=exc.status, headers=_NO_STORE)
    return Response(exc.options, media_type="application/json", headers=_NO_STORE)


def install_error_pages(app: Any) -> None:
    async def on_page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return render_error(request, exc.status, exc.title, exc.message, headers=exc.headers)

    async def on_redirect(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Redirect)
        return RedirectResponse(exc.url, status_code=303)

    async def on_step_up(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StepUpRequired)
        return render_step_up(request, exc)

    async def on_passkey_options(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PasskeyOptions)
        return passkey_options_response(exc)

    app.add_exception_handler(PasskeyOptions, on_passkey_options)
    app.add_exception_handler(PageError, on_page_error)
    app.add_exception_handler(Redirect, on_redirect)
    app.add_exception_handler(StepUpRequired, on_step_up)


def html_error(status: int, title: str, message: str) -> HTMLResponse:
    body = templates.get_template("error.html").render(
        status=status, title=title, message=message, ctx=None, nav=[], csrf_token=""
    )
    return HTMLResponse(body, status_code=status)
