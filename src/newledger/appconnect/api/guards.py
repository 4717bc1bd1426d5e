"""Checks every operation makes before FastAPI reads its parameters, set up once per route.

- A query parameter the operation does not take is a 400 ``unknown_parameter`` (a typo such as
  ``?stauts=paid`` would otherwise list everything). The check is one set difference on the
  names already in the query string; a request without a query string pays nothing.
- A body sent as anything but JSON (``application/json`` or ``…+json``) is a 415
  ``unsupported_media_type`` rather than a 422 about the body's fields.
- ``HEAD`` is answered wherever ``GET`` is (the server sends the headers, not the body).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from newledger.appconnect.api.problems import problem_response

__all__ = ["guard_routes"]


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _guarded(app: ASGIApp, allowed: frozenset[str], takes_body: bool) -> ASGIApp:
    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"")
        if query:
            names = {name for name, _ in parse_qsl(query.decode("latin-1"), True)}
            unknown = names - allowed
            if unknown:
                listed = ", ".join(sorted(unknown))
                await problem_response(
                    400,
                    "unknown_parameter",
                    f"Unknown query parameter(s): {listed}.",
                    errors={name: "unknown parameter" for name in sorted(unknown)},
                )(scope, receive, send)
                return
        if takes_body:
            content_type = next((v for k, v in scope["headers"] if k == b"content-type"), None)
            if content_type is not None and not _is_json(content_type):
                await problem_response(
                    415,
                    "unsupported_media_type",
                    "Send the body as application/json.",
                    headers={"Accept": "application/json"},
                )(scope, receive, send)
                return
        await app(scope, receive, send)

    return guarded


def _query_names(dependant: Dependant) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


def guard_routes(api: FastAPI) -> None:
    """Wrap each API route's handler in its guard and let ``GET`` routes answer ``HEAD``."""
    for route in api.router.routes:
        if not isinstance(route, APIRoute):
            continue
        allowed = _query_names(route.dependant)
        route.app = _guarded(route.app, allowed, route.body_field is not None)
        if route.methods and "GET" in route.methods:
            route.methods.add("HEAD")
