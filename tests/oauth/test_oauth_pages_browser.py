"""The MCP set-up pages in a real Chromium: an owner finds the company MCP URL from Settings,
copies it with the button, and follows the ChatGPT, Claude and other-client guides. Screenshots go
to ``test-output/screenshots/{mcp-server,chatgpt,claude,mcp-client}.png``."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
)
from tests.support.oauth_pages import company_mcp_url
from tests.support.workspace import PASSWORD, make_person

pytestmark = pytest.mark.browser


def _copy(page: Page, target: str) -> str:
    """Click the copy button for ``target`` and return what landed on the clipboard."""
    button = page.locator(f"button.copy[data-copy='{target}']")
    expect(button).to_be_visible()
    button.click()
    expect(button).to_have_text("Copied")
    return str(page.evaluate("navigator.clipboard.readText()"))


def test_an_owner_copies_the_company_mcp_url_and_follows_each_clients_guide(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    base = live_server.url
    owner = make_person(sessions, "owner@example.com", role="owner", company="northwind")
    url = company_mcp_url(base, "northwind")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    sign_in(page, base, owner.email, PASSWORD)

    # The guide's route: Settings → App Connect → MCP Server → copy the company MCP URL.
    page.goto(f"{base}/settings")
    page.click("nav.subnav >> text=App Connect")
    page.click("#tab-mcp-server")
    expect(page.locator("#mcp-url")).to_have_text(url)
    expect(page.locator("#panel-mcp-server")).not_to_contain_text("oming soon")
    expect(page.locator("#mcp-steps > li")).to_have_count(6)
    save_screenshot(page, "mcp-server")
    assert _copy(page, "#mcp-url") == url

    # Its per-client guides, each with the same URL and its own copy button.
    page.click("#mcp-guides >> text=ChatGPT")
    expect(page.locator("h1")).to_have_text("Connect ChatGPT to Northwind")
    expect(page.locator("#chatgpt-redirect-uris")).to_contain_text(
        "https://chatgpt.com/connector_platform_oauth_redirect"
    )
    save_screenshot(page, "chatgpt")
    assert _copy(page, "#mcp-url") == url

    page.click("text=← Integrations")
    page.click("#integration-claude >> text=Set up Claude")
    expect(page.locator("h1")).to_have_text("Connect Claude to Northwind")
    save_screenshot(page, "claude")
    assert _copy(page, "#mcp-url") == url
    command = f"claude mcp add --transport http newledger {url}"
    assert _copy(page, "#claude-code-command") == command

    page.click("text=← Integrations")
    page.click("#integration-mcp >> text=Set up another MCP client")
    expect(page.locator("h1")).to_have_text("Connect another MCP client to Northwind")
    expect(page.locator("#inspector-steps")).to_contain_text("Streamable HTTP")
    save_screenshot(page, "mcp-client")
    assert _copy(page, "#mcp-generic-url") == f"{base}/mcp"
