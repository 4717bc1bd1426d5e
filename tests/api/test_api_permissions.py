"""REST API v1 permissions: each operation needs the permission it declares, nothing else
opens it, read-only tokens cannot draft, and a token sees only its own company."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support import files
from tests.support.api import ALL, READ_ONLY, Api, api_for, invoice_body
from tests.support.appconnect import make_app, server_key, token_for
from tests.support.books import make_books

__all__ = ["server_key"]

EXPENSE_BODY = {"date": "2025-03-02", "lines": [{"amount": "12.00", "account_id": 1}]}


def _operations(base_url: str) -> list[tuple[str, str, str | None]]:
    spec = httpx.get(f"{base_url}/api/v1/openapi.json").json()
    return [
        (method.upper(), path, op.get("x-permission"))
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ]


def _call(api: Api, method: str, path: str, customer_id: int) -> httpx.Response:
    url = re.sub(r"\{[^}]+\}", "1", path)
    body: dict[str, Any] | None = None
    if method == "POST" and path.endswith("/attachments"):
        upload = {"file": ("receipt.pdf", files.pdf(), "application/pdf")}
        return api.request(method, url, files=upload)
    if method in ("POST", "PATCH", "PUT"):
        if "categorization" in path:
            body = {"description": "Printer paper"}
        elif "invoices" in path:
            body = invoice_body(customer_id)
        elif "expenses" in path:
            body = EXPENSE_BODY
        else:
            body = {"name": "Initech"}
    headers = {"If-Match": 'W/"1"'} if method in ("PATCH", "DELETE") else {}
    response: httpx.Response = api.request(method, url, json=body, headers=headers)
    return response


def _assert_forbidden(response: httpx.Response, permission: str, label: str) -> None:
    assert response.status_code == 403, (label, response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "permission_denied", label
    assert problem["required"] == [permission], label


def test_every_operation_without_its_permission_is_refused_with_403(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=1)
    operations = _operations(live_server.url)
    permissions = sorted({p for _, _, p in operations if p is not None})
    assert set(permissions) == set(ALL)
    for permission in permissions:
        others = [p for p in ALL if p != permission]
        api, _ = api_for(live_server.url, sessions, books, *others, name=f"No {permission}")
        for method, path, needed in operations:
            if needed == permission:
                response = _call(api, method, path, books.customer_id)
                _assert_forbidden(response, permission, f"{method} {path}")


def test_the_same_token_with_the_permission_is_let_through(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=1)
    api, _ = api_for(live_server.url, sessions, books, *ALL)
    for method, path, _needed in _operations(live_server.url):
        response = _call(api, method, path, books.customer_id)
        assert response.status_code not in (401, 403, 500), (method, path, response.text)


def test_every_draft_write_with_a_read_only_token_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=1)
    api, _ = api_for(live_server.url, sessions, books, *READ_ONLY, name="Reader")
    writes = [
        (m, p, n)
        for m, p, n in _operations(live_server.url)
        if m != "GET" and not (n or "").endswith(":read")
    ]
    # invoices 3, expenses 3, credit notes 3, vendor credits 3, contacts 3 (create, update,
    # upsert), each kind of proposal 2, attachments 4 (upload and delete, on invoices and on
    # expenses)
    assert len(writes) == 23
    for method, path, needed in writes:
        assert needed is not None
        _assert_forbidden(_call(api, method, path, books.customer_id), needed, f"{method} {path}")
    assert api.get("/invoices").json()["data"][0]["status"] == "draft"


def test_a_token_of_one_company_cannot_read_another_companys_invoice(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    a = make_books(sessions, invoices=1)
    b = make_books(sessions, invoices=2)
    api_a, _ = api_for(live_server.url, sessions, a)
    for invoice_id in b.invoice_ids:
        response = api_a.get(f"/invoices/{invoice_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "unknown_invoice"
        patch = api_a.patch(
            f"/invoices/{invoice_id}", json={"memo": "x"}, headers={"If-Match": "*"}
        )
        assert patch.status_code == 404
    listed = api_a.get("/invoices").json()["data"]
    assert [inv["id"] for inv in listed] == a.invoice_ids
    assert api_a.get(f"/contacts/{b.customer_id}").status_code == 404
    assert api_a.get("/company").json()["id"] == a.company_id


def test_a_missing_or_bad_token_gets_401_with_a_bearer_challenge(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=0)
    cred = make_app(sessions, books.tenant, "invoices:read")
    good = token_for(live_server.url, cred)
    realm = 'Bearer realm="NewLedger API"'
    # RFC 6750 §3.1: error="invalid_token" only when a bearer token was sent.
    for headers, challenge in (
        ({}, realm),
        ({"Authorization": "Basic abc"}, realm),
        ({"Authorization": "Bearer nlat_nope.nope"}, f'{realm}, error="invalid_token"'),
        ({"Authorization": f"Bearer {good[:-2]}xx"}, f'{realm}, error="invalid_token"'),
    ):
        response = httpx.get(f"{live_server.url}/api/v1/invoices", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == challenge
        problem = response.json()
        assert problem["code"] == "invalid_token"
        assert good not in response.text


def test_an_app_whose_creator_was_demoted_loses_those_permissions_on_the_next_request(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    from sqlalchemy import update

    from newledger.identity.models import Membership

    books = make_books(sessions, invoices=1)
    api, _ = api_for(live_server.url, sessions, books, "invoices:read", "invoices:draft")
    assert api.get("/invoices").status_code == 200
    with sessions.begin() as session:
        session.execute(
            update(Membership)
            .where(Membership.user_id == books.tenant.accountant.id)
            .values(role="viewer")
        )
    assert api.get("/invoices").status_code == 200
    response = api.post("/invoices", json=invoice_body(books.customer_id))
    assert response.status_code == 403
    assert response.json()["required"] == ["invoices:draft"]
    assert api.get("/me").json()["permissions"] == ["invoices:read"]
