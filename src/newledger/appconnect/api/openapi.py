"""The OpenAPI 3.1 document of REST API v1 and the human docs page built from it.

Each operation's permission comes from its ``requires(...)`` dependency, so the document cannot
drift from what the code checks: it is written into ``x-permission`` and into the operation's
description. Every operation also documents its problem responses.

The docs page (``/api/docs``) is rendered on the server from the same document: Swagger UI and
Redoc load JavaScript from a CDN, which an offline install cannot reach and the CSP forbids.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse

from newledger.appconnect.api.problems import PROBLEM_CODES, PROBLEM_MEDIA_TYPE
from newledger.appconnect.api.schemas import Problem
from newledger.identity.permissions import CATALOGUE, Permission

__all__ = ["build_openapi", "docs_page", "route_permission"]

API_PREFIX = "/api/v1"
_METHODS = ("get", "post", "put", "patch", "delete")
_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "An App Connect access token (`nlat_…`) from `POST /oauth/token` "
        "(grant `client_credentials`, client id and secret of an API credential app)."
    ),
}


def route_permission(route: APIRoute) -> tuple[bool, Permission | None]:
    """``(authenticated, permission)`` for a route, read from its ``requires`` dependency."""
    for dep in route.dependant.dependencies:
        if dep.call is not None and hasattr(dep.call, "permission"):
            return True, dep.call.permission
    return False, None


def _problem_ref(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def build_openapi(app: FastAPI, routers: Sequence[APIRouter]) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        servers=[{"url": API_PREFIX}],
    )
    components = spec.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearerAuth"] = _SECURITY_SCHEME
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    # The API's own routers, not ``app.routes``: included routers are wrapped there.
    for route in (r for router in routers for r in router.routes):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        authenticated, permission = route_permission(route)
        for method in route.methods or ():
            op = spec["paths"][route.path_format].get(method.lower())
            if op is None:
                continue
            responses = op.setdefault("responses", {})
            responses["422"] = _problem_ref("Invalid request (per-field `errors`)")
            if not authenticated:
                continue
            op["security"] = [{"bearerAuth": []}]
            if permission is None:
                note = "Needs a valid token; no particular permission."
            else:
                note = f"Requires permission `{permission.value}`."
                op["x-permission"] = permission.value
                responses["403"] = _problem_ref(f"The token lacks `{permission.value}`")
            op["description"] = f"{note}\n\n{op.get('description', '')}".strip()
            responses["401"] = _problem_ref("Missing, invalid, expired or revoked token")
            if "{" in route.path_format:
                responses["404"] = _problem_ref("No such object in this token's company")
            names = {p.get("name") for p in op.get("parameters", [])}
            if "If-Match" in names:
                responses["409"] = _problem_ref("Not a draft any more (`invalid_state`)")
                responses["412"] = _problem_ref("Stale If-Match: read again and retry")
                responses["428"] = _problem_ref("If-Match is required")
            if "Idempotency-Key" in names:
                responses["409"] = _problem_ref("The first request with this key is running")
            responses["429"] = _problem_ref("Rate limit exceeded (see `Retry-After`)")
    app.openapi_schema = spec
    return spec


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items'))}"
    return str(schema.get("type", ""))


def _render(spec: dict[str, Any]) -> str:
    esc = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(spec['info']['title'])}</title></head><body>",
        f"<h1>{esc(spec['info']['title'])} {esc(spec['info']['version'])}</h1>",
        "<p>Base URL <code>/api/v1</code>. Authenticate with <code>Authorization: Bearer "
        "nlat_…</code> from <code>POST /oauth/token</code> (grant <code>client_credentials"
        "</code>). Machine-readable: <a href='/api/v1/openapi.json'>openapi.json</a> "
        "(OpenAPI 3.1).</p>",
        "<h2>Conventions</h2><ul>",
        "<li>Amounts are decimal strings with their currency; dates are ISO 8601.</li>",
        "<li>Lists take <code>limit</code> (1 to 200, default 50), <code>cursor</code> (the "
        "previous page's <code>next_cursor</code>) and <code>updated_since</code>.</li>",
        "<li>Creates accept <code>Idempotency-Key</code>: a replay returns the first result "
        "with <code>Idempotent-Replayed: true</code>; the same key with another body is a 422."
        "</li>",
        "<li>Draft updates and deletes need <code>If-Match</code> with the <code>ETag</code> "
        "from a read: missing is 428, stale is 412.</li>",
        "<li>Rate limits answer 429 with <code>Retry-After</code>; every response carries "
        "<code>RateLimit-Limit</code>, <code>RateLimit-Remaining</code>, "
        "<code>RateLimit-Reset</code>.</li>",
        "<li>Drafts created here wait in the review queue: an app never posts to the ledger."
        "</li></ul>",
        "<h2>Operations</h2><table><thead><tr><th>Method</th><th>Path</th><th>Permission</th>"
        "<th>Summary</th><th>Body</th><th>Response</th></tr></thead><tbody>",
    ]
    for path, item in spec["paths"].items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ok: dict[str, Any] = next(
                (r for s, r in op["responses"].items() if s.startswith("2")), {}
            )
            ok_schema = ok.get("content", {}).get("application/json", {}).get("schema")
            perm = op.get("x-permission", "any valid token" if op.get("security") else "none")
            out.append(
                f"<tr id='{esc(op.get('operationId', ''))}'><td>{method.upper()}</td>"
                f"<td><code>/api/v1{esc(path)}</code></td><td><code>{esc(perm)}</code></td>"
                f"<td>{esc(op.get('summary', ''))}</td>"
                f"<td>{esc(_schema_name(body.get('schema')))}</td>"
                f"<td>{esc(_schema_name(ok_schema))}</td></tr>"
            )
    out.append("</tbody></table><h2>Permissions</h2><dl>")
    for info in CATALOGUE.values():
        if info.delegable:
            out.append(f"<dt><code>{info.permission.value}</code></dt>")
            out.append(f"<dd>{esc(info.description)}</dd>")
    out.append("</dl><h2>Problem codes</h2><dl>")
    for code, meaning in PROBLEM_CODES.items():
        out.append(f"<dt id='problem-{code}'><code>{code}</code></dt><dd>{esc(meaning)}</dd>")
    out.append("</dl><h2>Schemas</h2>")
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        out.append(f"<h3 id='schema-{esc(name)}'>{esc(name)}</h3>")
        props = schema.get("properties", {})
        if not props:
            continue
        required = set(schema.get("required", []))
        out.append("<table><tbody>")
        for prop, sub in props.items():
            kind = _schema_name(sub) or " | ".join(
                _schema_name(alt) for alt in sub.get("anyOf", [])
            )
            req = "required" if prop in required else ""
            out.append(
                f"<tr><td><code>{esc(prop)}</code></td><td>{esc(kind)}</td><td>{req}</td>"
                f"<td>{esc(str(sub.get('description', '')))}</td></tr>"
            )
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "".join(out)


def docs_page(api: FastAPI) -> HTMLResponse:
    """The human reference, rendered once per process from the OpenAPI document."""
    page = _render(api.openapi())
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )
