"""RFC 7591 dynamic registration at ``POST /oauth/register``, as ChatGPT, Claude and MCP Inspector
use it, every redirect URI the issue says must be refused, and how a registered client then
authenticates at the token endpoint."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import redirect_uris
from newledger.appconnect.clients import redirect_uris_of
from newledger.appconnect.models import OAuthClient
from newledger.audit.models import Activity
from tests.conftest import LiveServer
from tests.support.appconnect import server_key
from tests.support.oauth import CHATGPT, CLAUDE, INSPECTOR, INSPECTOR_DEBUG, register

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")

APP = "https://app.example.com/oauth/callback"


@pytest.fixture(scope="module")
def server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Many registrations from one address: a limit these tests do not reach (the limit itself
    is tested with a server of its own)."""
    live = LiveServer(
        database_url,
        tmp_path_factory.mktemp("serve-register"),
        {"NEWLEDGER_REGISTRATION_RATE_LIMIT_PER_HOUR": "1000"},
    )
    yield live
    live.stop()


def _client(sessions: sessionmaker[Session], client_id: str) -> OAuthClient:
    with sessions() as session:
        client = session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
        assert client is not None
        return client


# -------------------------------------------------------------------------------- interop


@pytest.mark.parametrize(
    ("body", "application_type", "confidential"),
    [(CHATGPT, "web", False), (CLAUDE, "web", True), (INSPECTOR, "native", False)],
    ids=["chatgpt", "claude", "inspector"],
)
def test_real_mcp_clients_register_with_their_redirect_uris(
    server: LiveServer,
    sessions: sessionmaker[Session],
    body: dict[str, Any],
    application_type: str,
    confidential: bool,
) -> None:
    response = register(server.url, body)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    out = response.json()
    assert out["client_id"].startswith("nloc_")
    assert out["redirect_uris"] == body["redirect_uris"]
    assert out["client_name"] == body["client_name"]
    assert out["application_type"] == application_type
    assert out["token_endpoint_auth_method"] == body["token_endpoint_auth_method"]
    assert out["grant_types"] == ["authorization_code", "refresh_token"]
    assert out["response_types"] == ["code"]
    assert ("client_secret" in out) is confidential
    client = _client(sessions, out["client_id"])
    assert client.kind == "dynamic" and client.company_id is None
    assert redirect_uris_of(client) == body["redirect_uris"]
    for uri in body["redirect_uris"]:
        assert redirect_uris.matches(redirect_uris_of(client), uri)
    if confidential:
        assert out["client_secret"].startswith("nlcs_")
        assert out["client_secret_expires_at"] == 0
        assert client.secret_digest and out["client_secret"] not in client.secret_digest
    with sessions() as session:
        row = session.scalar(
            select(Activity).where(
                Activity.event == "appconnect:oauth_client:registered",
                Activity.subject_id == client.id,
            )
        )
        assert row is not None and row.details["client_id"] == out["client_id"]
        assert out.get("client_secret", "nlcs_") not in str(row.details)


def test_the_inspector_loopback_redirect_matches_on_any_port(
    server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    out = register(server.url, INSPECTOR_DEBUG).json()
    assert out["application_type"] == "native"
    registered = redirect_uris_of(_client(sessions, out["client_id"]))
    assert redirect_uris.matches(registered, "http://127.0.0.1:6276/oauth/callback")
    assert redirect_uris.matches(registered, "http://127.0.0.1:50123/oauth/callback")  # RFC 8252
    assert not redirect_uris.matches(registered, "http://localhost:6276/oauth/callback")


# ------------------------------------------------------------------- negative redirect URIs


@pytest.mark.parametrize(
    "uri",
    [
        "https://user@app.example.com/oauth/callback",  # @ userinfo
        "https://app.example.com@evil.test/oauth/callback",  # @ userinfo, another host
        "https://app.example.com/oauth/../callback",  # path traversal
        "https://app.example.com/oauth/%2e%2e/callback",  # encoded path traversal
        "http://localhost.evil.test/oauth/callback",  # not loopback, so not plain http
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "https://app.example.com/oauth/callback#fragment",
        "https://*.example.com/oauth/callback",  # wildcard
        "ftp://app.example.com/callback",
        "app.example.com/callback",
        "",
    ],
)
def test_a_bad_redirect_uri_cannot_be_registered(server: LiveServer, uri: str) -> None:
    response = register(server.url, {**CHATGPT, "redirect_uris": [APP, uri]})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_redirect_uri"
    assert response.json()["error_description"]


@pytest.mark.parametrize(
    "presented",
    [
        "https://app.example.com/oauth/callback/evil",  # registered one is a prefix of it
        "https://app.example.com/oauth/callbac",  # a prefix of the registered one
        "https://app.example.com.evil.test/oauth/callback",  # host prefix
        "https://APP.example.com/oauth/callback",  # case
        "https://app.example.com/OAuth/callback",  # case in the path
        "https://app.example.com/oauth/callback/",  # trailing slash
        "https://user@app.example.com/oauth/callback",  # @ userinfo
        "https://app.example.com/oauth/callback/../../evil",  # path traversal
        "http://localhost.evil.test/oauth/callback",
        "https://app.example.com/oauth/callback#x",
        "javascript:alert(1)//https://app.example.com/oauth/callback",
        "data:text/html,https://app.example.com/oauth/callback",
    ],
)
def test_a_redirect_uri_that_differs_from_the_registered_one_does_not_match(
    server: LiveServer, sessions: sessionmaker[Session], presented: str
) -> None:
    out = register(server.url, {**CHATGPT, "redirect_uris": [APP]}).json()
    registered = redirect_uris_of(_client(sessions, out["client_id"]))
    assert redirect_uris.matches(registered, APP)
    assert not redirect_uris.matches(registered, presented)


def test_a_loopback_lookalike_is_not_loopback_for_a_native_client(
    server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    out = register(server.url, INSPECTOR).json()
    registered = redirect_uris_of(_client(sessions, out["client_id"]))
    assert not redirect_uris.matches(registered, "http://localhost.evil.test:6274/oauth/callback")
    assert not redirect_uris.matches(registered, "http://localhost:6274/oauth/callback/../x")


# ------------------------------------------------------------------------------ metadata rules


def test_unknown_scopes_are_dropped_not_fatal(server: LiveServer) -> None:
    scope = "openid invoices:read claudeai ledger:post"
    response = register(server.url, {**CHATGPT, "scope": scope})
    assert response.status_code == 201, response.text
    assert response.json()["scope"] == "invoices:read"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"application_type": "web", "redirect_uris": ["http://127.0.0.1:8080/cb"]}, "redirect"),
        ({"application_type": "web", "redirect_uris": ["https://localhost/cb"]}, "redirect"),
        ({"application_type": "desktop"}, "metadata"),
        ({"grant_types": ["client_credentials"]}, "metadata"),
        ({"grant_types": ["authorization_code", "implicit"]}, "metadata"),
        ({"grant_types": ["refresh_token"]}, "metadata"),
        ({"response_types": ["token"]}, "metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "metadata"),
        ({"logo_uri": "javascript:alert(1)"}, "metadata"),
        ({"client_uri": "http://example.com"}, "metadata"),
        ({"client_name": 42}, "metadata"),
        ({"redirect_uris": []}, "redirect"),
        ({"redirect_uris": "https://app.example.com/cb"}, "redirect"),
        ({"redirect_uris": [f"https://app.example.com/cb{i}" for i in range(11)]}, "redirect"),
    ],
)
def test_metadata_outside_the_rules_gets_an_rfc7591_error(
    server: LiveServer, sessions: sessionmaker[Session], change: dict[str, Any], error: str
) -> None:
    with sessions() as session:
        before = len(list(session.scalars(select(OAuthClient.id))))
    response = register(server.url, {**CHATGPT, **change})
    assert response.status_code == 400, response.text
    expected = "invalid_redirect_uri" if error == "redirect" else "invalid_client_metadata"
    assert response.json()["error"] == expected
    with sessions() as session:  # nothing half-written
        assert len(list(session.scalars(select(OAuthClient.id)))) == before


def test_application_type_native_may_use_https_and_is_inferred_for_loopback(
    server: LiveServer,
) -> None:
    native = register(server.url, {**CHATGPT, "application_type": "native"})
    assert native.status_code == 201 and native.json()["application_type"] == "native"
    inferred = register(server.url, {**INSPECTOR, "redirect_uris": ["http://[::1]:9000/cb"]})
    assert inferred.json()["application_type"] == "native"


def test_a_client_that_names_no_method_is_confidential_per_rfc7591(server: LiveServer) -> None:
    body = {"redirect_uris": [APP], "client_name": "Quiet client"}
    out = register(server.url, body).json()
    assert out["token_endpoint_auth_method"] == "client_secret_basic"
    assert out["client_secret"].startswith("nlcs_")


def test_a_nameless_client_is_named_after_its_redirect_host(server: LiveServer) -> None:
    out = register(server.url, {"redirect_uris": [APP], "token_endpoint_auth_method": "none"})
    assert out.json()["client_name"] == "app.example.com"


def test_control_characters_in_a_name_are_removed(server: LiveServer) -> None:
    out = register(server.url, {**CHATGPT, "client_name": "Chat\x00GPT\n\u0085Pro"}).json()
    assert out["client_name"] == "Chat GPT Pro"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b"redirect_uris=https://a.example/cb", "application/x-www-form-urlencoded", 400),
        (b'{"client_name": "' + b"x" * 20_000 + b'"}', "application/json", 413),
    ],
)
def test_a_malformed_registration_gets_a_json_error(
    server: LiveServer, content: bytes, content_type: str, status: int
) -> None:
    response = httpx.post(
        f"{server.url}/oauth/register", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["error"] == "invalid_client_metadata"


def test_registration_is_only_a_post(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/oauth/register").status_code == 405


# --------------------------------------------------------------------------- rate limit


def test_registrations_are_rate_limited_per_address(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    live = LiveServer(
        database_url,
        tmp_path_factory.mktemp("serve-register-limit"),
        {"NEWLEDGER_REGISTRATION_RATE_LIMIT_PER_HOUR": "3"},
    )
    try:
        statuses = [register(live.url, CHATGPT).status_code for _ in range(3)]
        assert statuses == [201, 201, 201]
        refused = register(live.url, CHATGPT)
        assert refused.status_code == 429
        assert refused.json()["error"] == "temporarily_unavailable"
        assert int(refused.headers["retry-after"]) > 0
        # Bad requests count too: the limit is on attempts, not on successes.
        assert register(live.url, {"redirect_uris": []}).status_code == 429
    finally:
        live.stop()


# ------------------------------------------------------------------ token endpoint auth


def _token(server: LiveServer, data: dict[str, str], **headers: str) -> httpx.Response:
    return httpx.post(f"{server.url}/oauth/token", data=data, headers=headers)


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


CODE_GRANT = {"grant_type": "authorization_code", "code": "nlac_x", "code_verifier": "v" * 43}


def test_a_public_client_authenticates_with_its_client_id_alone(server: LiveServer) -> None:
    client_id = register(server.url, CHATGPT).json()["client_id"]
    passed = _token(server, {**CODE_GRANT, "client_id": client_id})
    # Past client authentication: whatever the grant says next, it is not invalid_client.
    assert passed.status_code == 400 and passed.json()["error"] != "invalid_client"
    with_secret = _token(server, {**CODE_GRANT, "client_id": client_id, "client_secret": "x"})
    assert with_secret.status_code == 401 and with_secret.json()["error"] == "invalid_client"


def test_a_confidential_client_must_send_its_secret(server: LiveServer) -> None:
    out = register(server.url, CLAUDE).json()
    client_id, secret = out["client_id"], out["client_secret"]
    wrong = secret[:-1] + ("y" if secret.endswith("x") else "x")
    for data, headers in [
        ({**CODE_GRANT, "client_id": client_id}, {}),
        ({**CODE_GRANT, "client_id": client_id, "client_secret": wrong}, {}),
        (CODE_GRANT, {"Authorization": _basic(client_id, "nlcs_" + "A" * 49)}),
    ]:
        refused = _token(server, data, **headers)
        assert refused.status_code == 401, data
        assert refused.json()["error"] == "invalid_client"
    for data, headers in [
        ({**CODE_GRANT, "client_id": client_id, "client_secret": secret}, {}),
        (CODE_GRANT, {"Authorization": _basic(client_id, secret)}),
    ]:
        passed = _token(server, data, **headers)
        assert passed.status_code == 400 and passed.json()["error"] != "invalid_client"


def test_an_oauth_client_may_not_use_client_credentials(server: LiveServer) -> None:
    out = register(server.url, CLAUDE).json()
    response = _token(
        server,
        {"grant_type": "client_credentials"},
        Authorization=_basic(out["client_id"], out["client_secret"]),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_an_unknown_or_purged_client_is_an_invalid_client(server: LiveServer) -> None:
    unknown = _token(server, {**CODE_GRANT, "client_id": "nloc_AAAAAAAAAAAAAAAAA"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"


# ------------------------------------------------------------------------------- clean-up


def test_clients_that_never_reach_consent_are_cleaned_up_by_later_registrations(
    server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    stale = register(server.url, CHATGPT).json()["client_id"]
    consented = register(server.url, CHATGPT).json()["client_id"]
    fresh = register(server.url, CHATGPT).json()["client_id"]
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
    with sessions.begin() as session:
        session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id.in_((stale, consented)))
            .values(created_at=old)
        )
        session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id == consented)
            .values(first_consented_at=old)
        )
    register(server.url, CHATGPT)  # each registration removes a batch of stale ones
    with sessions() as session:
        left = set(session.scalars(select(OAuthClient.client_id)))
        assert stale not in left
        assert {consented, fresh} <= left
        purge = session.scalar(
            select(Activity).where(Activity.event == "appconnect:oauth_client:deleted")
        )
        assert purge is not None and purge.details["unconsented_clients"] >= 1
    # A purged client's id no longer authenticates.
    gone = _token(server, {**CODE_GRANT, "client_id": stale})
    assert gone.status_code == 401 and gone.json()["error"] == "invalid_client"


def test_the_cli_purges_every_unconsented_client(
    server: LiveServer, sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    ids = [register(server.url, CHATGPT).json()["client_id"] for _ in range(3)]
    with sessions.begin() as session:
        session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id.in_(ids[:2]))
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
        )
    env = {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": database_url,
        "NEWLEDGER_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", "apps", "purge-oauth-clients"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "removed 2 unconsented OAuth clients" in done.stdout
    with sessions() as session:
        assert set(session.scalars(select(OAuthClient.client_id))) == {ids[2]}
