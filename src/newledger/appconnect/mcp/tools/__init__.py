"""The company MCP server's tools: reports, the books (invoices, expenses, contacts, bank),
credit notes and drafts. Every tool calls the same service functions as REST API v1."""

from newledger.appconnect.mcp.tools.registry import REQUIRED, TOOLS, register_all, required

__all__ = ["REQUIRED", "TOOLS", "register_all", "required"]
