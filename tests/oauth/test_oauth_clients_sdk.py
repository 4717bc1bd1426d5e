"""The official MCP Python SDK client (``mcp.client.auth.OAuthClientProvider``, mcp 2.3) against
the running app, up to the point where a person must consent: from the company MCP URL's 401 it
discovers the protected resource and the authorization server, checks their issuer and
resource, registers (dynamically, or with a client ID metadata document served by the test),
and builds the authorization request with PKCE S256, the resource and the challenged scope.

Consent, the code, the tokens and their refresh follow in the authorization and grant tests; here
the flow stops when the SDK waits for the person."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyUrl
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.clients import resolve_client
from newledger.appconnect.models import OAuthClient
from newledger.appconnect.scopes import DEFAULT_SCOPES, scope_string
from tests.conftest import LiveServer
from tests.support.appconnect import make_tenant, server_key
from tests.support.oauth import (  # noqa: F401  (pytest fixtures)
    DocumentServer,
    documents_fixture,
    loopback_fetches_fixture,
    test_ca_fixture,
)

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")

REDIRECT = "http://127.0.0.1:33418/callback"


class _Memory:
    """The SDK's ``TokenStorage``, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class _PersonNeeded(Exception):
    """Where a real client would open the browser and wait for the redirect back."""


def _run_until_consent(
    mcp_url: str, storage: _Memory, client_metadata_url: str | None = None
) -> str:
    """Drive the SDK against ``mcp_url``; return the authorization URL it opened."""
    opened: list[str] = []

    async def redirect_handler(url: str) -> None:
        opened.append(url)

    async def callback_handler() -> AuthorizationCodeResult:
        raise _PersonNeeded

    provider = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="SDK test client",
            redirect_uris=[AnyUrl(REDIRECT)],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
        client_metadata_url=client_metadata_url,
    )

    async def main() -> None:
        async with httpx2.AsyncClient(auth=provider, timeout=30) as client:
            await client.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})

    with pytest.raises(_PersonNeeded):
        asyncio.run(main())
    assert len(opened) == 1
    return opened[0]


def _check_authorization_request(url: str, issuer: str, mcp_url: str, client_id: str) -> None:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{issuer}/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == client_id
    assert query["redirect_uri"] == REDIRECT
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["resource"] == mcp_url  # RFC 8707, exactly the URL the user pasted
    assert query["scope"] == scope_string(DEFAULT_SCOPES)  # from the 401 challenge
    assert query["state"]


def test_the_sdk_discovers_registers_and_asks_for_consent_with_pkce(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    mcp_url = f"{live_server.url}/mcp/{tenant.company.slug}"
    storage = _Memory()
    url = _run_until_consent(mcp_url, storage)
    info = storage.client_info
    assert info is not None and info.client_id.startswith("nloc_")
    assert info.token_endpoint_auth_method == "none" and info.client_secret is None
    _check_authorization_request(url, live_server.url, mcp_url, info.client_id)
    with sessions() as session:
        client = session.scalar(select(OAuthClient).where(OAuthClient.client_id == info.client_id))
        assert client is not None
        assert (client.kind, client.name, client.application_type) == (
            "dynamic",
            "SDK test client",
            "native",
        )


@pytest.mark.usefixtures("loopback_fetches")
def test_the_sdk_uses_a_client_id_metadata_document_instead_of_registering(
    live_server: LiveServer, sessions: sessionmaker[Session], documents: DocumentServer
) -> None:
    tenant = make_tenant(sessions)
    mcp_url = f"{live_server.url}/mcp/{tenant.company.slug}"
    document_url = documents.serve_document(
        "/oauth/client-metadata.json", client_name="SDK test client", redirect_uris=[REDIRECT]
    )
    storage = _Memory()
    url = _run_until_consent(mcp_url, storage, client_metadata_url=document_url)
    assert storage.client_info is not None and storage.client_info.client_id == document_url
    _check_authorization_request(url, live_server.url, mcp_url, document_url)
    with sessions() as session:  # no dynamic registration happened
        assert session.scalar(select(OAuthClient.id)) is None
    # What the authorization endpoint then does with that client id (on a server started with
    # the test-only loopback setting, ``oauth.loopback_server``): fetch, check, store.
    with sessions.begin() as session:
        client = resolve_client(session, document_url)
        assert (client.kind, client.name) == ("metadata", "SDK test client")
    assert documents.hits == {"/oauth/client-metadata.json": 1}
