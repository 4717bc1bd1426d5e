"""The authorization code grant at ``/oauth/token``, over HTTP against a running server: a code
becomes a connection with a token pair once, only for its client, its redirect URI, its PKCE
verifier and its resource."""

from __future__ import annotations

import functools

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.models import AuthorizationCode
from newledger.appconnect.tokens import parse_access_token
from newledger.db import utcnow
from tests.conftest import LiveServer
from tests.support.appconnect import Tenant, basic, make_app, make_tenant, wait_for_activity
from tests.support.oauth_grants import (
    Client,
    activity,
    at_once,
    connection_of,
    consent,
    make_client,
    pkce_pair,
    redeem,
)


@pytest.fixture
def tenant(sessions: sessionmaker[Session]) -> Tenant:
    return make_tenant(sessions)


def mcp(server: LiveServer, tenant: Tenant) -> str:
    return f"{server.url}/mcp/{tenant.company.slug}"


def test_a_code_becomes_a_connection_and_a_token_pair_bound_to_its_resource(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    c = consent(sessions, tenant, client, mcp(live_server, tenant))
    response = redeem(live_server.url, client, c)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"].startswith("nlrt_")
    assert body["scope"] == "invoices:read reports:read"
    claims = parse_access_token(body["access_token"])
    connection = connection_of(sessions, client)
    assert (claims.kind, claims.grant_id, claims.company_id) == (
        "conn",
        connection.id,
        tenant.company.id,
    )
    assert claims.resource == mcp(live_server, tenant)
    assert connection.user_id == tenant.accountant.id
    assert connection.permissions == "invoices:read reports:read"
    assert [a.subject_id for a in activity(sessions, "appconnect:connection:created")] == [
        connection.id
    ]


def test_a_confidential_client_redeems_with_its_secret_and_not_without(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions, confidential=True)
    c = consent(sessions, tenant, client, mcp(live_server, tenant))
    without = Client(client.pk, client.client_id)  # the id alone, as a public client sends it
    assert redeem(live_server.url, without, c).status_code == 401
    assert redeem(live_server.url, client, c).status_code == 200


def test_a_replayed_code_fails_and_revokes_what_the_first_redemption_issued(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    c = consent(sessions, tenant, client, mcp(live_server, tenant))
    first = redeem(live_server.url, client, c)
    assert first.status_code == 200
    second = redeem(live_server.url, client, c)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    connection = connection_of(sessions, client)
    assert connection.revoked_reason == "code_replay"
    assert connection.version == 2  # every access token of the first redemption is dead
    refreshed = httpx.post(
        f"{live_server.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first.json()["refresh_token"],
            "client_id": client.client_id,
        },
    )
    assert refreshed.status_code == 400
    [replayed] = activity(sessions, "appconnect:connection:code_replay")
    assert replayed.subject_id == connection.id
    assert replayed.company_id == tenant.company.id
    assert c.code not in str(replayed.details)


def test_a_code_redeemed_by_another_client_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client, other = make_client(sessions), make_client(sessions, name="Evil")
    c = consent(sessions, tenant, client, mcp(live_server, tenant))
    refused = redeem(live_server.url, other, c)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    # Recorded against the code's company, with the reason and no code.
    [row] = wait_for_activity(
        sessions,
        lambda a: (
            a.event == "appconnect:token:failed" and a.details.get("reason") == "code_other_client"
        ),
        1,
    )
    assert row.company_id == tenant.company.id
    assert c.code not in str(row.details)
    # The rightful client still redeems it.
    assert redeem(live_server.url, client, c).status_code == 200


def test_of_two_concurrent_redemptions_exactly_one_wins(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    for _round in range(3):
        client = make_client(sessions)
        c = consent(sessions, tenant, client, mcp(live_server, tenant))
        attempt = functools.partial(redeem, live_server.url, client, c)
        assert at_once(attempt, attempt) == [200, 400]
        # One connection was made, and the second redemption revoked it.
        assert connection_of(sessions, client).revoked_reason == "code_replay"


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"redirect_uri": "https://claude.ai/api/mcp/auth_callback/"}, "invalid_grant"),
        ({"redirect_uri": "https://claude.com/api/mcp/auth_callback"}, "invalid_grant"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"code_verifier": None}, "invalid_request"),
        ({"code_verifier": pkce_pair()[0]}, "invalid_grant"),
        ({"resource": "https://elsewhere.example/mcp"}, "invalid_target"),
        ({"code": "nlac_" + "A" * 49}, "invalid_grant"),
    ],
    ids=[
        "redirect-trailing-slash",
        "redirect-other-host",
        "redirect-missing",
        "challenge-without-verifier",
        "wrong-verifier",
        "other-resource",
        "malformed-code",
    ],
)
def test_a_code_is_refused_unless_every_binding_matches(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    tenant: Tenant,
    override: dict[str, str | None],
    error: str,
) -> None:
    client = make_client(sessions)
    c = consent(sessions, tenant, client, mcp(live_server, tenant))
    refused = redeem(live_server.url, client, c, **override)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == error
    # None of these burns the code: the client can still redeem it correctly.
    assert redeem(live_server.url, client, c).status_code == 200


def test_a_verifier_without_a_challenge_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """A PKCE downgrade: a code whose authorization request carried no challenge (the
    authorization endpoint refuses those; a row is written directly here) is never redeemed,
    whatever verifier comes with it."""
    client = make_client(sessions)
    c = consent(sessions, tenant, client, mcp(live_server, tenant), challenge="")
    refused = redeem(live_server.url, client, c)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    c = consent(sessions, tenant, client, mcp(live_server, tenant))
    with sessions.begin() as session:
        session.execute(update(AuthorizationCode).values(expires_at=utcnow()))
    refused = redeem(live_server.url, client, c)
    assert refused.status_code == 400
    assert refused.json()["error_description"] == "The authorization code expired"


def test_an_api_credential_app_cannot_redeem_a_code(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    app = make_app(sessions, tenant)
    client = make_client(sessions)
    c = consent(sessions, tenant, client, mcp(live_server, tenant))
    refused = httpx.post(
        f"{live_server.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": c.code,
            "redirect_uri": c.redirect_uri,
            "code_verifier": c.verifier,
        },
        headers=basic(app.client_id, app.secret),
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "unauthorized_client"
