"""The whole OAuth flow driven by the official MCP Python SDK client (``mcp`` 2.3,
``OAuthClientProvider``) against the running app: discovery from the MCP URL's 401, dynamic
client registration or a client ID metadata document served by the test, PKCE, the consent
screen (posted over HTTP by the signed-in person, with a TOTP code), the RFC 9207 ``iss`` check,
the code exchange and refresh with rotation, and, in each protocol era, the SDK's own client
session on that auth ending in a ``tools/call``.

Nothing here talks to NewLedger's internals except to read what the flow stored.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import httpx2
import pytest
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.exceptions import OAuthFlowError
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyUrl
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mcp import Client
from newledger.appconnect import secrets
from newledger.appconnect.models import OAuthClient, OAuthConnection, RefreshToken
from newledger.appconnect.scopes import DEFAULT_SCOPES, scope_string
from tests.conftest import LiveServer
from tests.support.mcp import ERAS, PV
from tests.support.oauth import (  # noqa: F401  (pytest fixtures)
    DocumentServer,
    documents_fixture,
    loopback_server_fixture,
    test_ca_fixture,
)
from tests.support.oauth_authorize import approve_over_http, query_of
from tests.support.workspace import Person, client, make_person, sign_in

REDIRECT = "http://127.0.0.1:33418/callback"  # a native client's loopback redirect (RFC 8252)
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "sdk-flow-test", "version": "1"},
    },
}
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


@dataclass
class MemoryStorage:
    """The SDK's ``TokenStorage``: what a real client keeps between runs."""

    tokens: OAuthToken | None = None
    client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


@dataclass
class Browser:
    """Stands in for the person's browser: opens the authorize URL the client redirects to,
    approves on the consent screen with a fresh TOTP code, and hands the client the query of
    the redirect back (as the client's loopback listener would receive it)."""

    base_url: str
    person: Person
    company: str | None = None
    tamper_iss: str | None = None
    opened: list[str] = field(default_factory=list)
    answer: dict[str, str] = field(default_factory=dict)

    async def redirect(self, url: str) -> None:
        self.opened.append(url)
        self.answer = await asyncio.to_thread(self._consent, url)

    def _consent(self, url: str) -> dict[str, str]:
        with client(self.base_url) as c:
            sign_in(c, self.person)
            assert self.person.authenticator is not None
            code = self.person.authenticator.fresh_code()
            return approve_over_http(c, url, code, company=self.company)

    async def callback(self) -> AuthorizationCodeResult:
        iss = self.tamper_iss if self.tamper_iss is not None else self.answer.get("iss")
        return AuthorizationCodeResult(
            code=self.answer["code"], state=self.answer.get("state"), iss=iss
        )


def _provider(
    server_url: str,
    browser: Browser,
    storage: MemoryStorage,
    client_metadata_url: str | None = None,
) -> OAuthClientProvider:
    metadata = OAuthClientMetadata(
        client_name="SDK flow test",
        redirect_uris=[AnyUrl(REDIRECT)],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    return OAuthClientProvider(
        server_url=server_url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
        client_metadata_url=client_metadata_url,
    )


async def _call_mcp(url: str, provider: OAuthClientProvider) -> httpx2.Response:
    async with httpx2.AsyncClient(auth=provider, timeout=30) as c:
        return await c.post(url, json=INITIALIZE, headers=MCP_HEADERS)


def _check_authorization_request(url: str, issuer: str, mcp_url: str, client_id: str) -> None:
    """What the SDK sent to the authorization endpoint: PKCE S256, the resource (RFC 8707)
    exactly as pasted, the scope the 401 challenge named."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{issuer}/oauth/authorize"
    sent = query_of(url)
    assert sent["response_type"] == "code" and sent["client_id"] == client_id
    assert sent["redirect_uri"] == REDIRECT
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["resource"] == mcp_url
    assert sent["scope"] == scope_string(DEFAULT_SCOPES)
    assert sent["state"]


@pytest.fixture
def owner(sessions: sessionmaker[Session]) -> Person:
    return make_person(sessions, "owner@example.com", company="acme", with_2fa=True)


def test_the_sdk_client_discovers_registers_consents_exchanges_and_refreshes(
    live_server: LiveServer, sessions: sessionmaker[Session], owner: Person
) -> None:
    mcp_url = f"{live_server.url}/mcp/acme"
    storage = MemoryStorage()
    browser = Browser(live_server.url, owner)
    provider = _provider(mcp_url, browser, storage)

    # Unauthenticated: the 401 names the resource metadata, the client discovers the rest.
    bare = httpx.post(mcp_url, json=INITIALIZE, headers=MCP_HEADERS)
    assert bare.status_code == 401
    assert "resource_metadata=" in bare.headers["www-authenticate"]

    answer = asyncio.run(_call_mcp(mcp_url, provider))
    # The retried request carried a token the MCP URL accepted.
    assert answer.status_code != 401, answer.text

    # Registration (RFC 7591): a dynamic, public, native client with the loopback redirect.
    assert storage.client_info is not None
    client_id = storage.client_info.client_id
    assert client_id is not None and client_id.startswith("nloc_")
    assert storage.client_info.client_secret is None
    [opened] = browser.opened
    _check_authorization_request(opened, live_server.url, mcp_url, client_id)
    # The redirect back carried iss (RFC 9207), which the SDK checked against the metadata.
    assert browser.answer["iss"] == live_server.url

    tokens = storage.tokens
    assert tokens is not None and tokens.refresh_token is not None
    assert tokens.access_token.startswith("nlat_")
    assert secrets.has_valid_checksum(tokens.refresh_token, secrets.REFRESH_TOKEN_PREFIX)
    first_refresh = tokens.refresh_token

    with sessions() as s:
        registered = s.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
        assert registered is not None
        assert (registered.kind, registered.name, registered.application_type) == (
            "dynamic",
            "SDK flow test",
            "native",
        )
        [conn] = s.scalars(
            select(OAuthConnection).where(OAuthConnection.client_pk == registered.id)
        )
        assert conn.resource == mcp_url and conn.user_id == owner.user_id

    # The access token has expired (as the client sees it): the SDK refreshes, with rotation.
    provider.context.token_expiry_time = time.time() - 1
    again = asyncio.run(_call_mcp(mcp_url, provider))
    assert again.status_code != 401, again.text
    assert storage.tokens is not None and storage.tokens.refresh_token is not None
    assert storage.tokens.refresh_token != first_refresh
    assert browser.opened == [opened]  # no second consent: the refresh token did it
    with sessions() as s:
        rows = {
            r.token_digest: r
            for r in s.scalars(select(RefreshToken).where(RefreshToken.connection_id == conn.id))
        }
        assert rows[secrets.digest(first_refresh)].used_at is not None
        assert rows[secrets.digest(storage.tokens.refresh_token)].used_at is None

    # The rotated-out refresh token no longer works, and presenting it ends the connection.
    replay = httpx.post(
        f"{live_server.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first_refresh,
            "client_id": client_id,
        },
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


def test_the_sdk_client_refuses_an_authorization_response_from_another_issuer(
    live_server: LiveServer, sessions: sessionmaker[Session], owner: Person
) -> None:
    """The ``iss`` our server sends is what the SDK compares: a redirect that claims another
    issuer (a mix-up attack) stops the flow before any code is exchanged."""
    mcp_url = f"{live_server.url}/mcp/acme"
    browser = Browser(live_server.url, owner, tamper_iss="https://evil.example")
    provider = _provider(mcp_url, browser, MemoryStorage())
    with pytest.raises(OAuthFlowError):
        asyncio.run(_call_mcp(mcp_url, provider))
    assert browser.answer["iss"] == live_server.url
    with sessions() as s:
        assert s.scalars(select(OAuthConnection)).first() is None


def test_the_sdk_client_connects_with_a_client_id_metadata_document(
    loopback_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    documents: DocumentServer,
) -> None:
    """Instead of registering, the client names itself by the https URL of its metadata
    document (served here by the test, over TLS from a test CA that this server trusts): the
    server fetches it through the guarded fetcher, and the flow ends in tokens as before."""
    base = loopback_server.url
    mcp_url = f"{base}/mcp/acme"
    document_url = documents.serve_document(
        "/oauth/client-metadata.json", client_name="SDK metadata client", redirect_uris=[REDIRECT]
    )
    storage = MemoryStorage()
    browser = Browser(base, owner)
    provider = _provider(mcp_url, browser, storage, client_metadata_url=document_url)

    answer = asyncio.run(_call_mcp(mcp_url, provider))
    assert answer.status_code != 401, answer.text

    assert storage.client_info is not None and storage.client_info.client_id == document_url
    [opened] = browser.opened
    _check_authorization_request(opened, base, mcp_url, document_url)
    assert storage.tokens is not None and storage.tokens.refresh_token is not None
    assert documents.hits["/oauth/client-metadata.json"] >= 1
    with sessions() as s:
        [metadata_client] = s.scalars(select(OAuthClient))  # no dynamic registration happened
        assert (metadata_client.kind, metadata_client.name) == ("metadata", "SDK metadata client")
        [conn] = s.scalars(select(OAuthConnection))
        assert conn.client_pk == metadata_client.id and conn.resource == mcp_url

    provider.context.token_expiry_time = time.time() - 1
    again = asyncio.run(_call_mcp(mcp_url, provider))
    assert again.status_code != 401, again.text


@pytest.mark.parametrize("era", ERAS)
def test_the_oauth_flow_ends_in_a_tool_call_through_the_sdk_client_session(
    live_server: LiveServer, sessions: sessionmaker[Session], owner: Person, era: str
) -> None:
    """The SDK's ``Client`` on its streamable HTTP transport, with the ``OAuthClientProvider`` as
    the HTTP client's auth and no token to start with: its first request meets the 401, the
    provider runs discovery, registration, consent and the code exchange, and the same session
    goes on to list the tools and call one, in the era the client was told to speak."""
    mcp_url = f"{live_server.url}/mcp/acme"
    storage = MemoryStorage()
    browser = Browser(live_server.url, owner)
    provider = _provider(mcp_url, browser, storage)

    async def session() -> tuple[set[str], Any, str | None]:
        http = create_mcp_http_client(auth=provider)
        async with (
            http,
            Client(streamable_http_client(mcp_url, http_client=http), mode=era) as client,
        ):
            tools = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("company_info", {})
            return tools, result, client.protocol_version

    tools, result, version = asyncio.run(session())
    assert version == PV[era]
    assert "company_info" in tools and "create_invoice_draft" in tools
    assert not result.is_error, result.content
    assert result.structured_content["slug"] == "acme"
    assert result.content[0].text

    # One consent, one registered client, one connection bound to the MCP URL, whose token
    # made the call.
    assert len(browser.opened) == 1
    assert storage.tokens is not None and storage.tokens.access_token.startswith("nlat_")
    assert storage.client_info is not None and storage.client_info.client_id is not None
    with sessions() as s:
        [conn] = s.scalars(select(OAuthConnection))
        assert conn.resource == mcp_url and conn.user_id == owner.user_id
        assert conn.revoked_at is None and conn.last_used_at is not None
