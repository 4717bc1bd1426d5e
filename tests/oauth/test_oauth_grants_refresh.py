"""Refresh tokens at ``/oauth/token``: rotated on every use, bound to their client, a reused one
ends the whole connection, two concurrent uses leave exactly one winner, idle ones expire."""

from __future__ import annotations

import functools

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.models import RefreshToken
from newledger.appconnect.tokens import parse_access_token
from newledger.db import utcnow
from newledger.identity.models import Membership
from newledger.identity.permissions import Permission
from tests.conftest import LiveServer
from tests.support.appconnect import Tenant, make_tenant
from tests.support.oauth_grants import (
    Client,
    activity,
    at_once,
    connection_of,
    consent,
    make_client,
    redeem,
    refresh,
)


@pytest.fixture
def tenant(sessions: sessionmaker[Session]) -> Tenant:
    return make_tenant(sessions)


def connected(
    server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant, client: Client
) -> dict[str, str]:
    resource = f"{server.url}/mcp/{tenant.company.slug}"
    response = redeem(server.url, client, consent(sessions, tenant, client, resource))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_refresh_token_rotates_on_every_use(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    first = connected(live_server, sessions, tenant, client)
    second = refresh(live_server.url, client, first["refresh_token"])
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    assert body["refresh_token"].startswith("nlrt_")
    claims = parse_access_token(body["access_token"])
    assert claims.kind == "conn"
    assert claims.resource == parse_access_token(first["access_token"]).resource
    third = refresh(live_server.url, client, body["refresh_token"])
    assert third.status_code == 200
    with sessions() as session:
        tokens = list(session.scalars(select(RefreshToken).order_by(RefreshToken.id)))
    assert [t.used_at is not None for t in tokens] == [True, True, False]
    assert all(first["refresh_token"] not in t.token_digest for t in tokens)  # digests only
    assert connection_of(sessions, client).last_used_at is not None


def test_a_scope_may_narrow_the_access_token_but_the_family_keeps_its_scope(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    first = connected(live_server, sessions, tenant, client)
    narrowed = refresh(live_server.url, client, first["refresh_token"], scope="reports:read")
    assert narrowed.json()["scope"] == "reports:read"
    wider = refresh(
        live_server.url, client, narrowed.json()["refresh_token"], scope="invoices:draft"
    )
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"
    whole = refresh(live_server.url, client, narrowed.json()["refresh_token"])
    assert whole.json()["scope"] == "invoices:read reports:read"


def test_a_replayed_refresh_token_revokes_the_whole_family(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    first = connected(live_server, sessions, tenant, client)
    rotated = refresh(live_server.url, client, first["refresh_token"]).json()
    replayed = refresh(live_server.url, client, first["refresh_token"])
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"
    connection = connection_of(sessions, client)
    assert connection.revoked_reason == "refresh_token_reuse"
    # The newest refresh token, held by whoever rotated first, is dead too.
    assert refresh(live_server.url, client, rotated["refresh_token"]).status_code == 400
    [reuse] = activity(sessions, "appconnect:connection:refresh_reuse")
    assert (reuse.subject_id, reuse.company_id) == (connection.id, tenant.company.id)
    assert first["refresh_token"] not in str(reuse.details)


def test_a_refresh_token_used_by_another_client_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client, other = make_client(sessions), make_client(sessions, name="Evil")
    first = connected(live_server, sessions, tenant, client)
    stolen = refresh(live_server.url, other, first["refresh_token"])
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    assert refresh(live_server.url, client, first["refresh_token"]).status_code == 200


def test_of_two_concurrent_uses_of_one_refresh_token_exactly_one_wins(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    for _round in range(3):
        client = make_client(sessions)
        first = connected(live_server, sessions, tenant, client)
        use = functools.partial(refresh, live_server.url, client, first["refresh_token"])
        assert at_once(use, use) == [200, 400]
        # The loser presented a token already used: the family is revoked.
        assert connection_of(sessions, client).revoked_reason == "refresh_token_reuse"


def test_an_idle_refresh_token_expires(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    first = connected(live_server, sessions, tenant, client)
    with sessions.begin() as session:
        session.execute(update(RefreshToken).values(expires_at=utcnow()))
    expired = refresh(live_server.url, client, first["refresh_token"])
    assert expired.status_code == 400
    assert expired.json()["error_description"] == "The refresh token expired"


def test_a_refresh_narrows_to_what_the_user_still_holds_and_ends_when_they_leave(
    live_server: LiveServer, sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    client = make_client(sessions)
    resource = f"{live_server.url}/mcp/{tenant.company.slug}"
    permissions = (Permission.INVOICES_READ, Permission.INVOICES_DRAFT)
    c = consent(sessions, tenant, client, resource, permissions=permissions)
    first = redeem(live_server.url, client, c).json()
    assert first["scope"] == "invoices:draft invoices:read"
    mine = Membership.user_id == tenant.accountant.id
    with sessions.begin() as session:  # demoted to viewer: reads, no longer drafts
        session.execute(update(Membership).where(mine).values(role="viewer"))
    narrowed = refresh(live_server.url, client, first["refresh_token"])
    assert narrowed.json()["scope"] == "invoices:read"
    with sessions.begin() as session:  # removed from the company
        session.execute(delete(Membership).where(mine))
    ended = refresh(live_server.url, client, narrowed.json()["refresh_token"])
    assert ended.status_code == 400
    assert ended.json()["error"] == "invalid_grant"
