"""Helpers for the authorization endpoint and consent screen tests: OAuth client rows written
straight into the database (what registration would store), PKCE pairs, authorize URLs, and
the consent form read out of the page like a browser would."""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import secrets as nl_secrets
from newledger.appconnect.models import OAuthClient
from newledger.appconnect.oauth import pkce
from tests.support.workspace import csrf

__all__ = [
    "CLAUDE_REDIRECT",
    "OAuthClientRow",
    "approve_over_http",
    "authorize_url",
    "callback_url_fixture",
    "consent_form",
    "make_client",
    "new_pkce",
    "query_of",
]

CLAUDE_REDIRECT = "https://claude.ai/api/mcp/auth_callback"
_CONSENT_ID = re.compile(r'name="consent_id" value="([^"]+)"')


@dataclass(frozen=True)
class OAuthClientRow:
    pk: int
    client_id: str
    redirect_uris: list[str]


def make_client(
    sessions: sessionmaker[Session],
    *,
    kind: str = "dynamic",
    name: str = "Claude",
    redirect_uris: list[str] | None = None,
    company_id: int | None = None,
    client_uri: str | None = None,
    logo_uri: str | None = None,
) -> OAuthClientRow:
    uris = redirect_uris or [CLAUDE_REDIRECT]
    client_id = nl_secrets.generate_client_id(nl_secrets.OAUTH_CLIENT_ID_PREFIX)
    with sessions() as s:
        row = OAuthClient(
            client_id=client_id,
            kind=kind,
            company_id=company_id,
            name=name,
            client_uri=client_uri,
            logo_uri=logo_uri,
            redirect_uris=json.dumps(uris),
            application_type="web",
            token_endpoint_auth_method="none",
            scope="",
            metadata_json="{}",
        )
        s.add(row)
        s.commit()
        return OAuthClientRow(row.id, client_id, uris)


def new_pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    return verifier, pkce.s256(verifier)


def authorize_url(client: OAuthClientRow, resource: str | None, **overrides: str | None) -> str:
    """``/oauth/authorize?...`` as an MCP client builds it; an override of ``None`` drops it."""
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uris[0],
        "state": "st-" + secrets.token_urlsafe(8),
        "code_challenge": new_pkce()[1],
        "code_challenge_method": "S256",
        "resource": resource,
        "scope": "invoices:read reports:read",
    }
    params.update(overrides)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def query_of(location: str) -> dict[str, str]:
    """The single-valued query parameters of a redirect's ``Location``."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent_form(page: httpx.Response) -> dict[str, str]:
    """The consent form's hidden fields (CSRF token and consent id)."""
    match = _CONSENT_ID.search(page.text)
    assert match, "no consent form on the page"
    return {"csrf_token": csrf(page.text), "consent_id": match.group(1)}


def approve_over_http(
    c: httpx.Client,
    url: str,
    code: str,
    permissions: list[str] | None = None,
    company: str | None = None,
) -> dict[str, str]:
    """Answer ``url`` (an authorize URL, absolute or a path) on the consent screen as the person
    signed in on ``c``: approve ``permissions`` (default: everything offered) with the TOTP
    ``code``; return the query of the redirect back to the client (``code``, ``state``, ``iss``).
    For the generic MCP URL, ``company`` (a slug) is the one picked."""
    if company is not None:
        url += ("&" if "?" in url else "?") + urlencode({"company": company})
    page = c.get(url)
    assert page.status_code == 200, page.text
    offered = re.findall(r'name="permissions"\s+value="([^"]+)"', page.text)
    response = c.post(
        "/oauth/authorize",
        data={
            **consent_form(page),
            "decision": "approve",
            "permissions": offered if permissions is None else permissions,
            "code": code,
        },
    )
    assert response.status_code == 303, response.text
    return query_of(response.headers["location"])


class _Callback(BaseHTTPRequestHandler):
    """An MCP client's loopback redirect URI (RFC 8252): answers every request with a page."""

    def do_GET(self) -> None:
        body = b"<!doctype html><title>Connected</title><p>You can close this tab.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(name="callback_url")
def callback_url_fixture() -> Iterator[str]:
    """A running loopback redirect URI for browser tests that end at the client."""
    from tests.conftest import free_port  # the conftest imports support modules

    server = HTTPServer(("127.0.0.1", free_port()), _Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/callback"
    server.shutdown()
    server.server_close()
