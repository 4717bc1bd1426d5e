"""The OpenAPI 3.1 document of REST API v1 and the human docs page built from it.

Each operation's permission comes from its ``requires(...)`` dependency, so the document cannot
drift from what the code checks: it is written into ``x-permission`` and into the operation's
description. Every operation also documents its problem responses.
The human reference at ``/api/docs`` is rendered from this document (``api.docs``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from newledger.appconnect.api.problems import PROBLEM_MEDIA_TYPE
from newledger.appconnect.api.schemas import Page, Problem
from newledger.attachments.kinds import allowed_names
from newledger.config import get_settings
from newledger.identity.permissions import CATALOGUE, Permission
from newledger.ledger.addresses import COUNTRY_CODES
from newledger.money import CURRENCIES

__all__ = ["API_PREFIX", "build_openapi", "collection_key", "route_permission"]

API_PREFIX = "/api/v1"

# Enums a client sees once, by name, however many fields use them (keyed by their values).
NAMED_ENUMS: dict[str, tuple[str, ...]] = {
    "DocumentStatus": ("draft", "approved", "partially_paid", "paid", "voided", "rejected"),
    "DraftStatus": ("draft", "approved", "rejected"),
    "CreditNoteStatus": ("draft", "approved", "applied", "voided", "rejected"),
    "ContactKind": ("customer", "vendor", "both"),
    "ExpenseKind": ("expense", "bill"),
    "PaymentDirection": ("received", "made"),
    "AccountType": ("asset", "liability", "equity", "income", "expense"),
    "BankTransactionStatus": ("uncategorized", "categorized", "matched"),
    "CurrencyCode": tuple(sorted(CURRENCIES)),
    "CountryCode": tuple(sorted(COUNTRY_CODES)),
}
_ENUM_NAMES = {frozenset(values): name for name, values in NAMED_ENUMS.items()}


def _header(description: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"description": description, "schema": {"type": kind, **extra}}


HEADERS: dict[str, dict[str, Any]] = {
    "ETag": _header("The representation's version; send it as `If-Match` or `If-None-Match`."),
    "Location": _header("The URL of the created object."),
    "Idempotent-Replayed": _header(
        "`true` when this is the stored answer to an earlier request with the same key.",
        enum=["true"],
    ),
    "RateLimit-Limit": _header("Requests allowed per window for this app.", "integer"),
    "RateLimit-Remaining": _header("Requests left in this window.", "integer"),
    "RateLimit-Reset": _header("Seconds until the window resets.", "integer"),
    "Retry-After": _header("Seconds to wait before retrying.", "integer"),
    "WWW-Authenticate": _header(
        'The bearer challenge (RFC 6750): `Bearer realm="NewLedger API"`, plus '
        '`error="invalid_token"` when a token was sent and is not valid.'
    ),
}
_RATE = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def route_permission(route: APIRoute) -> tuple[bool, Permission | None]:
    """``(authenticated, permission)`` for a route, read from its ``requires`` dependency."""
    for dep in route.dependant.dependencies:
        if dep.call is not None and hasattr(dep.call, "permission"):
            return True, dep.call.permission
    return False, None


def _headers(*names: str, required: Sequence[str] = ()) -> dict[str, Any]:
    """Response headers by reference; a required one is written out (a reference takes no
    ``required``)."""
    return {
        n: {**HEADERS[n], "required": True}
        if n in required
        else {"$ref": f"#/components/headers/{n}"}
        for n in names
    }


def _problem(description: str, *headers: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        out["headers"] = _headers(*headers)
    return out


def _name_enums(node: Any) -> Any:
    """Replace each inline enum listed in ``NAMED_ENUMS`` with a reference to its schema."""
    if isinstance(node, list):
        return [_name_enums(v) for v in node]
    if not isinstance(node, dict):
        return node
    values = node.get("enum")
    if isinstance(values, list) and len(values) > 1:
        name = _ENUM_NAMES.get(frozenset(values))
        if name is not None:
            kept = {k: node[k] for k in ("description", "default") if k in node}
            return {"$ref": f"#/components/schemas/{name}", **kept}
    return {k: _name_enums(v) for k, v in node.items()}


def _plain_parameter(param: dict[str, Any], if_match_required: bool) -> None:
    """A query or header value is never JSON ``null``: ``anyOf [X, null]`` is just ``X``."""
    schema = param.get("schema", {})
    alternatives = schema.get("anyOf")
    if isinstance(alternatives, list):
        rest = [a for a in alternatives if a.get("type") != "null"]
        if len(rest) == 1:
            kept = {k: v for k, v in schema.items() if k not in ("anyOf", "title")}
            param["schema"] = {**rest[0], **kept}
    param["schema"].pop("title", None)
    if param["name"] == "If-Match":
        param["required"] = if_match_required


_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An `ETag` from an earlier read: 304 with no body when it is still current.",
    "schema": {"type": "string"},
}


def collection_key(path: str) -> str:
    """The collection a path belongs to, by its literal segments: ``/invoices/{invoice_id}`` →
    ``invoices``, ``/invoices/{invoice_id}/attachments/{attachment_id}`` →
    ``invoices/attachments`` (the key of ``LINKED_OPERATIONS``)."""
    return "/".join(seg for seg in path.split("/")[1:] if seg and not seg.startswith("{"))


def _links(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    """Links from an answer to the operations that can use it (read, update, delete)."""
    ids = LINKED_OPERATIONS.get(collection_key(path), {})
    links: dict[str, Any] = {}
    item_id = ids.get("param")
    if item_id is None:
        return links
    # A sub-resource's operations also take its parent's id, the same as in this request.
    parent = ids.get("parent")
    inherited = {parent: f"$request.path.{parent}"} if parent else {}
    if not path.endswith("}") and method == "get":
        if "get" in ids:
            links[ids["get"]] = {
                "operationId": ids["get"],
                "parameters": {item_id: "$response.body#/data/0/id", **inherited},
            }
        return links
    source = "$response.body#/id"
    for key in ("get", "content", "update", "delete"):
        target = ids.get(key)
        if target is None or target == op.get("operationId"):
            continue
        params: dict[str, str] = {item_id: source, **inherited}
        if key in ("update", "delete") and ids.get("if_match"):
            params["header.If-Match"] = "$response.header.ETag"
        links[target] = {"operationId": target, "parameters": params}
    return links


# For each collection: its item path parameter and the operations reached from an item.
LINKED_OPERATIONS: dict[str, dict[str, str]] = {
    "invoices": {
        "param": "invoice_id",
        "get": "getInvoice",
        "update": "updateInvoiceDraft",
        "delete": "deleteInvoiceDraft",
        "if_match": "required",
    },
    "expenses": {
        "param": "expense_id",
        "get": "getExpense",
        "update": "updateExpenseDraft",
        "delete": "deleteExpenseDraft",
        "if_match": "required",
    },
    "credit-notes": {
        "param": "credit_note_id",
        "get": "getCreditNote",
        "update": "updateCreditNoteDraft",
        "delete": "deleteCreditNoteDraft",
        "if_match": "required",
    },
    "vendor-credits": {
        "param": "vendor_credit_id",
        "get": "getVendorCredit",
        "update": "updateVendorCreditDraft",
        "delete": "deleteVendorCreditDraft",
        "if_match": "required",
    },
    "invoices/attachments": {
        "param": "attachment_id",
        "parent": "invoice_id",
        "get": "getInvoiceAttachment",
        "content": "downloadInvoiceAttachment",
        "delete": "deleteInvoiceAttachment",
        "if_match": "required",
    },
    "expenses/attachments": {
        "param": "attachment_id",
        "parent": "expense_id",
        "get": "getExpenseAttachment",
        "content": "downloadExpenseAttachment",
        "delete": "deleteExpenseAttachment",
        "if_match": "required",
    },
    "contacts": {
        "param": "contact_id",
        "get": "getContact",
        "update": "updateContact",
        "if_match": "optional",
    },
    "accounts": {"param": "account_id", "get": "getAccount"},
    "payments": {"param": "payment_id", "get": "getPayment"},
    "payment-drafts": {
        "param": "draft_id",
        "get": "getPaymentDraft",
        "delete": "deletePaymentDraft",
        "if_match": "required",
    },
    "categorization-drafts": {
        "param": "draft_id",
        "get": "getCategorizationDraft",
        "delete": "deleteCategorizationDraft",
        "if_match": "required",
    },
    "bank-transactions": {"param": "transaction_id", "get": "getBankTransaction"},
    "journal-entries": {"param": "entry_id", "get": "getJournalEntry"},
}


def _success(op: dict[str, Any], path: str, method: str, etagged: bool) -> None:
    for status, response in op["responses"].items():
        if not status.startswith("2"):
            continue
        names = list(_RATE)
        required: list[str] = []
        if etagged:
            names.append("ETag")
            required.append("ETag")
        if status == "201":
            names += ["Location", "Idempotent-Replayed"]
            required.append("Location")
        response["headers"] = {**response.get("headers", {}), **_headers(*names, required=required)}
        links = _links(path, method, op)
        if links:
            response["links"] = links


def _declare_responses(
    op: dict[str, Any],
    path: str,
    method: str,
    permission: Permission | None,
    if_match_required: bool,
) -> None:
    names = {p["name"] for p in op.get("parameters", [])}
    has_body = "requestBody" in op
    rate = _RATE
    responses = op["responses"]
    # The route's own errors (its ``responses=``, e.g. 409 for a taken external id, 410 for an
    # expired cursor) are problems too; a 409 also lists the API's own reasons below.
    conflicts: list[str] = []
    for status, response in list(responses.items()):
        if status.startswith("4"):
            responses[status] = _problem(response["description"], *rate)
            if status == "409":
                conflicts.append(response["description"])
    responses["400"] = _problem(
        "Unknown query parameter (`unknown_parameter`) or a body that is not UTF-8 JSON "
        "(`malformed_body`)",
        *rate,
    )
    responses["401"] = _problem(
        "Missing, invalid, expired or revoked token (`invalid_token`)", "WWW-Authenticate"
    )
    if permission is not None:
        lacks = f"The token lacks `{permission.value}`"
        if method == "delete" and "/attachments" in path:
            lacks += (
                ", or the document is no longer a draft and only a person may remove its "
                "files (`external_cannot_remove_evidence`)"
            )
        responses["403"] = _problem(lacks, *rate)
    elif "x-permission-per-type" in op:
        responses["403"] = _problem("The token may read none of the types asked for", *rate)
    if "{" in path or has_body:
        responses["404"] = _problem(
            "No such object in this token's company, or the body names one that does not "
            "exist (e.g. `unknown_contact`, `unknown_account`)",
            *rate,
        )
    upload = "multipart/form-data" in op.get("requestBody", {}).get("content", {})
    if upload:
        responses["413"] = _problem(
            "The file is larger than the server's limit (`file_too_large`; "
            "`NEWLEDGER_ATTACHMENT_MAX_BYTES`, 10 MiB unless configured)"
        )
        responses["415"] = _problem(
            f"The file's bytes are not a {allowed_names()} file (`unsupported_file_type`), "
            "or the body is not `multipart/form-data` (`unsupported_media_type`)",
            *rate,
        )
    elif has_body:
        responses["413"] = _problem("The body is larger than 1 MiB (`payload_too_large`)")
        responses["415"] = _problem(
            "The body is not `application/json` (`unsupported_media_type`)", *rate
        )
    responses["422"] = _problem(
        "Invalid request: `errors` names each field. Also for values the schema cannot judge: "
        "an unknown account or currency, dates out of order, a cursor that does not decode",
        *rate,
    )
    if "If-Match" in names:
        responses["412"] = _problem(
            "Stale If-Match (`precondition_failed`): read again and retry", "ETag", *rate
        )
    if "If-Match" in names and if_match_required and "/attachments" not in path:
        conflicts.append("Not a draft any more (`invalid_state`)")
    if "If-Match" in names and if_match_required:
        responses["428"] = _problem("If-Match is required (`precondition_required`)", *rate)
    conflict_headers: tuple[str, ...] = rate
    if "Idempotency-Key" in names:
        conflicts.append(
            "The first request with this key is still running (`idempotency_request_in_progress`,"
            " with `Retry-After`), or what the body names does not allow it now (e.g. "
            "`not_payable`, `draft_exists`)"
            + (
                ", or the document holds the most files it may (`too_many_attachments`)"
                if upload
                else ""
            )
        )
        conflict_headers = ("Retry-After", *rate)
    if conflicts:
        responses["409"] = _problem(". ".join(conflicts), *conflict_headers)
    responses["429"] = _problem(
        "Rate limit exceeded (`rate_limited`): wait `Retry-After` seconds", "Retry-After", *rate
    )


def _security_scheme() -> dict[str, Any]:
    return {
        "type": "oauth2",
        "description": (
            "An App Connect access token (`nlat_…`), sent as `Authorization: Bearer …`. API "
            "credential apps get one from the token URL with the `client_credentials` grant "
            "(client id and secret); the scopes are the app's permissions. Tokens of OAuth "
            "connections work the same way."
        ),
        "flows": {
            "clientCredentials": {
                "tokenUrl": f"{get_settings().issuer}/oauth/token",
                "scopes": {
                    info.permission.value: info.description
                    for info in CATALOGUE.values()
                    if info.delegable
                },
            }
        },
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
    components["securitySchemes"] = {"oauth2": _security_scheme()}
    components["headers"] = HEADERS
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    # The API's own routers, not ``app.routes``: included routers are wrapped there.
    for route in (r for router in routers for r in router.routes):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        authenticated, permission = route_permission(route)
        item = spec["paths"][route.path_format]
        item.pop("head", None)  # HEAD answers wherever GET does (see the description)
        for method in route.methods or ():
            op = item.get(method.lower())
            if op is None:
                continue
            # A nested collection (``invoices/attachments``) by its own key, else the
            # top-level one (``/contacts/by-external-id/{…}`` belongs to ``contacts``).
            collection = LINKED_OPERATIONS.get(
                collection_key(route.path_format)
            ) or LINKED_OPERATIONS.get(route.path_format.split("/")[1], {})
            if_match_required = collection.get("if_match") == "required"
            for param in op.get("parameters", []):
                _plain_parameter(param, if_match_required)
            # A page of a list (``Page[...]``, or any page with a ``next_cursor``, such as the
            # change feed's) has no ETag: ``ApiContext.respond``'s own rule.
            model = route.response_model
            is_list = isinstance(model, type) and (
                issubclass(model, Page) or "next_cursor" in getattr(model, "model_fields", {})
            )
            etagged = (method == "GET" and not is_list) or (
                "if_match" in collection and method in ("POST", "PATCH", "PUT")
            )
            if method == "GET" and not is_list:
                op.setdefault("parameters", []).append(dict(_IF_NONE_MATCH))
                op["responses"]["304"] = {
                    "description": "Not modified: the `If-None-Match` ETag is current.",
                    "headers": _headers("ETag", *_RATE),
                }
            _success(op, route.path_format, method.lower(), etagged)
            _declare_responses(op, route.path_format, method.lower(), permission, if_match_required)
            if not authenticated:
                continue
            scopes = [permission.value] if permission is not None else []
            op["security"] = [{"oauth2": scopes}]
            if permission is None:
                note = "Needs a valid token; no particular permission."
            else:
                note = f"Requires permission `{permission.value}`."
                op["x-permission"] = permission.value
            op["description"] = f"{note}\n\n{op.get('description', '')}".strip()
    for name, values in NAMED_ENUMS.items():
        schemas[name] = {"type": "string", "enum": list(values), "title": name}
    spec["paths"] = _name_enums(spec["paths"])
    for name, schema in list(schemas.items()):
        if name not in NAMED_ENUMS:
            schemas[name] = _name_enums(schema)
    app.openapi_schema = _page_names(spec)
    return app.openapi_schema


def _page_names(spec: dict[str, Any]) -> dict[str, Any]:
    """``InvoiceSummaryPage`` rather than FastAPI's ``Page_InvoiceSummary_`` for ``Page[…]``,
    so a generated client's classes read well."""
    text = re.sub(r"Page_([A-Za-z0-9]+)_(?=[\"/#])", r"\1Page", orjson.dumps(spec).decode())
    renamed: dict[str, Any] = orjson.loads(text)
    for name, schema in renamed["components"]["schemas"].items():
        if name.endswith("Page"):
            schema["title"] = name  # generators name the class after the title
    return renamed
