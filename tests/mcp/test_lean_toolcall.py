"""The lean path's direct ``tools/call`` (``toolcall.py``) gives what the SDK's ``serve_one``
gives, also where it cannot skip the output check, and steps aside for a server it does not
reproduce. (``test_lean_parity.py`` compares real calls over HTTP with the SDK transport.)"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import pytest
from mcp.server.connection import Connection
from mcp.server.runner import serve_one
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp.types import CallToolResult, InputRequiredResult, TextContent
from pydantic import BaseModel

from newledger.actor import Actor
from newledger.appconnect.mcp.call import McpCall
from newledger.appconnect.mcp.lean import _Exchange
from newledger.appconnect.mcp.server import McpServer, build_server
from newledger.appconnect.mcp.toolcall import ToolCalls
from newledger.appconnect.mcp.tools.results import ShapedResult, shaped_by, success
from newledger.appconnect.refusals import Origin
from newledger.config import get_settings

PV = ("2025-11-25", "2026-07-28")


class Declared(BaseModel):
    total: str


class Other(BaseModel):
    total: str
    extra: int = 0


async def unshaped() -> Annotated[CallToolResult, Declared]:
    """Returns structured content the output schema refuses, not through ``success``."""
    return CallToolResult(content=[TextContent(type="text", text="x")], structured_content={})


async def other_model() -> Annotated[CallToolResult, Declared]:
    """Shaped by another model than the one it declares."""
    return success("y", Other, {"total": "1.00"})


async def declared() -> Annotated[CallToolResult, Declared]:
    """Shaped by its own output model: the check is not made twice."""
    return success("z", Declared, {"total": "2.00", "dropped": True})


async def crashes() -> Annotated[CallToolResult, Declared]:
    """A bug in a tool."""
    raise RuntimeError("secret detail")


async def asks() -> InputRequiredResult | CallToolResult:
    """May ask the client for input (its state is sealed by the SDK's request-state boundary)."""
    return CallToolResult(content=[])


def _server() -> McpServer:
    server = build_server()
    for fn in (unshaped, other_model, declared, crashes):
        server.mcp.add_tool(fn, structured_output=True)
    server.mcp.add_tool(asks)
    return server


def _params(name: str, version: str) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": {}}
    if version == "2026-07-28":
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    return params


def _both(server: McpServer, name: str, version: str) -> tuple[Any, Any]:
    tools = ToolCalls.for_server(server)
    assert tools is not None
    params = _params(name, version)
    call = McpCall(Actor.system(1), None, "northwind", Origin())  # type: ignore[arg-type]

    async def go() -> tuple[Any, Any]:
        assert tools.takes(params)
        direct = await tools.answer(version, params, call)
        exchange = _Exchange(
            transport=TransportContext(kind="streamable-http", can_send_request=False),
            request_id=1,
            message_metadata=ServerMessageMetadata(),
        )
        connection = Connection.from_envelope(version, None, {} if version != PV[0] else None)
        sdk = await serve_one(
            server.kernel,
            exchange,
            "tools/call",
            params,
            connection=connection,
            lifespan_state=None,
        )
        return direct, sdk

    return anyio.run(go)


@pytest.mark.parametrize("version", PV)
@pytest.mark.parametrize("name", ["unshaped", "other_model", "declared", "crashes"])
def test_the_direct_call_answers_what_serve_one_answers(name: str, version: str) -> None:
    direct, sdk = _both(_server(), name, version)
    assert direct == sdk


def test_a_result_shaped_by_the_tools_own_model_carries_only_the_schemas_fields() -> None:
    direct, _ = _both(_server(), "declared", PV[0])
    assert direct["structuredContent"] == {"total": "2.00"}
    assert shaped_by(success("z", Declared, {"total": "2.00"})) is Declared
    assert not isinstance(CallToolResult(content=[]), ShapedResult)


def test_an_unshaped_result_is_still_checked_against_the_output_schema() -> None:
    direct, _ = _both(_server(), "unshaped", PV[0])
    assert direct["isError"] is True
    assert direct["content"][0]["text"] == "Error executing tool unshaped"


def test_the_direct_path_steps_aside_for_a_server_with_tracing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ToolCalls.for_server(build_server()) is not None
    monkeypatch.setenv("NEWLEDGER_MCP_TRACING", "true")
    get_settings.cache_clear()
    try:
        assert ToolCalls.for_server(build_server()) is None
    finally:
        monkeypatch.delenv("NEWLEDGER_MCP_TRACING")
        get_settings.cache_clear()


def test_a_multi_round_call_is_left_to_the_sdk() -> None:
    tools = ToolCalls.for_server(_server())
    assert tools is not None
    assert not tools.takes({"name": "declared", "arguments": {}, "requestState": "s"})
    assert not tools.takes({"name": "no_such_tool"})
    assert not tools.takes({"name": "asks", "arguments": {}})
    assert tools.takes({"name": "declared", "requestState": None})
