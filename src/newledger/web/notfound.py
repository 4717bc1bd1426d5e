"""Error pages for addresses no view answers: a person in a browser gets a page, not JSON.

Starlette answers an unknown path (404), a wrong method (405) and FastAPI an unparsable path
parameter (``/invoices/abc``: 422) with a bare JSON body. Browsers asking for HTML get the
workspace's error page instead; OAuth and MCP keep their JSON answers, and anything under
``/api/`` answers ``application/problem+json`` like the REST API itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from newledger.appconnect.api.problems import http_problem
from newledger.web.errors import WebRoute
from newledger.web.templating import render_error

__all__ = ["install_not_found_pages"]

# Machine endpoints: their clients expect JSON whatever they accept.
_MACHINE_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/mcp", "/healthz", "/static/")

_PAGES = {
    404: ("Not found", "There is nothing at this address. Check the link, or start again."),
    405: (
        "Not found",
        "This address cannot be opened in a browser. Start again from the start page.",
    ),
}


def _wants_page(request: Request) -> bool:
    if request.url.path.startswith(_MACHINE_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_not_found_pages(app: Any) -> None:
    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith("/api/"):
            return await http_problem(request, exc)
        if exc.status_code in _PAGES and _wants_page(request):
            title, message = _PAGES[exc.status_code]
            return render_error(request, exc.status_code, title, message)
        return await http_exception_handler(request, exc)

    async def on_invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        # Only an HTML view's path parameter (an id that is not a number) gets a page: no
        # record can have that id, so it is a page that does not exist.
        in_path = all(error.get("loc", ("",))[0] == "path" for error in exc.errors())
        if in_path and isinstance(request.scope.get("route"), WebRoute) and _wants_page(request):
            title, message = _PAGES[404]
            return render_error(request, 404, title, message)
        return await request_validation_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
