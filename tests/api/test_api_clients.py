"""REST API v1 with clients the project did not write: Authlib's OAuth 2.0 client and
schemathesis driving every operation of the published OpenAPI document."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from authlib.integrations.httpx_client import OAuth2Client
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.api import ALL, api_for
from tests.support.appconnect import make_app, server_key
from tests.support.books import make_books

__all__ = ["server_key"]


def test_authlib_client_credentials_client_gets_a_token_and_reads_invoices(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=3)
    cred = make_app(sessions, books.tenant, "invoices:read", name="Authlib Sync")
    with OAuth2Client(
        client_id=cred.client_id,
        client_secret=cred.secret,
        token_endpoint_auth_method="client_secret_basic",
    ) as client:
        token = client.fetch_token(
            f"{live_server.url}/oauth/token", grant_type="client_credentials"
        )
        assert token["token_type"].lower() == "bearer"
        response = client.get(f"{live_server.url}/api/v1/invoices", params={"limit": 2})
        assert response.status_code == 200
        page = response.json()
        assert [inv["number"] for inv in page["data"]] == ["INV-00001", "INV-00002"]
        assert page["data"][0]["total"] == "100.00"
        assert page["data"][0]["currency"] == "USD"
        assert page["next_cursor"]
        me = client.get(f"{live_server.url}/api/v1/me").json()
        assert me["app"]["client_id"] == cred.client_id
        assert me["permissions"] == ["invoices:read"]


def test_the_openapi_document_is_3_1_and_states_each_operations_permission(
    live_server: LiveServer,
) -> None:
    spec = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = [
        (path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 30
    for path, method, op in operations:
        assert op["security"] == [{"bearerAuth": []}], (method, path)
        if path == "/changes":  # each change type needs its own read permission
            assert set(op["x-permission-per-type"].values()) <= set(ALL)
        elif path != "/me":
            assert op["x-permission"] in ALL, (method, path)
            assert f"`{op['x-permission']}`" in op["description"]
    drafts = {(m, p) for p, m, op in operations if op.get("x-permission") == "invoices:draft"}
    assert drafts == {
        ("post", "/invoices"),
        ("patch", "/invoices/{invoice_id}"),
        ("delete", "/invoices/{invoice_id}"),
    }


def test_the_docs_page_lists_operations_and_permissions_without_scripts(
    live_server: LiveServer,
) -> None:
    response = httpx.get(f"{live_server.url}/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script" not in page
    assert "/api/v1/invoices/{invoice_id}" in page
    assert "invoices:draft" in page
    assert "idempotency_key_reused" in page
    assert "InvoiceCreate" in page


# --- schemathesis -------------------------------------------------------------------------


def test_schemathesis_finds_no_server_error_in_any_operation(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    """Valid and invalid requests generated from the OpenAPI document, for every operation."""
    books = make_books(sessions, invoices=5)
    api, _ = api_for(live_server.url, sessions, books, *ALL, name="Fuzzer")
    auth = {"Authorization": str(api.headers["Authorization"])}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=5,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Any) -> None:
                case.call_and_validate(headers=auth, checks=[not_a_server_error])

            call()
        checked += 1
    assert checked >= 30
