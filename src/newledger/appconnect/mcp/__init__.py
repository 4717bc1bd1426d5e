"""The company MCP server: ``/mcp/{slug}`` and the generic ``/mcp`` (Streamable HTTP, the
2025-11-25 and the stateless 2026-07-28 protocol), tools over the one service layer.

- ``endpoint``: the ASGI entry (Host/Origin, bearer token, scope challenge, rate limit).
- ``lean``: stateless JSON requests answered by the SDK's kernel without its transport.
- ``server``: the SDK ``MCPServer`` with the tools, and its stateless transport for the rest.
- ``tools``: the tools, their permissions and output schemas.
"""

from newledger.appconnect.mcp.endpoint import McpEndpoint, McpRoutes

__all__ = ["McpEndpoint", "McpRoutes"]
