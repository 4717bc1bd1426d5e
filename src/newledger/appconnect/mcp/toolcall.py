"""The lean path's ``tools/call``: the SDK's own tool, run without the SDK's per-request kernel.

``serve_one`` builds, for every request, a ``ServerRunner``, a born-ready ``Connection`` (with
pydantic models of the client's info and capabilities), a ``ServerSession``, a request context,
the middleware chain, ``MCPServer``'s ``Context`` and a shielded cancel scope to close the
connection's exit stack; then it checks the tool's structured content against its output schema
although ``success`` (``tools/results.py``) has just validated it with that very model.
Measured in-process on the demo books, leaving that machinery out cut the CPU of a
``cash_position`` call by about a third.

A ``tools/call`` that needs none of it is run here with the SDK's own parts, in the order
``ServerRunner._on_request`` runs them:

1. the params' surface check for the era (``validate_client_request``) and
   ``CallToolRequestParams``;
2. ``Tool.run`` (argument validation, the call, its error wrapping) with
   ``MCPServer._handle_call_tool``'s mapping of a failed tool to an ``isError`` result;
3. ``FuncMetadata.convert_result`` (the output schema check), unless the result was shaped by
   ``success`` with the tool's own output model (``ShapedResult``);
4. the SDK's result shaping for the era (``ServerRunner._serialize``: the per-version sieve,
   ``resultType`` and ``_meta.serverInfo`` under 2026-07-28).

"Needs none of it" is decided once per server: the ``tools/call`` handler is
``MCPServer._handle_call_tool`` itself (no extension interceptor), the middleware is the SDK's
request-state boundary and ``bind_call`` only (no tracing span), and ``tools/call`` has no cache
hint. Per request: a registered tool that takes no ``Context`` and no resolvers and does not
return ``InputRequiredResult``, and no ``requestState`` (multi-round calls belong to the SDK's
request-state boundary). Anything else goes to ``serve_one``; ``tests/mcp/test_lean_parity.py``
compares the bytes with the SDK transport's, ``test_lean_toolcall.py`` with ``serve_one``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeGuard

from mcp.server.connection import Connection
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.resolve import returns_input_required
from mcp.server.mcpserver.tools import Tool
from mcp.server.request_state import RequestStateBoundary
from mcp.server.runner import ServerRunner
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolRequestParams, CallToolResult, TextContent, methods
from pydantic import ValidationError

from newledger.appconnect.mcp.call import CURRENT, McpCall
from newledger.appconnect.mcp.server import McpServer, bind_call
from newledger.appconnect.mcp.tools.results import shaped_by

__all__ = ["ToolCalls"]

_METHOD = "tools/call"
log = logging.getLogger(__name__)


class ToolCalls:
    """The direct ``tools/call`` of one server (``None`` from ``for_server`` when the server
    is not the plain one this path reproduces)."""

    def __init__(self, server: McpServer) -> None:
        mcp = server.mcp
        self._runner = ServerRunner(
            server.kernel, Connection.from_envelope("2025-11-25", None, None), None
        )
        # What ``MCPServer.call_tool`` passes when it has no request: never reaches a tool here,
        # since only tools without a Context parameter come this way.
        self._context: Context[Any, Any] = Context(mcp_server=mcp)
        # Not a tool that asks the client for input (2026-07-28 multi-round calls): the
        # request-state boundary seals its state, so such a tool goes through serve_one.
        self._tools: dict[str, Tool] = {
            tool.name: tool
            for tool in mcp._tool_manager.list_tools()
            if tool.context_kwarg is None
            and not tool.resolved_params
            and not returns_input_required(tool.fn)
        }

    @classmethod
    def for_server(cls, server: McpServer) -> ToolCalls | None:
        kernel = server.kernel
        entry = kernel.get_request_handler(_METHOD)
        middleware = kernel.middleware
        plain = (
            entry is not None
            and entry.handler == server.mcp._handle_call_tool
            and entry.params_type is CallToolRequestParams
            and len(middleware) == 2
            and isinstance(middleware[0], RequestStateBoundary)
            and middleware[1] is bind_call
            and _METHOD not in kernel.cache_hints
        )
        return cls(server) if plain else None

    def takes(self, params: Any) -> TypeGuard[dict[str, Any]]:
        """Whether this path answers a ``tools/call`` with ``params`` (else ``serve_one``)."""
        return (
            isinstance(params, dict)
            and params.get("name") in self._tools
            and params.get("requestState") is None
        )

    async def answer(self, version: str, params: Mapping[str, Any], call: McpCall) -> Any:
        """The result dict for the wire, or raises as ``serve_one`` would."""
        methods.validate_client_request(_METHOD, version, params)
        typed = CallToolRequestParams.model_validate(params, by_name=False)
        tool = self._tools[typed.name]
        token = CURRENT.set(call)
        try:
            result = await self._run(tool, typed.arguments or {})
        finally:
            CURRENT.reset(token)
        return self._runner._serialize(_METHOD, version, result)

    async def _run(self, tool: Tool, arguments: dict[str, Any]) -> Any:
        """``MCPServer._handle_call_tool`` → ``Tool.run(convert_result=True)``, with the output
        check skipped where ``success`` made it with the same model."""
        try:
            result = await tool.run(arguments, self._context, convert_result=False)
            output_model = tool.fn_metadata.output_model
            if output_model is None or shaped_by(result) is not output_model:
                result = _converted(tool, result)
            return result
        except MCPError:
            raise
        except Exception as exc:
            # As ``MCPServer._handle_call_tool``: the log line, then the error as a tool result.
            if isinstance(exc, ToolError) and not isinstance(exc, UnexpectedToolError):
                if isinstance(exc.__cause__, ValidationError):
                    fields = sorted(
                        {".".join(str(p) for p in err["loc"]) for err in exc.__cause__.errors()}
                    )
                    log.info("Tool %r rejected arguments: %r", tool.name, fields)
                else:
                    log.info("Tool %r failed: %r", tool.name, str(exc))
            else:
                log.exception("Tool %r raised an unexpected exception", tool.name)
            return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)


def _converted(tool: Tool, result: Any) -> Any:
    """``convert_result`` with ``Tool.run``'s wrapping of a failure in it."""
    try:
        return tool.fn_metadata.convert_result(result)
    except MCPError:
        raise
    except Exception as exc:
        raise UnexpectedToolError(f"Error executing tool {tool.name}") from exc
