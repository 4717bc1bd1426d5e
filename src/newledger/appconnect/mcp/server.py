"""The SDK side: one ``MCPServer`` holding the tools (the SDK derives each tool's input and
output schema and serializes every result), and its stateless Streamable HTTP transport.

The transport is the SDK's own ``StreamableHTTPSessionManager`` in stateless mode with JSON
responses: no session lives in a process, so any instance answers any request (DESIGN §9). It
serves what the lean path (``lean.py``) leaves to it: GET and DELETE, batches, notifications,
SSE-only clients, session headers and any method or header the lean path does not take.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mcp.server._otel import OpenTelemetryMiddleware
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from newledger import __version__
from newledger.appconnect.mcp.call import CURRENT, SCOPE_KEY
from newledger.appconnect.mcp.tools import register_all
from newledger.config import get_settings

__all__ = ["McpServer", "build_server", "security_settings"]

INSTRUCTIONS = (
    "NewLedger is a company's double-entry books. Read tools answer questions about cash, who "
    "owes money, spending, invoices and reports; amounts are decimal strings with their "
    "currency and every record links to its page. Write tools only create drafts (or a "
    "contact) that a person reviews and approves: pass a fresh idempotency_key per new record "
    "and reuse it when retrying. A 403 insufficient_scope names the permissions to ask for."
)


async def bind_call(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Lift the endpoint's authenticated call from the request's ASGI scope into the context
    variable the tools read, for the handler's duration (lean path and SDK transport alike)."""
    request = ctx.request
    call = request.scope.get(SCOPE_KEY) if request is not None else None
    token = CURRENT.set(call)
    try:
        return await call_next(ctx)
    finally:
        CURRENT.reset(token)


def security_settings() -> TransportSecuritySettings:
    """DNS-rebinding protection: Host must be the public URL's host, an Origin its origin."""
    public = urlsplit(get_settings().issuer)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[public.netloc],
        allowed_origins=[f"{public.scheme}://{public.netloc}"],
    )


@dataclass
class McpServer:
    """The SDK server, its low-level kernel and its stateless transport."""

    mcp: MCPServer[Any]
    manager: StreamableHTTPSessionManager
    lifespan_state: Any = None

    @property
    def kernel(self) -> Server[Any]:
        return self.manager.app

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run(), self.kernel.lifespan(self.kernel) as state:
            self.lifespan_state = state
            yield


def build_server() -> McpServer:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server: MCPServer[Any] = MCPServer(
        "NewLedger",
        title="NewLedger",
        instructions=INSTRUCTIONS,
        version=__version__,
        middleware=[bind_call],
    )
    # MCPServer configures the root logger (basicConfig with a rich handler); NewLedger owns
    # its logging (security log as JSON lines), so the root logger is put back as it was.
    root.handlers[:] = handlers
    root.setLevel(level)
    if not get_settings().mcp_tracing:
        # The SDK's documented opt-out: drop its tracing middleware from the chain.
        server.middleware[:] = [
            m for m in server.middleware if not isinstance(m, OpenTelemetryMiddleware)
        ]
    register_all(server)
    server.streamable_http_app(
        json_response=True, stateless_http=True, transport_security=security_settings()
    )
    return McpServer(server, server.session_manager)
