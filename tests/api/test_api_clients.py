"""REST API v1 with clients the project did not write: Authlib's OAuth 2.0 client and
schemathesis driving every operation of the published OpenAPI document."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.services import user_actor
from newledger.ledger.credit_notes import approve_credit_note, create_draft_credit_note
from newledger.ledger.expenses import create_draft_expense
from newledger.ledger.invoices import approve_invoice
from newledger.ledger.payments import record_payment
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


def test_the_openapi_document_is_3_1_and_states_each_operations_scope(
    live_server: LiveServer,
) -> None:
    spec = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == f"{live_server.url}/oauth/token"
    assert sorted(flow["scopes"]) == sorted(ALL)
    operations = [
        (path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 30
    ids = [op["operationId"] for _, _, op in operations]
    assert len(set(ids)) == len(ids)
    assert {"listInvoices", "getInvoice", "createInvoiceDraft", "getProfitAndLoss"} <= set(ids)
    for path, method, op in operations:
        assert re.fullmatch(r"[a-z]+[A-Za-z]*", op["operationId"]), op["operationId"]
        if path == "/me":
            assert op["security"] == [{"oauth2": []}]
            continue
        if path == "/changes":  # each change type needs its own read permission
            assert set(op["x-permission-per-type"].values()) <= set(ALL)
            assert op["security"] == [{"oauth2": []}], (method, path)
        else:
            assert op["security"] == [{"oauth2": [op["x-permission"]]}], (method, path)
            assert op["x-permission"] in ALL, (method, path)
            assert f"`{op['x-permission']}`" in op["description"]
        for status in ("400", "401", "403", "422", "429"):
            problem = op["responses"][status]["content"]["application/problem+json"]
            assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
        assert "WWW-Authenticate" in op["responses"]["401"]["headers"]
        assert "Retry-After" in op["responses"]["429"]["headers"]
    drafts = {(m, p) for p, m, op in operations if op.get("x-permission") == "invoices:draft"}
    assert drafts == {
        ("post", "/invoices"),
        ("patch", "/invoices/{invoice_id}"),
        ("delete", "/invoices/{invoice_id}"),
        ("post", "/invoices/{invoice_id}/attachments"),
        ("delete", "/invoices/{invoice_id}/attachments/{attachment_id}"),
        ("post", "/credit-notes"),
        ("patch", "/credit-notes/{credit_note_id}"),
        ("delete", "/credit-notes/{credit_note_id}"),
    }
    create = spec["paths"]["/invoices"]["post"]
    assert {"404", "409", "413", "415"} <= set(create["responses"])
    assert create["responses"]["201"]["headers"]["Location"]["required"] is True
    assert create["responses"]["201"]["links"]["getInvoice"]["operationId"] == "getInvoice"
    patch = spec["paths"]["/invoices/{invoice_id}"]["patch"]
    if_match = next(p for p in patch["parameters"] if p["name"] == "If-Match")
    assert if_match["required"] is True and if_match["schema"]["type"] == "string"
    assert {"409", "412", "428"} <= set(patch["responses"])
    one = spec["paths"]["/invoices/{invoice_id}"]["get"]
    assert "304" in one["responses"] and one["responses"]["200"]["headers"]["ETag"]["required"]


def test_enums_are_defined_once_and_every_report_is_typed(live_server: LiveServer) -> None:
    spec = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    text = json.dumps(spec)
    assert text.count('"partially_paid"') == 1  # only in DocumentStatus
    schemas = spec["components"]["schemas"]
    assert schemas["DocumentStatus"]["enum"][0] == "draft"
    status = schemas["InvoiceSummary"]["properties"]["status"]
    assert status == {"$ref": "#/components/schemas/DocumentStatus"}
    assert not [n for n in schemas if "_" in n or "Get" in n]
    for path, item in spec["paths"].items():
        if path.startswith("/reports/"):
            ok = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            name = ok["$ref"].rsplit("/", 1)[-1]
            assert name.endswith("Report") and schemas[name]["properties"], path


def test_the_docs_page_is_a_styled_reference_with_examples_and_no_script(
    live_server: LiveServer,
) -> None:
    response = httpx.get(f"{live_server.url}/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp
    page = response.text
    assert "<script" not in page
    assert 'href="/static/app.css"' in page and 'href="/static/apidocs.css"' in page
    assert httpx.get(f"{live_server.url}/static/apidocs.css").status_code == 200
    assert "/api/v1/invoices/{invoice_id}" in page
    assert 'id="createInvoiceDraft"' in page
    assert "invoices:draft" in page
    assert 'id="problem-idempotency_key_reused"' in page
    assert 'id="schema-InvoiceCreate"' in page and 'id="schema-ProfitAndLossReport"' in page
    # Copy-paste examples against this server: curl and Python (httpx).
    assert f"curl -s -X POST {live_server.url}/api/v1/invoices" in page
    assert f"{live_server.url}/oauth/token" in page
    assert "import httpx" in page and "response = api.post(\n    &#34;/invoices&#34;," in page


# --- schemathesis -------------------------------------------------------------------------


def test_schemathesis_with_all_checks_and_stateful_links_finds_nothing(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None, tmp_path: Path
) -> None:
    """The schemathesis CLI with every check, all four phases (the document's examples, the
    coverage of each keyword's edges, fuzzing, and stateful sequences following the document's
    links) and a fixed seed with deterministic generation, so a run is repeatable."""
    books = make_books(sessions, invoices=5)
    with sessions.begin() as s:
        # Something behind every item route: a posted invoice with a payment, expenses, an
        # approved credit note allocated to the invoice and a draft vendor credit.
        me = user_actor(s, books.owner, books.company_id)
        approve_invoice(s, me, books.invoice_ids[0])
        record_payment(
            s,
            me,
            amount="40.00",
            date="2025-02-01",
            bank_account_id=books.checking.id,
            invoice_id=books.invoice_ids[0],
        )
        for kind in ("expense", "bill"):
            create_draft_expense(
                s,
                me,
                kind=kind,
                contact_id=books.vendor.id,
                date="2025-02-03",
                lines=[{"amount": "12.50", "account_id": books.acct("6500")}],
            )
        note = create_draft_credit_note(
            s,
            me,
            kind="sales",
            contact_id=books.customer_id,
            date="2025-02-02",
            lines=[{"description": "Returned", "unit_price": "10.00"}],
            allocations=[{"invoice_id": books.invoice_ids[0], "amount": "10.00"}],
        )
        approve_credit_note(s, me, "sales", note.id)
        create_draft_credit_note(
            s,
            me,
            kind="purchase",
            contact_id=books.vendor.id,
            date="2025-02-03",
            lines=[{"unit_price": "5.00", "account_id": books.acct("6500")}],
        )
    api, _ = api_for(live_server.url, sessions, books, *ALL, name="Fuzzer")
    # Schema-valid data the server rightly refuses, as the document says: 409 (not a draft any
    # more, the key's first request still running, a document with all the files it may hold),
    # 412 (a stale If-Match), 415 (an uploaded file whose bytes are not a PDF or an image: a type
    # is told from the bytes, which no schema can state) and 422 (what no schema can judge: an
    # account of the wrong type, dates out of order, an undecodable cursor). Everything else is
    # the default.
    (tmp_path / "schemathesis.toml").write_text(
        "[checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "304", "401", "403", "404", "409", "412", "415", "422", '
        '"429"]\n'
        # A draft write without If-Match is 428 Precondition Required (RFC 6585 §3).
        "[checks.missing_required_header]\n"
        'expected-statuses = ["400", "401", "403", "415", "422", "428"]\n'
    )
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--checks=all",
            "--phases=examples,coverage,fuzzing,stateful",
            "--max-examples=25",
            "--seed=11",
            "--generation-deterministic",
            "--workers=1",
            "--no-color",
            "--suppress-health-check=all",
            f"--header=Authorization: {api.headers['Authorization']}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    Path(os.environ.get("NEWLEDGER_ST_LOG", tmp_path / "st.log")).write_text(run.stdout)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    generated = re.search(r"(\d+) generated, \1 passed", run.stdout)
    assert generated and int(generated.group(1)) >= 2000, run.stdout[-3000:]
