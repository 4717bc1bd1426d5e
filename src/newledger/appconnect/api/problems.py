"""RFC 9457 problem details for every REST API error.

Domain errors, request validation errors, unknown routes and unexpected failures all leave the
API as ``application/problem+json``::

    {"type": ".../api/docs#problem-not_found", "title": "Not Found", "status": 404,
     "detail": "No invoice 7", "code": "not_found", "errors": {}}

``code`` is the machine-readable part (stable across releases); ``errors`` maps a field path such
as ``lines.0.amount`` to a message for validation failures. A 500 never carries a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from newledger.errors import (
    AuthenticationFailed,
    DomainError,
    PermissionDenied,
    RateLimited,
)

__all__ = [
    "PROBLEM_CODES",
    "ApiProblem",
    "http_problem",
    "install_problem_handlers",
    "problem_response",
]

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
DOCS_PATH = "/api/docs"

# Codes the API itself emits (domain services add their own, e.g. ``unknown_contact``).
PROBLEM_CODES: dict[str, str] = {
    "invalid_request": "The address holds a control character (such as NUL).",
    "invalid_token": "The bearer token is missing, malformed, expired or revoked.",
    "permission_denied": "The token lacks the permission named in `required`.",
    "not_found": "No such object in this token's company (or no such route).",
    "validation_failed": "The request is invalid; `errors` names each field.",
    "invalid_state": "Not allowed in the object's current status (e.g. editing a posted invoice).",
    "conflict": "The request conflicts with the current state.",
    "precondition_failed": "If-Match does not match the current ETag: re-read and retry.",
    "precondition_required": "Draft updates and deletes need an If-Match header.",
    "external_id_taken": "Another contact of the company already has this `external_id`.",
    "cursor_expired": "The change-feed cursor is older than the changes kept: resync.",
    "idempotency_key_reused": "This Idempotency-Key was used with a different request body.",
    "idempotency_request_in_progress": "The first request with this key is still running.",
    "rate_limited": "Too many requests for this app; wait Retry-After seconds.",
    "method_not_allowed": "The route exists but not for this HTTP method (see `Allow`).",
    "unknown_parameter": "The query names a parameter the operation does not take.",
    "malformed_body": "The body is not UTF-8 JSON.",
    "unsupported_media_type": "The body is not `application/json`.",
    "payload_too_large": "The body is larger than 1 MiB.",
    "file_too_large": "The uploaded file is larger than the server's attachment limit.",
    "unsupported_file_type": "The uploaded file's bytes are not an allowed type (PDF or image).",
    "invalid_upload": "The upload is not one complete file in the multipart part `file`.",
    "too_many_attachments": "The document holds the most files it may; remove one first.",
    "internal_error": "An unexpected error; it has been logged.",
}


class ApiProblem(Exception):
    """An HTTP-level problem raised by the API adapter itself (not by a domain service)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"{DOCS_PATH}#problem-{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": dict(errors or {}),
    }
    if extra:
        body.update(extra)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _field_path(loc: Sequence[Any]) -> str:
    # FastAPI prefixes the location with where the value came from ("body", "query", ...).
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


REALM = 'Bearer realm="NewLedger API"'


def _domain_headers(exc: DomainError, request: Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationFailed):
        # RFC 6750 §3.1: error="invalid_token" is for a token that was sent; a request with
        # none gets the bare challenge.
        if exc.code == "token_missing":
            headers["WWW-Authenticate"] = REALM
        else:
            headers["WWW-Authenticate"] = f'{REALM}, error="invalid_token"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    headers.update(getattr(request.state, "rate_limit_headers", {}))
    return headers


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    extra: dict[str, Any] = {}
    code = exc.code
    if isinstance(exc, PermissionDenied):
        extra["required"] = list(exc.required)
    if isinstance(exc, AuthenticationFailed):
        # One public code whatever the reason, so a probe learns nothing about the token.
        code = "invalid_token"
    errors = getattr(exc, "errors", None)
    return problem_response(
        exc.status,
        code,
        exc.message,
        errors=errors,
        headers=_domain_headers(exc, request),
        extra=extra,
    )


async def _on_api_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    headers = {**getattr(request.state, "rate_limit_headers", {}), **exc.headers}
    return problem_response(
        exc.status, exc.code, exc.detail, errors=exc.errors, headers=headers, extra=exc.extra
    )


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, str] = {}
    for err in exc.errors():
        errors.setdefault(_field_path(err.get("loc", ())), str(err.get("msg", "invalid")))
    return problem_response(
        422,
        "validation_failed",
        "The request is invalid.",
        errors=errors,
        headers=getattr(request.state, "rate_limit_headers", {}),
    )


_HTTP_CODES = {
    400: ("malformed_body", "The body is not UTF-8 JSON."),
    404: ("not_found", "No such route."),
    405: ("method_not_allowed", "This route does not take this method."),
}


def allowed_methods(app: Any, path: str) -> str:
    """The ``Allow`` value for ``path``: every method of every route that matches it (one route
    object per method, so the router alone names only the first)."""
    methods: set[str] = set()
    for route in getattr(app, "routes", ()):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def http_problem(request: Request, exc: Exception) -> Response:
    """A routing error (404, 405) or unreadable body (400) as a problem; also used by the
    web app for the rest of ``/api/``."""
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code, detail = _HTTP_CODES.get(status, ("error", HTTPStatus(status).phrase))
    headers = dict(exc.headers or {})
    if status == 405:
        path = get_route_path(request.scope)
        table = getattr(request.app.state, "route_table", None)  # the API's (api.guards)
        headers["Allow"] = table.allow(path) if table else allowed_methods(request.app, path)
    return problem_response(status, code, detail, headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ClientDisconnect):
        # The client hung up mid-body: nothing failed here, and nobody reads this answer.
        return Response(status_code=400)
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    return problem_response(500, "internal_error", "An unexpected error occurred.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(ApiProblem, _on_api_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(Exception, _on_unexpected)
