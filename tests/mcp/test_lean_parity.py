"""The lean path answers exactly what the SDK transport answers, byte for byte, in both eras.

A second server on the same database and the same public URL runs with the lean path off
(``NEWLEDGER_MCP_LEAN_PATH=false``): every request goes through the SDK's stateless
transport there. Each request is sent to both and the status and body compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from mcp.server._otel import OpenTelemetryMiddleware
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.mcp.server import build_server
from newledger.config import get_settings
from tests.conftest import LiveServer
from tests.support.mcp import (
    AS_OF,
    ERAS,
    EVERY_READ,
    MODERN,
    Demo,
    demo_app,
    mcp_token,
    mcp_url,
    rpc,
)


@pytest.fixture(scope="module")
def sdk_only(
    live_server: LiveServer, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = LiveServer(
        database_url,
        tmp_path_factory.mktemp("sdk-only"),
        {"NEWLEDGER_PUBLIC_URL": live_server.url, "NEWLEDGER_MCP_LEAN_PATH": "false"},
    )
    yield server
    server.stop()


@pytest.mark.parametrize("era", ERAS)
def test_lean_and_sdk_transport_answer_the_same_bytes(
    live_server: LiveServer,
    sdk_only: LiveServer,
    books: sessionmaker[Session],
    demo: Demo,
    era: str,
) -> None:
    cred = demo_app(books, demo, *EVERY_READ.split(), "contacts:write")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    other = url.replace(live_server.url, sdk_only.url)
    host = {"Host": urlsplit(live_server.url).netloc}
    day = AS_OF.isoformat()
    requests: list[tuple[str, dict[str, object] | None]] = [
        ("tools/list", None),
        ("tools/call", {"name": "cash_position", "arguments": {"start": "2026-01-01", "end": day}}),
        (
            "tools/call",
            {"name": "profit_and_loss", "arguments": {"end": day, "start": "2026-01-01"}},
        ),
        ("tools/call", {"name": "get_invoice", "arguments": {"invoice_id": 999999}}),
        ("tools/call", {"name": "cash_position", "arguments": {"start": "not a date"}}),
        ("tools/call", {"name": "no_such_tool", "arguments": {}}),
        # The lean path's direct tools/call (toolcall.py): every kind of tool, on the event
        # loop and in the thread pool, a write, failures, and params the SDK refuses.
        ("tools/call", {"name": "company_info"}),
        ("tools/call", {"name": "cash_position", "arguments": {"end": day}}),
        ("tools/call", {"name": "ar_aging", "arguments": {"as_of": day}}),
        ("tools/call", {"name": "ap_aging", "arguments": {"as_of": day}}),
        ("tools/call", {"name": "balance_sheet", "arguments": {"as_of": day}}),
        (
            "tools/call",
            {"name": "expenses_by_category", "arguments": {"end": day, "category": "soft"}},
        ),
        ("tools/call", {"name": "sales_tax_owed", "arguments": {"end": day}}),
        ("tools/call", {"name": "search_invoices", "arguments": {"limit": 3}}),
        ("tools/call", {"name": "get_invoice", "arguments": {"invoice_id": 1}}),
        ("tools/call", {"name": "list_expenses", "arguments": {"limit": 2}}),
        ("tools/call", {"name": "search_contacts", "arguments": {"search": "a"}}),
        ("tools/call", {"name": "uncategorized_bank_transactions", "arguments": {"limit": 2}}),
        ("tools/call", {"name": "suggest_category", "arguments": {"description": "Adobe"}}),
        ("tools/call", {"name": "create_invoice_draft", "arguments": {}}),  # not granted: 403
        ("tools/call", {"name": "search_invoices", "arguments": {"limit": 0, "status": "x"}}),
        ("tools/call", {"name": "cash_position", "arguments": {"start": 20260101}}),
        ("tools/call", {"name": "cash_position", "arguments": {"unknown": 1}}),
        ("tools/call", {"name": "cash_position", "arguments": "not an object"}),
        ("tools/call", {"name": "cash_position", "arguments": {}, "requestState": "forged"}),
        ("tools/call", {"name": 42, "arguments": {}}),
        ("tools/call", {"arguments": {}}),
        ("tools/call", None),
        ("tools/call", {"name": "list_credit_notes", "arguments": {"limit": 3}}),
        ("tools/call", {"name": "list_credit_notes", "arguments": {"kind": "purchase"}}),
        ("tools/call", {"name": "list_credit_notes", "arguments": {"kind": "neither"}}),
    ]
    if era == "legacy":
        requests += [
            ("ping", None),
            (
                "initialize",
                {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "parity", "version": "1"},
                },
            ),
        ]
    # A write answers its replay the same way on both paths (the first call made the contact).
    create = {
        "name": "create_contact",
        "arguments": {"idempotency_key": f"parity-{era}", "name": "Café Zoë"},
    }
    assert b'"isError":false' in rpc(url, token, "tools/call", create, era=era).content
    requests.append(("tools/call", create))
    for method, params in requests:
        lean = rpc(url, token, method, params, era=era)
        sdk = rpc(other, token, method, params, era=era, headers=host)
        assert (lean.status_code, lean.content) == (sdk.status_code, sdk.content), (method, params)
        assert lean.headers["content-type"] == sdk.headers["content-type"]
    # A per-call permission (purchase credit notes need expenses:read) that a narrower token
    # lacks: the same 403 both ways.
    narrow_app = demo_app(books, demo, "company:read", "reports:read", "invoices:read", name="N")
    narrow = mcp_token(live_server.url, narrow_app, url)
    purchase = {"name": "list_credit_notes", "arguments": {"kind": "purchase"}}
    lean = rpc(url, narrow, "tools/call", purchase, era=era)
    sdk = rpc(other, narrow, "tools/call", purchase, era=era, headers=host)
    assert (lean.status_code, lean.content) == (sdk.status_code, sdk.content)
    assert lean.status_code == 403
    # Routing headers that disagree with the body (2026-07-28) or name another era.
    call = {"name": "cash_position", "arguments": {}}
    for extra in (
        {"Mcp-Name": "company_info"},
        {"Mcp-Method": "tools/list"},
        {"MCP-Protocol-Version": "2025-11-25" if era == MODERN else MODERN},
    ):
        lean = rpc(url, token, "tools/call", call, era=era, headers=extra)
        sdk = rpc(other, token, "tools/call", call, era=era, headers={**host, **extra})
        assert (lean.status_code, lean.content) == (sdk.status_code, sdk.content), extra


def test_the_sdk_only_server_is_not_answering_on_the_lean_path(tmp_path: Path) -> None:
    # Guard for the test above: the setting is read, so the comparison is between two paths.
    from newledger.config import Settings

    assert Settings(mcp_lean_path=False).mcp_lean_path is False


def test_the_sdk_tracing_span_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    def tracing(server: Any) -> bool:
        return any(isinstance(m, OpenTelemetryMiddleware) for m in server.mcp.middleware)

    assert not tracing(build_server())
    monkeypatch.setenv("NEWLEDGER_MCP_TRACING", "true")
    get_settings.cache_clear()
    try:
        assert tracing(build_server())
    finally:
        monkeypatch.delenv("NEWLEDGER_MCP_TRACING")
        get_settings.cache_clear()
