"""Helpers for the MCP set-up page tests (App Connect → MCP Server and Settings → Integrations)."""

from __future__ import annotations

import re

__all__ = ["MCP_SETUP_PAGES", "code_text", "company_mcp_url"]

# Every page that walks a person through connecting an MCP client: path → what it is.
MCP_SETUP_PAGES: dict[str, str] = {
    "/settings/appconnect?tab=mcp-server": "App Connect → MCP Server",
    "/settings/integrations": "Integrations",
    "/settings/integrations/chatgpt": "Integrations → ChatGPT",
    "/settings/integrations/claude": "Integrations → Claude",
    "/settings/integrations/mcp": "Integrations → other MCP clients",
}


def company_mcp_url(base_url: str, slug: str) -> str:
    return f"{base_url}/mcp/{slug}"


def code_text(html: str, element_id: str) -> str:
    """The text of ``<code id="…">`` (the values the pages show for copying)."""
    found = re.search(rf'<code id="{re.escape(element_id)}">([^<]*)</code>', html)
    assert found, f"no <code id={element_id!r}> in the page"
    return found.group(1)
