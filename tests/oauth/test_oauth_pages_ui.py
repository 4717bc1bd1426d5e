"""The MCP set-up pages over HTTP: App Connect → MCP Server and Integrations → ChatGPT, Claude
and other MCP clients show the company's real MCP URL with a copy button, step by step, and no
"coming soon"; the discovery URLs they print are the ones the server announces."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from newledger.config import get_settings
from newledger.identity.models import Company
from newledger.web.views.appconnect.shared import mcp_setup, well_known_url
from tests.conftest import LiveServer
from tests.support.oauth_pages import MCP_SETUP_PAGES, code_text, company_mcp_url
from tests.support.workspace import client, make_person, sign_in

# DESIGN §5: the redirect URIs the well-known MCP clients use.
CHATGPT = "https://chatgpt.com/connector_platform_oauth_redirect"
CLAUDE = ("https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback")
INSPECTOR = ("http://localhost:6274/oauth/callback", "http://127.0.0.1:6276/oauth/callback")


def _pages(live_server: LiveServer, sessions: sessionmaker[Session]) -> dict[str, str]:
    """Every set-up page as Northwind's owner sees it."""
    person = make_person(sessions, "owner@example.com", role="owner", company="northwind")
    with client(live_server.url) as c:
        sign_in(c, person)
        pages = {}
        for path in MCP_SETUP_PAGES:
            response = c.get(path)
            assert response.status_code == 200, path
            pages[path] = response.text
        return pages


def test_every_set_up_page_shows_the_company_mcp_url_with_a_copy_button_and_no_coming_soon(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    url = company_mcp_url(live_server.url, "northwind")
    for path, html in _pages(live_server, sessions).items():
        assert code_text(html, "mcp-url") == url, path
        assert 'data-copy="#mcp-url"' in html, path
        assert "coming soon" not in html.lower(), path


def test_each_client_guide_walks_through_the_steps_to_consent_and_back(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    pages = _pages(live_server, sessions)
    steps = {
        "/settings/appconnect?tab=mcp-server": "mcp-steps",
        "/settings/integrations/chatgpt": "chatgpt-steps",
        "/settings/integrations/claude": "claude-steps",
        "/settings/integrations/mcp": "mcp-client-steps",
    }
    for path, list_id in steps.items():
        html = pages[path]
        found = re.search(rf'<ol class="steps" id="{list_id}">(.*?)</ol>', html, re.S)
        assert found, path
        items = found.group(1).count("<li>")
        assert items >= 6, (path, items)  # copy, add, consent, authenticator code, return, manage
        body = found.group(1)
        assert "consent screen" in body and "authenticator" in body, path
        assert 'href="/settings/appconnect?tab=oauth-connections"' in body, path
    for guide in ("chatgpt", "claude", "mcp"):
        link = f'href="/settings/integrations/{guide}"'
        assert link in pages["/settings/integrations"]
        assert link in pages["/settings/appconnect?tab=mcp-server"]


def test_the_guides_name_each_clients_redirect_uris_and_claude_codes_command(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    pages = _pages(live_server, sessions)
    chatgpt = pages["/settings/integrations/chatgpt"]
    assert f"<code>{CHATGPT}</code>" in chatgpt
    # ChatGPT registers itself: the page no longer tells people to register a client first.
    assert "registers itself" in chatgpt
    claude = pages["/settings/integrations/claude"]
    assert all(f"<code>{uri}</code>" in claude for uri in CLAUDE)
    command = re.search(r'<pre id="claude-code-command">([^<]+)</pre>', claude)
    url = company_mcp_url(live_server.url, "northwind")
    assert command and command.group(1) == f"claude mcp add --transport http newledger {url}"
    other = pages["/settings/integrations/mcp"]
    assert all(f"<code>{uri}</code>" in other for uri in INSPECTOR)
    assert "npx @modelcontextprotocol/inspector" in other


def test_the_pages_print_the_discovery_urls_of_rfc_9728_and_rfc_8414(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    base = live_server.url
    pages = _pages(live_server, sessions)
    for path in ("/settings/appconnect?tab=mcp-server", "/settings/integrations/mcp"):
        html = pages[path]
        assert code_text(html, "mcp-generic-url") == f"{base}/mcp", path
        assert (
            code_text(html, "mcp-resource-metadata")
            == f"{base}/.well-known/oauth-protected-resource/mcp/northwind"
        ), path
        assert (
            code_text(html, "oauth-server-metadata")
            == f"{base}/.well-known/oauth-authorization-server"
        ), path


def test_the_discovery_urls_on_the_page_are_the_ones_the_server_announces(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    """What a client does with the URL a person copies: a 401 names the protected-resource
    metadata, whose ``resource`` is exactly the URL pasted, and whose authorization server is the
    issuer the page names."""
    html = _pages(live_server, sessions)["/settings/appconnect?tab=mcp-server"]
    url = code_text(html, "mcp-url")
    challenge = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert challenge.status_code == 401
    header = challenge.headers["www-authenticate"]
    announced = re.search(r'resource_metadata="([^"]+)"', header)
    assert announced and announced.group(1) == code_text(html, "mcp-resource-metadata")
    metadata = httpx.get(announced.group(1)).json()
    assert metadata["resource"] == url
    server = httpx.get(code_text(html, "oauth-server-metadata")).json()
    assert server["issuer"] in metadata["authorization_servers"]
    assert server["issuer"] == live_server.url


def test_the_register_oauth_app_link_leads_to_the_form(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "owner@example.com", role="owner", company="northwind")
    with client(live_server.url) as c:
        sign_in(c, person)
        html = c.get("/settings/integrations/mcp").text
        link = re.search(r'<a href="([^"]+)">App Connect → Register OAuth App</a>', html)
        assert link
        target = c.get(link.group(1))
        # The form needs 2FA (it hands out a secret): a person without it is sent to enrol.
        assert target.status_code in (200, 303), target.status_code


def test_create_app_points_mcp_clients_to_the_mcp_url_and_register_oauth_app(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    """The guide offers "create a new app and pick the OAuth connection type": in the UI an MCP
    client needs no app, and one that cannot register itself goes to Register OAuth App."""
    person = make_person(sessions, "owner@example.com", role="owner", with_2fa=True)
    with client(live_server.url) as c:
        sign_in(c, person)
        html = c.get("/settings/appconnect/apps/new").text
        assert 'id="choose-api-credentials"' in html and 'id="choose-oauth-app"' in html
        pointer = re.search(r'<p class="muted" id="create-app-not-mcp">(.*?)</p>', html, re.S)
        assert pointer
        assert 'href="/settings/appconnect?tab=mcp-server"' in pointer.group(1)
        assert 'id="choose-oauth-app" href="/settings/appconnect/oauth-apps/new"' in html


@pytest.mark.parametrize("role", ["viewer", "bookkeeper"])
def test_every_member_can_open_the_guides(
    live_server: LiveServer, sessions: sessionmaker[Session], role: str
) -> None:
    """Anyone may connect an assistant with the permissions they hold, so the set-up guides and
    the company MCP URL are open to every member, not only to those who manage apps."""
    person = make_person(sessions, f"{role}@example.com", role=role)
    with client(live_server.url) as c:
        sign_in(c, person)
        for path in MCP_SETUP_PAGES:
            page = c.get(path)
            assert page.status_code == 200, path
            assert f"{live_server.url}/mcp/" in page.text, path


def test_the_set_up_pages_cannot_be_framed(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "owner@example.com", role="owner")
    with client(live_server.url) as c:
        sign_in(c, person)
        for path in MCP_SETUP_PAGES:
            csp = c.get(path).headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp, path


@pytest.mark.parametrize(
    ("url", "name", "expected"),
    [
        (
            "https://books.example.com/mcp/acme",
            "oauth-protected-resource",
            "https://books.example.com/.well-known/oauth-protected-resource/mcp/acme",
        ),
        (
            "https://books.example.com",
            "oauth-authorization-server",
            "https://books.example.com/.well-known/oauth-authorization-server",
        ),
        # Behind a path prefix the well-known segment still goes right after the host.
        (
            "https://example.com/ledger/mcp/acme",
            "oauth-protected-resource",
            "https://example.com/.well-known/oauth-protected-resource/ledger/mcp/acme",
        ),
        (
            "https://example.com/ledger/",
            "oauth-authorization-server",
            "https://example.com/.well-known/oauth-authorization-server/ledger",
        ),
    ],
)
def test_well_known_urls_are_made_by_path_insertion(url: str, name: str, expected: str) -> None:
    assert well_known_url(url, name) == expected


def test_the_mcp_url_is_the_public_url_with_no_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWLEDGER_PUBLIC_URL", "https://books.example.com/")
    get_settings.cache_clear()
    try:
        setup = mcp_setup(Company(name="Acme", slug="acme"))
        assert setup.company_url == "https://books.example.com/mcp/acme"
        assert setup.generic_url == "https://books.example.com/mcp"
        assert (
            setup.authorization_server_metadata_url
            == "https://books.example.com/.well-known/oauth-authorization-server"
        )
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
