"""``/api/docs``: the human reference, rendered on the server from the OpenAPI document.

The app's own Jinja template (``web/templates/api/docs.html``) and stylesheets, with a curl and
a Python (httpx) example per operation. Swagger UI and Redoc load JavaScript from a CDN, which an
offline install cannot reach and the CSP forbids; this page has no script at all.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import FastAPI
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from newledger.appconnect.api.openapi import API_PREFIX
from newledger.appconnect.api.problems import PROBLEM_CODES
from newledger.config import get_settings
from newledger.identity.permissions import CATALOGUE

__all__ = ["docs_page"]

_METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items'))}"
    if "anyOf" in schema:
        return " | ".join(_schema_name(alt) for alt in schema["anyOf"])
    return str(schema.get("type", ""))


# Request bodies for the examples: small, valid on the demo books.
EXAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "createInvoiceDraft": {
        "contact_id": 1,
        "issue_date": "2025-03-01",
        "lines": [{"description": "Design sprint", "quantity": "2", "unit_price": "1250.00"}],
    },
    "updateInvoiceDraft": {"memo": "PO 4471"},
    "createExpenseDraft": {
        "kind": "bill",
        "date": "2025-03-01",
        "contact_id": 2,
        "lines": [{"description": "Printer paper", "amount": "48.20", "account_id": 12}],
    },
    "updateExpenseDraft": {"reference": "INV-88"},
    "createCreditNoteDraft": {
        "contact_id": 1,
        "date": "2025-03-10",
        "reference": "RMA-118",
        "lines": [{"description": "Returned licence", "quantity": "1", "unit_price": "250.00"}],
        "allocations": [{"invoice_id": 1, "amount": "250.00"}],
    },
    "updateCreditNoteDraft": {"memo": "Goodwill, agreed by phone"},
    "createVendorCreditDraft": {
        "contact_id": 2,
        "date": "2025-03-10",
        "reference": "CR-5521",
        "lines": [{"description": "Damaged paper", "unit_price": "48.20", "account_id": 12}],
    },
    "updateVendorCreditDraft": {"reference": "CR-5521-A"},
    "createContact": {"name": "Acme Ltd", "kind": "customer", "email": "ap@acme.example"},
    "updateContact": {"payment_terms_days": 14},
    "suggestExpenseAccount": {"description": "Staples order 1182", "amount": "48.20"},
}


def _example_path(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "1", path)


def _curl(base: str, method: str, path: str, op: dict[str, Any]) -> str:
    lines = [f"curl -s -X {method.upper()} {base}{_example_path(path)}"]
    if method == "get":
        lines = [f"curl -s {base}{_example_path(path)}"]
    lines.append('  -H "Authorization: Bearer $ACCESS_TOKEN"')
    names = {p["name"] for p in op.get("parameters", [])}
    if "If-Match" in names:
        lines.append("  -H 'If-Match: W/\"1\"'")
    if "Idempotency-Key" in names:
        lines.append('  -H "Idempotency-Key: $(uuidgen)"')
    body = EXAMPLE_BODIES.get(op.get("operationId", ""))
    if body is not None:
        lines.append('  -H "Content-Type: application/json"')
        lines.append(f"  -d '{orjson.dumps(body).decode()}'")
    if _uploads(op):
        lines.append('  -F "file=@receipt.pdf"')
    elif _downloads(op):
        lines.append("  -o receipt.pdf")
    return " \\\n".join(lines)


def _uploads(op: dict[str, Any]) -> bool:
    return "multipart/form-data" in op.get("requestBody", {}).get("content", {})


def _downloads(op: dict[str, Any]) -> bool:
    ok = op.get("responses", {}).get("200", {}).get("content", {})
    return bool(ok) and "application/json" not in ok


def _python(method: str, path: str, op: dict[str, Any]) -> str:
    args = [f'"{_example_path(path)}"']
    headers: list[str] = []
    names = {p["name"] for p in op.get("parameters", [])}
    if "If-Match" in names:
        headers.append('"If-Match": etag')
    if "Idempotency-Key" in names:
        headers.append('"Idempotency-Key": str(uuid.uuid4())')
    if headers:
        args.append("headers={" + ", ".join(headers) + "}")
    body = EXAMPLE_BODIES.get(op.get("operationId", ""))
    if body is not None:
        # JSON of strings, numbers and lists reads as the same Python literal.
        text = orjson.dumps(body, option=orjson.OPT_INDENT_2).decode().replace("\n", "\n    ")
        args.append(f"json={text}")
    if _uploads(op):
        args.append('files={"file": open("receipt.pdf", "rb")}')
    call = f"response = api.{method}(\n    " + ",\n    ".join(args) + ",\n)"
    if len(args) == 1:
        call = f"response = api.{method}({args[0]})"
    lines = [call, "response.raise_for_status()"]
    if _downloads(op):
        lines.append('open("receipt.pdf", "wb").write(response.content)')
    elif method != "delete":
        lines.append("print(response.json())")
    return "\n".join(lines)


def _docs_context(spec: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, read from the OpenAPI document."""
    issuer = get_settings().issuer
    base = f"{issuer}{API_PREFIX}"
    groups: dict[str, list[dict[str, Any]]] = {}
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
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "type": _schema_name(p.get("schema")),
                    "description": p.get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            groups.setdefault(op.get("tags", ["Other"])[0], []).append(
                {
                    "id": op.get("operationId", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "permission": op.get("x-permission"),
                    "params": params,
                    "body": "multipart/form-data (a part named file)"
                    if _uploads(op)
                    else _schema_name(body.get("schema")),
                    "returns": _schema_name(ok_schema),
                    "statuses": sorted(op["responses"]),
                    "curl": _curl(base, method, path, op),
                    "python": _python(method, path, op),
                }
            )
    schemas = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        schemas.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "enum": schema.get("enum"),
                "fields": [
                    {
                        "name": prop,
                        "type": _schema_name(sub),
                        "required": prop in required,
                        "description": sub.get("description", ""),
                    }
                    for prop, sub in schema.get("properties", {}).items()
                ],
            }
        )
    return {
        "title": spec["info"]["title"],
        "version": spec["info"]["version"],
        "base": base,
        "token_url": f"{issuer}/oauth/token",
        "groups": groups,
        "schemas": schemas,
        "permissions": [
            (info.permission.value, info.description)
            for info in CATALOGUE.values()
            if info.delegable
        ],
        "problems": PROBLEM_CODES,
    }


_TEMPLATES = Environment(
    loader=PackageLoader("newledger.web", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _ticks(text: str) -> Markup:
    """Escaped text with Markdown-style `code` spans as ``<code>``."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))  # noqa: S704


_TEMPLATES.filters["ticks"] = _ticks


def docs_page(api: FastAPI) -> HTMLResponse:
    """The human reference, rendered once per process from the OpenAPI document: styled by
    the app's own stylesheets, no script, nothing from another origin."""
    page = _TEMPLATES.get_template("api/docs.html").render(**_docs_context(api.openapi()))
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'self'; img-src data:; frame-ancestors 'none'; "
                "base-uri 'none'; form-action 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
        },
    )
