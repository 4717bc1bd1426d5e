"""The token endpoint over real HTTP: client_credentials, RFC 6749 errors, activity, revocation."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import apps
from newledger.appconnect.auth import authenticate_bearer
from newledger.appconnect.models import App
from newledger.audit.models import Activity
from newledger.errors import AuthenticationFailed
from newledger.identity.permissions import Permission
from tests.conftest import LiveServer
from tests.support.appconnect import (
    basic,
    failures,
    fetch_token,
    get_app_row,
    make_app,
    make_tenant,
    server_key,
    token_for,
)

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")


def test_a_token_is_issued_with_client_secret_basic(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    response = fetch_token(live_server.url, cred)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith("nlat_")
    assert body["expires_in"] == 900
    assert body["scope"] == "invoices:draft invoices:read reports:read"


def test_a_token_is_issued_with_client_secret_post(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    response = httpx.post(
        f"{live_server.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": cred.client_id,
            "client_secret": cred.secret,
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"].startswith("nlat_")


def test_two_client_authentication_methods_at_once_are_refused(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    response = httpx.post(
        f"{live_server.url}/oauth/token",
        data={"grant_type": "client_credentials", "client_secret": cred.secret},
        headers=basic(cred.client_id, cred.secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlibs_client_credentials_client_gets_a_working_token(
    live_server: LiveServer, sessions: sessionmaker[Session], method: str
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    with OAuth2Client(
        cred.client_id, cred.secret, token_endpoint_auth_method=method, scope="invoices:read"
    ) as client:
        token = client.fetch_token(
            f"{live_server.url}/oauth/token", grant_type="client_credentials"
        )
    assert token["scope"] == "invoices:read"
    with sessions() as session:
        actor = authenticate_bearer(session, token["access_token"])
    assert actor.type == "app"
    assert actor.app_id == cred.app_id
    assert actor.permissions == {Permission.INVOICES_READ}


def test_a_wrong_secret_gets_invalid_client_and_is_recorded_without_the_secret(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    other = make_app(sessions, tenant, name="Other")  # a well-formed secret that is not cred's
    response = fetch_token(live_server.url, cred, secret=other.secret)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert response.json()["error"] == "invalid_client"
    assert response.headers["cache-control"] == "no-store"
    [row] = failures(sessions, cred.client_id)
    with sessions() as session:
        assert row.details["reason"] == "wrong_secret"
        assert row.company_id == tenant.company.id
        assert row.subject_id == cred.app_id
        everything = " ".join(repr(a.details) for a in session.scalars(select(Activity)))
    assert other.secret not in everything
    assert cred.secret not in everything


def test_a_mistyped_secret_is_caught_by_its_checksum(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    typo = cred.secret[:-8] + ("A" if cred.secret[-8] != "A" else "B") + cred.secret[-7:]
    response = fetch_token(live_server.url, cred, secret=typo)
    assert response.status_code == 401
    [row] = failures(sessions, cred.client_id)
    assert row.details["reason"] == "malformed_secret"
    # Attributed to the app and its company, although the secret was refused before any read.
    assert (row.company_id, row.subject_id) == (tenant.company.id, cred.app_id)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("revoke", "app_revoked"),
        ("delete", "app_deleted"),
        ("expire", "app_expired"),
    ],
)
def test_a_revoked_deleted_or_expired_app_gets_invalid_client(
    live_server: LiveServer, sessions: sessionmaker[Session], change: str, reason: str
) -> None:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    with sessions.begin() as session:
        actor = tenant.actor(session)
        if change == "revoke":
            apps.revoke_app(session, actor, cred.client_id)
        elif change == "delete":
            apps.delete_app(session, actor, cred.client_id)
        else:
            past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            session.execute(update(App).where(App.id == cred.app_id).values(expires_at=past))
    response = fetch_token(live_server.url, cred)
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed",
    }
    [row] = failures(sessions, cred.client_id)
    assert row.details["reason"] == reason
    assert cred.secret not in repr(row.details)


def test_a_scope_narrows_the_token(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    response = fetch_token(live_server.url, cred, scope="reports:read")
    assert response.json()["scope"] == "reports:read"
    with sessions() as session:
        actor = authenticate_bearer(session, response.json()["access_token"])
    assert actor.permissions == {Permission.REPORTS_READ}


@pytest.mark.parametrize("scope", ["ledger:post", "bank:read", "no-such-scope", "invoices:read x"])
def test_an_unknown_or_undelegated_scope_gets_invalid_scope(
    live_server: LiveServer, sessions: sessionmaker[Session], scope: str
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    response = fetch_token(live_server.url, cred, scope=scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_an_empty_scope_means_everything_delegated(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    cred = make_app(sessions, make_tenant(sessions), "bank:read")
    assert fetch_token(live_server.url, cred, scope="").json()["scope"] == "bank:read"


@pytest.mark.parametrize(
    ("data", "content_type", "error"),
    [
        ({"grant_type": "password"}, None, "unsupported_grant_type"),
        ({}, None, "invalid_request"),
        (
            {"grant_type": "client_credentials"},
            "application/json",
            "invalid_request",
        ),
    ],
)
def test_malformed_requests_get_rfc6749_errors(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    data: dict[str, str],
    content_type: str | None,
    error: str,
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    headers = basic(cred.client_id, cred.secret)
    if content_type:
        headers["Content-Type"] = content_type
        response = httpx.post(f"{live_server.url}/oauth/token", json=data, headers=headers)
    else:
        response = httpx.post(f"{live_server.url}/oauth/token", data=data, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def test_a_repeated_parameter_is_refused(live_server: LiveServer) -> None:
    response = httpx.post(
        f"{live_server.url}/oauth/token",
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_issuing_a_token_marks_the_app_used(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    token_for(live_server.url, cred)
    with sessions() as session:
        first = get_app_row(session, cred.client_id).last_used_at
    assert first is not None
    token_for(live_server.url, cred)  # within the minute: no second write
    with sessions() as session:
        assert get_app_row(session, cred.client_id).last_used_at == first


def test_rotation_with_grace_keeps_the_old_secret_for_the_grace_period(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    old_token = token_for(live_server.url, cred)
    with sessions.begin() as session:
        _, new_secret = apps.rotate_secret(
            session, tenant.actor(session), cred.client_id, grace_seconds=3600
        )
    assert fetch_token(live_server.url, cred).status_code == 200
    assert fetch_token(live_server.url, cred, secret=new_secret).status_code == 200
    with sessions() as session:
        authenticate_bearer(session, old_token)  # planned rotation: current tokens keep working
    with sessions.begin() as session:  # the grace period ends
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.execute(
            update(App).where(App.id == cred.app_id).values(previous_secret_expires_at=past)
        )
    assert fetch_token(live_server.url, cred).status_code == 401
    assert fetch_token(live_server.url, cred, secret=new_secret).status_code == 200


def test_rotation_without_grace_kills_the_old_secret_and_its_tokens_at_once(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    old_token = token_for(live_server.url, cred)
    with sessions.begin() as session:
        _, new_secret = apps.rotate_secret(session, tenant.actor(session), cred.client_id)
    assert fetch_token(live_server.url, cred).status_code == 401
    assert fetch_token(live_server.url, cred, secret=new_secret).status_code == 200
    with sessions() as session, pytest.raises(AuthenticationFailed):
        authenticate_bearer(session, old_token)


def test_a_token_revoked_at_the_revocation_endpoint_is_refused_on_the_next_request(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    token, other_token = token_for(live_server.url, cred), token_for(live_server.url, cred)
    response = httpx.post(
        f"{live_server.url}/oauth/revoke",
        data={"token": token, "token_type_hint": "access_token"},
        headers=basic(cred.client_id, cred.secret),
    )
    assert response.status_code == 200
    with sessions() as session:
        with pytest.raises(AuthenticationFailed) as refused:
            authenticate_bearer(session, token)
        assert refused.value.code == "invalid_token"
        authenticate_bearer(session, other_token)  # only that one token
        revoked = session.scalar(
            select(Activity).where(Activity.event == "appconnect:token:revoked")
        )
    assert revoked is not None and token not in repr(revoked.details)


def test_a_client_cannot_revoke_another_clients_token(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    tenant = make_tenant(sessions)
    mine, theirs = make_app(sessions, tenant), make_app(sessions, tenant, name="Theirs")
    token = token_for(live_server.url, theirs)
    response = httpx.post(
        f"{live_server.url}/oauth/revoke",
        data={"token": token},
        headers=basic(mine.client_id, mine.secret),
    )
    assert response.status_code == 400
    with sessions() as session:
        authenticate_bearer(session, token)
    garbage = httpx.post(
        f"{live_server.url}/oauth/revoke",
        data={"token": "nlat_not-a-token"},
        headers=basic(mine.client_id, mine.secret),
    )
    assert garbage.status_code == 200  # RFC 7009 §2.2


def test_an_app_that_expired_is_recorded_as_expired_once(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    cred = make_app(sessions, make_tenant(sessions))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with sessions.begin() as session:
        session.execute(update(App).where(App.id == cred.app_id).values(expires_at=past))
    for _ in range(3):
        assert fetch_token(live_server.url, cred).status_code == 401
    [row] = failures(sessions, cred.client_id, total=3)
    assert row.occurrences == 3  # one coalesced row for the three refusals
    with sessions() as session:
        expired = session.scalars(
            select(Activity).where(
                Activity.event == "appconnect:app:expired", Activity.subject_id == cred.app_id
            )
        ).all()
    assert len(expired) == 1
