"""Discovery, as an MCP client meets it: the company MCP URL answers 401 with a challenge that
names its protected-resource metadata, which names NewLedger as the authorization server, whose
metadata names every endpoint. Public documents, no auth, CORS for browser clients."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.scopes import SCOPES_SUPPORTED
from tests.conftest import LiveServer
from tests.support.appconnect import (
    fetch_token,
    make_app,
    make_tenant,
    server_key,
    wait_for_activity,
)

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")

READ_SCOPES = (
    "accounts:read activity:read bank:read company:read contacts:read expenses:read "
    "invoices:read journal:read payments:read reports:read"
)


def _challenge(response: httpx.Response) -> dict[str, str]:
    scheme, _, params = response.headers["www-authenticate"].partition(" ")
    assert scheme == "Bearer"
    out = {}
    for part in params.split(", "):
        name, _, value = part.partition("=")
        out[name] = value.strip('"')
    return out


def test_the_authorization_server_metadata_names_every_endpoint_under_the_exact_issuer(
    live_server: LiveServer,
) -> None:
    response = httpx.get(f"{live_server.url}/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    meta = response.json()
    issuer = live_server.url
    assert meta["issuer"] == issuer and not issuer.endswith("/")
    assert meta["authorization_endpoint"] == f"{issuer}/oauth/authorize"
    assert meta["token_endpoint"] == f"{issuer}/oauth/token"
    assert meta["registration_endpoint"] == f"{issuer}/oauth/register"
    assert meta["revocation_endpoint"] == f"{issuer}/oauth/revoke"
    assert meta["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
    ]
    assert meta["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert meta["scopes_supported"] == list(SCOPES_SUPPORTED)
    assert "ledger:post" not in meta["scopes_supported"]  # never delegable
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["client_id_metadata_document_supported"] is True


def test_each_company_mcp_url_has_protected_resource_metadata_naming_exactly_that_url(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    slug = tenant.company.slug
    url = f"{live_server.url}/.well-known/oauth-protected-resource/mcp/{slug}"
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    meta = response.json()
    assert meta["resource"] == f"{live_server.url}/mcp/{slug}"
    assert meta["authorization_servers"] == [live_server.url]
    assert meta["bearer_methods_supported"] == ["header"]
    assert meta["scopes_supported"] == list(SCOPES_SUPPORTED)
    assert tenant.company.name in meta["resource_name"]


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]
)
def test_the_generic_mcp_url_has_metadata_at_the_path_and_the_root_form(
    live_server: LiveServer, path: str
) -> None:
    meta = httpx.get(live_server.url + path).json()
    assert meta["resource"] == f"{live_server.url}/mcp"
    assert meta["authorization_servers"] == [live_server.url]


def test_an_unknown_company_has_no_metadata_and_no_mcp_url(live_server: LiveServer) -> None:
    prm = httpx.get(f"{live_server.url}/.well-known/oauth-protected-resource/mcp/no-such-co")
    assert prm.status_code == 404 and prm.json()["error"] == "not_found"
    mcp = httpx.post(f"{live_server.url}/mcp/no-such-co", json={})
    assert mcp.status_code == 404


def test_discovery_is_public_even_with_a_browser_session_and_answers_cors_preflights(
    live_server: LiveServer,
) -> None:
    for path in (
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource/mcp",
        "/oauth/register",
        "/oauth/token",
        "/oauth/revoke",
        "/mcp",
    ):
        response = httpx.options(
            live_server.url + path,
            headers={
                "Origin": "http://localhost:6274",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert response.status_code == 204, path
        assert response.headers["access-control-allow-origin"] == "*"
        assert "authorization" in response.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in response.headers


def test_a_page_can_read_the_token_endpoints_answer_and_a_server_gets_no_cors_headers(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    """A browser client (MCP Inspector) exchanges its code from the page, so the token
    endpoint's answer, success or error, carries CORS headers when the request has an Origin;
    a server-side client's request (no Origin) gets none."""
    cred = make_app(sessions, make_tenant(sessions), "invoices:read")
    page = {"Origin": "http://localhost:6274"}
    issued = fetch_token(live_server.url, cred, headers=page)
    assert issued.status_code == 200 and issued.headers["access-control-allow-origin"] == "*"
    refused = httpx.post(
        f"{live_server.url}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": cred.client_id},
        headers=page,
    )
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "*"
    server = fetch_token(live_server.url, cred)
    assert server.status_code == 200 and "access-control-allow-origin" not in server.headers


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_company_mcp_url_without_a_token_answers_401_with_the_discovery_challenge(
    live_server: LiveServer, sessions: sessionmaker[Session], method: str
) -> None:
    slug = make_tenant(sessions).company.slug
    response = httpx.request(method, f"{live_server.url}/mcp/{slug}", json={"jsonrpc": "2.0"})
    assert response.status_code == 401
    params = _challenge(response)
    assert params == {
        "resource_metadata": f"{live_server.url}/.well-known/oauth-protected-resource/mcp/{slug}",
        "scope": READ_SCOPES,
    }
    assert "www-authenticate" in response.headers["access-control-expose-headers"].lower()
    # The metadata the challenge names is there.
    assert httpx.get(params["resource_metadata"]).status_code == 200


def test_the_generic_mcp_url_challenge_names_the_generic_metadata(live_server: LiveServer) -> None:
    response = httpx.post(f"{live_server.url}/mcp", json={})
    assert response.status_code == 401
    assert _challenge(response)["resource_metadata"] == (
        f"{live_server.url}/.well-known/oauth-protected-resource/mcp"
    )


def test_a_token_bound_to_the_company_mcp_url_is_served(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    mcp_url = f"{live_server.url}/mcp/{tenant.company.slug}"
    cred = make_app(sessions, tenant, "invoices:read")
    token = fetch_token(live_server.url, cred, resource=mcp_url).json()["access_token"]
    response = httpx.post(
        mcp_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-11-25",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


def test_a_token_for_company_a_is_refused_at_company_b_mcp_url(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    a, b = make_tenant(sessions), make_tenant(sessions)
    cred = make_app(sessions, a, "invoices:read")
    a_url = f"{live_server.url}/mcp/{a.company.slug}"
    token = fetch_token(live_server.url, cred, resource=a_url).json()["access_token"]
    response = httpx.post(
        f"{live_server.url}/mcp/{b.company.slug}",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    params = _challenge(response)
    assert params["error"] == "invalid_token"
    assert params["resource_metadata"].endswith(f"/mcp/{b.company.slug}")


def test_a_token_without_a_resource_is_refused_at_an_mcp_url(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant, "invoices:read")
    token = fetch_token(live_server.url, cred).json()["access_token"]  # no resource: REST only
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{live_server.url}/api/v1/me", headers=bearer).status_code == 200
    for url in (f"{live_server.url}/mcp/{tenant.company.slug}", f"{live_server.url}/mcp"):
        response = httpx.post(url, json={}, headers=bearer)
        assert response.status_code == 401, url
        assert _challenge(response)["error"] == "invalid_token"
    rows = wait_for_activity(
        sessions,
        lambda a: (
            a.event == "appconnect:request:refused" and a.details.get("reason") == "no_resource"
        ),
        2,
    )
    assert sum(r.occurrences for r in rows) == 2


def test_a_token_for_the_rest_api_is_refused_at_an_mcp_url_and_garbage_gets_the_challenge(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant, "invoices:read")
    rest = fetch_token(live_server.url, cred, resource=f"{live_server.url}/api/v1")
    token = rest.json()["access_token"]
    mcp_url = f"{live_server.url}/mcp/{tenant.company.slug}"
    refused = httpx.post(mcp_url, json={}, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and _challenge(refused)["error"] == "invalid_token"
    garbage = httpx.post(mcp_url, json={}, headers={"Authorization": "Bearer nlat_garbage"})
    assert garbage.status_code == 401 and _challenge(garbage)["error"] == "invalid_token"
    assert "nlat_garbage" not in garbage.text
    basic = httpx.post(mcp_url, json={}, headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert basic.status_code == 401 and "error" not in _challenge(basic)
