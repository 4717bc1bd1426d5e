"""Independent MCP clients and suites on Node 22 against a running NewLedger, with a real app
token bound to the company MCP URL: the MCP TypeScript SDK client (1.32.2), MCP Inspector's CLI
and the MCP conformance suite (0.1.16). ``make mcp-peers`` installs them (``make test`` runs it
first); without them these tests skip and say so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.mcp.test_mcp_tools import EXPECTED_TOOLS
from tests.support.appconnect import Credential
from tests.support.mcp import AS_OF, EVERY_READ, Demo, demo_app, mcp_token, mcp_url, rpc
from tests.support.mcp_node import (
    CONFORMANCE,
    INSPECTOR,
    MISSING,
    BearerFront,
    peers_installed,
    run_node,
    run_script,
)

pytestmark = pytest.mark.skipif(not peers_installed(), reason=MISSING)

READS = EVERY_READ.split()
START = AS_OF.replace(month=1, day=1).isoformat()
END = AS_OF.isoformat()


CONFORMANCE_SCENARIOS = ("server-initialize", "ping", "tools-list", "dns-rebinding-protection")
JSON_SCHEMA_SKIP = (
    "json-schema-2020-12 checks a fixture tool of the suite's own, `json_schema_2020_12_tool` "
    "(its first check fails 'Tool not found' and the scenario stops there); a company's MCP "
    "server does not list a test tool to every assistant. What it verifies (SEP-1613: "
    "`$defs`, `$ref` and `additionalProperties` survive tools/list) is checked on NewLedger's "
    "own schemas by test_the_typescript_sdk_client_lists_tools_and_calls_one"
)


def _rest_cash(base: str, cred: Credential) -> Any:
    token = mcp_token(base, cred, f"{base}/api/v1")
    response = httpx.get(
        f"{base}/api/v1/reports/cash-position?from={START}&to={END}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _same_as_rest(structured: dict[str, Any], report: Any) -> None:
    assert {k: v for k, v in structured.items() if k != "url"} == report


def test_the_typescript_sdk_client_lists_tools_and_calls_one(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo
) -> None:
    cred = demo_app(books, demo, *READS, name="TS SDK client")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    out = run_script(
        "sdk_client.mjs",
        {
            "MCP_URL": url,
            "MCP_TOKEN": token,
            "TOOL": "cash_position",
            "ARGS": json.dumps({"start": START, "end": END}),
        },
    )
    assert out["protocolVersion"] == "2025-11-25"
    assert out["serverInfo"]["name"]

    # The listing the TypeScript client parsed (zod) is the one the server sent, keyword for
    # keyword: JSON Schema 2020-12's `$defs`, `$ref` and `additionalProperties` included.
    raw = rpc(url, token, "tools/list").json()["result"]["tools"]
    assert out["tools"] == raw
    tools = {t["name"]: t for t in out["tools"]}
    assert set(tools) == EXPECTED_TOOLS
    draft = tools["create_invoice_draft"]["inputSchema"]
    assert draft["properties"]["lines"]["items"] == {"$ref": "#/$defs/InvoiceLineIn"}
    assert draft["$defs"]["InvoiceLineIn"]["additionalProperties"] is False
    assert tools["cash_position"]["annotations"]["readOnlyHint"] is True

    result = out["result"]
    assert result["isError"] is False
    rest = _rest_cash(live_server.url, cred)
    closing = f"{rest['totals'][0]['closing']} {rest['totals'][0]['currency']}"
    assert result["content"][0]["type"] == "text" and closing in result["content"][0]["text"]
    _same_as_rest(result["structuredContent"], rest)


def test_inspector_cli_lists_tools_and_calls_one_with_a_bearer_header(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo
) -> None:
    cred = demo_app(books, demo, *READS, name="MCP Inspector")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)

    def inspect(*args: str) -> Any:
        # The CLI picks its own package.json by a path relative to the working directory but
        # imports it relative to its module (inspector-cli 1.0.3): from its build folder, both
        # name the same file.
        done = run_node(
            str(INSPECTOR),
            "--cli",
            url,
            "--transport",
            "http",
            "--header",
            f"Authorization: Bearer {token}",
            *args,
            cwd=INSPECTOR.parent,
        )
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)

    listed = inspect("--method", "tools/list")
    assert {t["name"] for t in listed["tools"]} == EXPECTED_TOOLS
    called = inspect(
        "--method",
        "tools/call",
        "--tool-name",
        "cash_position",
        "--tool-arg",
        f"start={START}",
        f"end={END}",
    )
    assert called["isError"] is False
    _same_as_rest(called["structuredContent"], _rest_cash(live_server.url, cred))

    # The header is what let it in: without it, the same call is the 401 challenge.
    refused = run_node(
        str(INSPECTOR),
        "--cli",
        url,
        "--transport",
        "http",
        "--method",
        "tools/list",
        cwd=INSPECTOR.parent,
    )
    assert refused.returncode != 0 and "A bearer token is required" in refused.stderr


@pytest.fixture(scope="module")
def front(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BearerFront]:
    """NewLedger behind ``BearerFront``, with the front's URL as its public URL."""
    front = BearerFront()
    server = LiveServer(
        database_url,
        tmp_path_factory.mktemp("serve-front"),
        {"NEWLEDGER_PUBLIC_URL": front.url},
    )
    front.upstream = server.url
    yield front
    server.stop()
    front.close()


@pytest.mark.parametrize(
    "scenario",
    [
        *CONFORMANCE_SCENARIOS,
        pytest.param("json-schema-2020-12", marks=pytest.mark.skip(reason=JSON_SCHEMA_SKIP)),
    ],
)
def test_the_conformance_suite_passes(
    front: BearerFront,
    books: sessionmaker[Session],
    demo: Demo,
    scenario: str,
    tmp_path: Path,
) -> None:
    cred = demo_app(books, demo, *READS, name=f"Conformance {scenario}")
    url = mcp_url(front.url, demo.slug)
    front.token = mcp_token(front.upstream, cred, url)
    done = run_node(
        str(CONFORMANCE), "server", "--url", url, "--scenario", scenario, "-o", str(tmp_path)
    )
    [saved] = tmp_path.glob("*/checks.json")
    checks = json.loads(saved.read_text())
    failed = [c for c in checks if c["status"] not in ("SUCCESS", "INFO")]
    assert not failed and done.returncode == 0, f"{failed}\n{done.stdout}\n{done.stderr}"
    assert any(c["status"] == "SUCCESS" for c in checks)
    if scenario == "dns-rebinding-protection":
        # Both requests reached the server through the front with their Host as sent: the
        # rebinding one was refused by NewLedger's own check, the token notwithstanding.
        passed = {c["id"]: c["details"] for c in checks}
        assert passed["localhost-host-rebinding-rejected"]["hostHeader"] == "evil.example.com"
        assert ("POST", "evil.example.com") in front.requests
