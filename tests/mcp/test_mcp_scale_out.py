"""Two ``newledger serve`` processes on one database serve one client alternately, in both eras:
no MCP state lives in a process (the PostgreSQL pass runs this on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.mcp import ERAS, Demo, demo_app, mcp_token, mcp_url, rpc


@pytest.fixture(scope="module")
def twin(
    live_server: LiveServer, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    # Same public URL (one service behind a load balancer); the requests name it as Host.
    server = LiveServer(
        database_url, tmp_path_factory.mktemp("twin"), {"NEWLEDGER_PUBLIC_URL": live_server.url}
    )
    yield server
    server.stop()


@pytest.mark.parametrize("era", ERAS)
def test_two_instances_serve_one_client_alternately(
    live_server: LiveServer, twin: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, "company:read", "invoices:draft", "contacts:read")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    host = {"Host": live_server.url.split("://", 1)[1]}
    targets = [(url, {}), (url.replace(live_server.url, twin.url), host)]
    if era == "legacy":
        init = {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        }
        assert rpc(url, token, "initialize", init, era=era).status_code == 200
    found = rpc(
        url,
        token,
        "tools/call",
        {"name": "search_contacts", "arguments": {"kind": "customer", "limit": 1}},
        era=era,
    ).json()["result"]["structuredContent"]["contacts"][0]["id"]
    args = {
        "idempotency_key": f"twin-{era}",
        "contact_id": found,
        "lines": [{"description": "Hours", "quantity": "2", "unit_price": "10.00"}],
    }
    ids = set()
    for i in range(6):
        target, headers = targets[i % 2]
        listed = rpc(target, token, "tools/list", era=era, headers=headers)
        assert listed.status_code == 200 and "cash_position" in listed.text
        made = rpc(
            target,
            token,
            "tools/call",
            {"name": "create_invoice_draft", "arguments": args},
            era=era,
            headers=headers,
        )
        assert made.status_code == 200, made.text
        body = made.json()["result"]
        assert not body["isError"], body
        ids.add(body["structuredContent"]["id"])
    # One draft however many instances the retries reach.
    assert len(ids) == 1
