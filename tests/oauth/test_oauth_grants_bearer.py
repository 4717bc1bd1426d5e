"""A connection's access token at the resource it was issued for, and nowhere else; a deleted
connection's token is refused on the next request; ``/oauth/revoke`` for OAuth clients.

Tokens come from the running server; they are checked by ``authenticate_bearer``, the one
check every MCP and REST request goes through."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import audience, connections
from newledger.appconnect.auth import authenticate_bearer
from newledger.errors import AuthenticationFailed
from newledger.identity.members import remove_member
from newledger.identity.models import Membership
from newledger.identity.permissions import Permission
from newledger.identity.services import user_actor
from tests.conftest import LiveServer
from tests.support.appconnect import Tenant, fetch_token, make_app, make_tenant
from tests.support.oauth_grants import (
    Client,
    connection_of,
    consent,
    make_client,
    redeem,
    refresh,
    revoke,
)


@pytest.fixture
def tenant(sessions: sessionmaker[Session]) -> Tenant:
    return make_tenant(sessions)


def connect(
    server: LiveServer,
    sessions: sessionmaker[Session],
    tenant: Tenant,
    client: Client,
    resource: str,
) -> dict[str, str]:
    response = redeem(server.url, client, consent(sessions, tenant, client, resource))
    assert response.status_code == 200, response.text
    return dict(response.json())


def check(
    sessions: sessionmaker[Session], token: str, resource: str, company_id: int | None = None
) -> str:
    """The actor's type and label, or the refusal's reason."""
    with sessions.begin() as session:
        try:
            actor = authenticate_bearer(session, token, resource=resource, company_id=company_id)
        except AuthenticationFailed as exc:
            return f"refused: {getattr(exc, 'reason', exc.message)}"
    return f"{actor.type}: {sorted(actor.permissions)}"


def test_a_connection_token_acts_as_the_connection_at_its_company_mcp_url(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    url = audience.company_mcp_url(tenant.company.slug)
    token = connect(live_server, sessions, tenant, client, url)["access_token"]
    with sessions.begin() as session:
        actor = authenticate_bearer(session, token, resource=url, company_id=tenant.company.id)
    assert actor.type == "connection"
    assert actor.connection_id == connection_of(sessions, client).id
    assert actor.user_id == tenant.accountant.id
    assert actor.permissions == {Permission.INVOICES_READ, Permission.REPORTS_READ}
    assert actor.label.startswith("Claude")
    # Not at the REST API, nor at the generic MCP URL: the audience is exactly one URL.
    assert check(sessions, token, audience.rest_api_url()) == "refused: foreign_resource"
    assert check(sessions, token, audience.generic_mcp_url()) == "refused: foreign_resource"


def test_a_token_for_company_a_is_refused_at_company_b_resource(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    other = make_tenant(sessions)
    client = make_client(sessions)
    url_a = audience.company_mcp_url(tenant.company.slug)
    url_b = audience.company_mcp_url(other.company.slug)
    token = connect(live_server, sessions, tenant, client, url_a)["access_token"]
    assert check(sessions, token, url_b, other.company.id) == "refused: foreign_company"
    assert check(sessions, token, url_b) == "refused: foreign_resource"


def test_a_generic_url_token_acts_in_the_company_chosen_at_consent(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    generic = audience.generic_mcp_url()
    token = connect(live_server, sessions, tenant, client, generic)["access_token"]
    with sessions.begin() as session:
        actor = authenticate_bearer(session, token, resource=generic)
    assert actor.company_id == tenant.company.id


def test_a_token_without_a_resource_is_refused_at_an_mcp_url(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    app = make_app(sessions, tenant)
    token = fetch_token(live_server.url, app).json()["access_token"]
    url = audience.company_mcp_url(tenant.company.slug)
    assert check(sessions, token, url, tenant.company.id) == "refused: no_resource"
    assert check(sessions, token, audience.generic_mcp_url()) == "refused: no_resource"
    assert check(sessions, token, audience.rest_api_url()).startswith("app: ")


def test_a_deleted_connection_token_is_refused_on_the_next_request(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    url = audience.company_mcp_url(tenant.company.slug)
    pair = connect(live_server, sessions, tenant, client, url)
    assert check(sessions, pair["access_token"], url).startswith("connection: ")
    connection = connection_of(sessions, client)
    with sessions.begin() as session:
        connections.delete_connection(session, tenant.actor(session), connection.id)
    assert check(sessions, pair["access_token"], url) == "refused: stale_version"
    assert refresh(live_server.url, client, pair["refresh_token"]).status_code == 400


def test_a_client_revokes_its_access_token_and_its_refresh_token(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    url = audience.company_mcp_url(tenant.company.slug)
    pair = connect(live_server, sessions, tenant, client, url)
    assert revoke(live_server.url, client, pair["access_token"]).status_code == 200
    assert check(sessions, pair["access_token"], url) == "refused: token_revoked"
    # The refresh token still works until it is revoked; then the whole connection ends.
    rotated = refresh(live_server.url, client, pair["refresh_token"]).json()
    assert revoke(live_server.url, client, rotated["refresh_token"]).status_code == 200
    assert connection_of(sessions, client).revoked_reason == "client_revoked"
    assert check(sessions, rotated["access_token"], url) == "refused: stale_version"
    assert refresh(live_server.url, client, rotated["refresh_token"]).status_code == 400


def test_a_client_cannot_revoke_another_client_tokens(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client, other = make_client(sessions), make_client(sessions, name="Evil")
    url = audience.company_mcp_url(tenant.company.slug)
    pair = connect(live_server, sessions, tenant, client, url)
    for token in (pair["access_token"], pair["refresh_token"]):
        refused = revoke(live_server.url, other, token)
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"
    assert check(sessions, pair["access_token"], url).startswith("connection: ")
    assert connection_of(sessions, client).revoked_at is None


def test_removing_the_user_from_the_company_ends_their_connections(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    url = audience.company_mcp_url(tenant.company.slug)
    pair = connect(live_server, sessions, tenant, client, url)
    with sessions.begin() as session:
        membership = session.scalar(
            select(Membership).where(Membership.user_id == tenant.accountant.id)
        )
        assert membership is not None
        owner = user_actor(session, tenant.owner, tenant.company.id)
        remove_member(
            session, company_id=tenant.company.id, membership_id=membership.id, actor=owner
        )
    assert check(sessions, pair["access_token"], url) == "refused: stale_version"
    connection = connection_of(sessions, client)
    assert connection.revoked_reason == "user_removed"
    assert refresh(live_server.url, client, pair["refresh_token"]).status_code == 400
