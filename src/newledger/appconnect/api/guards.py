"""Checks every operation makes before FastAPI reads its parameters, from one table of routes.

- A query parameter the operation does not take is a 400 ``unknown_parameter`` (a typo such as
  ``?stauts=paid`` would otherwise list everything). The check is one set difference on the
  names in the query string; a request without a query string pays nothing.
- A body sent as anything but JSON (``application/json`` or ``…+json``) is a 415
  ``unsupported_media_type`` rather than a 422 about the body's fields. Uploads (a
  ``multipart/form-data`` request body in the route's ``openapi_extra``) are read by their
  handler, which judges their type itself.
- ``HEAD`` is answered wherever ``GET`` is: the ``GET`` handler runs and the HTTP server sends
  its headers without the body.
- A 405 names every method of the path in ``Allow`` (``RouteTable.allow``): FastAPI keeps one
  route per method and would name only the first.

The table is built once from the API's own routers, so a route added to ``ROUTERS`` is covered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from newledger.appconnect.api.problems import problem_response

__all__ = ["ApiGuard", "RouteTable"]


@dataclass(frozen=True)
class _Operation:
    methods: frozenset[str]
    query: frozenset[str]
    takes_body: bool  # a JSON body FastAPI reads
    streams_body: bool  # a multipart upload its handler streams (``attachments.upload``)


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _streams_body(route: APIRoute) -> bool:
    body = (route.openapi_extra or {}).get("requestBody", {})
    return "multipart/form-data" in body.get("content", {})


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class RouteTable:
    """Each API path's operations: exact paths in a dict, templated ones by their regex."""

    def __init__(self, routers: Iterable[APIRouter]) -> None:
        by_path: dict[str, list[_Operation]] = {}
        regexes: dict[str, re.Pattern[str]] = {}
        for route in (r for router in routers for r in router.routes):
            if not isinstance(route, APIRoute):
                continue
            methods = set(route.methods or ())
            if "GET" in methods:
                methods.add("HEAD")
            op = _Operation(
                frozenset(methods),
                frozenset(_query_names(route.dependant)),
                bool(route.body_field),
                _streams_body(route),
            )
            by_path.setdefault(route.path_format, []).append(op)
            regexes[route.path_format] = route.path_regex
        self._exact = {p: ops for p, ops in by_path.items() if "{" not in p}
        self._templated = [(regexes[p], ops) for p, ops in by_path.items() if "{" in p]

    def operations(self, path: str) -> list[_Operation]:
        ops = self._exact.get(path)
        if ops is not None:
            return ops
        for regex, templated in self._templated:
            if regex.match(path):
                return templated
        return []

    def streams_body(self, path: str, method: str) -> bool:
        """Whether ``method`` on ``path`` is an upload whose handler reads (and limits) its
        own body."""
        return any(op.streams_body and method in op.methods for op in self.operations(path))

    def allow(self, path: str) -> str:
        return ", ".join(sorted({m for op in self.operations(path) for m in op.methods}))


class ApiGuard:
    def __init__(self, app: ASGIApp, table: RouteTable) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        op = next(
            (o for o in self.table.operations(get_route_path(scope)) if method in o.methods), None
        )
        if op is None:  # the router answers: 404, or 405 with RouteTable.allow
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if query:
            unknown = {name for name, _ in parse_qsl(query.decode("latin-1"), True)} - op.query
            if unknown:
                await problem_response(
                    400,
                    "unknown_parameter",
                    f"Unknown query parameter(s): {', '.join(sorted(unknown))}.",
                    errors=dict.fromkeys(sorted(unknown), "unknown parameter"),
                )(scope, receive, send)
                return
        if op.takes_body:
            content_type = next((v for k, v in scope["headers"] if k == b"content-type"), None)
            if content_type is not None and not _is_json(content_type):
                await problem_response(
                    415, "unsupported_media_type", "Send the body as application/json."
                )(scope, receive, send)
                return
        if method == "HEAD":
            scope = {**scope, "method": "GET"}  # the server still sends no body for HEAD
        await self.app(scope, receive, send)
