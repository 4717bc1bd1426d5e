"""CORS for the public OAuth and MCP endpoints, for MCP clients that run in a browser (MCP
Inspector). These endpoints read no cookies, so any origin may call them; credentials are never
allowed (``*`` cannot be combined with them), so a page elsewhere gains nothing it could not get
from a server of its own."""

from __future__ import annotations

from starlette.responses import Response

__all__ = ["PUBLIC", "preflight"]

PUBLIC = {
    "Access-Control-Allow-Origin": "*",
    # So a browser client can read the 401 challenge and the MCP session header.
    "Access-Control-Expose-Headers": "WWW-Authenticate, Mcp-Session-Id",
}


def preflight(methods: str) -> Response:
    """The answer to an ``OPTIONS`` preflight."""
    return Response(
        status_code=204,
        headers={
            **PUBLIC,
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Allow-Headers": (
                "Authorization, Content-Type, MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID"
            ),
            "Access-Control-Max-Age": "86400",
        },
    )
