"""Bearer authentication: effective permissions and immediate revocation (DESIGN §3, §4)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.appconnect import apps
from newledger.appconnect.auth import authenticate_bearer
from newledger.appconnect.models import App
from newledger.appconnect.tokens import TokenRefused, issue_access_token, parse_access_token
from newledger.config import get_settings
from newledger.errors import AuthenticationFailed
from newledger.identity.members import change_role
from newledger.identity.models import Membership, User
from newledger.identity.permissions import Permission
from newledger.keys import derive_key
from tests.support.appconnect import Credential, Tenant, make_app, make_tenant, server_key

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")

READ, DRAFT, REPORTS = Permission.INVOICES_READ, Permission.INVOICES_DRAFT, Permission.REPORTS_READ


def _token(sessions: sessionmaker[Session], cred: Credential, *scope: Permission) -> str:
    """A token exactly as the token endpoint would issue it (same module, same key)."""
    with sessions() as session:
        app = session.get(App, cred.app_id)
        assert app is not None
        token, _ = issue_access_token(
            kind="app",
            grant_id=app.id,
            grant_version=app.version,
            company_id=app.company_id,
            scope=frozenset(scope or (READ, DRAFT, REPORTS)),
        )
    return token


def _authenticate(sessions: sessionmaker[Session], token: str, **kw: int) -> Actor:
    with sessions.begin() as session:  # a request: its own unit of work
        return authenticate_bearer(session, token, **kw)


def _refused(sessions: sessionmaker[Session], token: str, **kw: int) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed) as refused:
        _authenticate(sessions, token, **kw)
    assert refused.value.code == "invalid_token"
    assert not token or token not in refused.value.message
    return refused.value


@pytest.fixture
def tenant(sessions: sessionmaker[Session]) -> Tenant:
    return make_tenant(sessions)


def test_a_token_acts_as_its_app_with_the_creators_identity(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    actor = _authenticate(sessions, _token(sessions, cred))
    assert actor.type == "app"
    assert actor.is_external
    assert actor.company_id == tenant.company.id
    assert actor.app_id == cred.app_id
    assert actor.user_id == tenant.accountant.id
    assert actor.label == "Receipt Bot"
    assert actor.permissions == {READ, DRAFT, REPORTS}


def test_effective_permissions_are_scope_and_delegation_and_the_creators_current_role(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant, "invoices:read", "reports:read")
    # A token claiming more than the app was delegated still gets only the delegated part.
    actor = _authenticate(sessions, _token(sessions, cred, READ, DRAFT, Permission.BANK_READ))
    assert actor.permissions == {READ}


def test_a_revoked_apps_token_is_refused_on_the_next_request(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    token = _token(sessions, cred)
    _authenticate(sessions, token)
    with sessions.begin() as session:
        apps.revoke_app(session, tenant.actor(session), cred.client_id)
    _refused(sessions, token)


def test_a_deleted_apps_token_is_refused_on_the_next_request(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    token = _token(sessions, cred)
    with sessions.begin() as session:
        apps.delete_app(session, tenant.actor(session), cred.client_id)
    _refused(sessions, token)


def test_an_expired_apps_token_is_refused_on_the_next_request(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    token = _token(sessions, cred)
    with sessions.begin() as session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.execute(update(App).where(App.id == cred.app_id).values(expires_at=past))
    _refused(sessions, token)


def test_restoring_an_app_does_not_resurrect_its_old_tokens(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    old = _token(sessions, cred)
    with sessions.begin() as session:
        apps.revoke_app(session, tenant.actor(session), cred.client_id)
    with sessions.begin() as session:
        apps.restore_app(session, tenant.actor(session), cred.client_id)
    _refused(sessions, old)
    assert _authenticate(sessions, _token(sessions, cred)).app_id == cred.app_id


def test_an_app_whose_creator_was_demoted_loses_the_removed_permissions_on_the_next_request(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    token = _token(sessions, cred)
    assert _authenticate(sessions, token).permissions == {READ, DRAFT, REPORTS}
    with sessions.begin() as session:
        membership = session.scalar(
            select(Membership).where(Membership.user_id == tenant.accountant.id)
        )
        assert membership is not None
        owner = tenant.actor(session, tenant.owner)
        change_role(
            session,
            company_id=tenant.company.id,
            membership_id=membership.id,
            role="viewer",
            actor=owner,
        )
    assert _authenticate(sessions, token).permissions == {READ, REPORTS}
    with sessions() as session:
        [view] = apps.list_apps(session, tenant.actor(session, tenant.owner))
    assert view.status == "degraded"
    assert view.effective == {READ, REPORTS}


def test_an_app_whose_creator_left_the_company_is_refused(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    token = _token(sessions, cred)
    with sessions.begin() as session:
        session.execute(delete(Membership).where(Membership.user_id == tenant.accountant.id))
    _refused(sessions, token)


def test_an_app_whose_creator_was_deactivated_is_refused(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    token = _token(sessions, cred)
    with sessions.begin() as session:
        session.execute(update(User).where(User.id == tenant.accountant.id).values(is_active=False))
    _refused(sessions, token)


def test_a_token_for_another_company_is_refused(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    other = make_tenant(sessions)
    token = _token(sessions, cred)
    _refused(sessions, token, company_id=other.company.id)
    assert _authenticate(sessions, token, company_id=tenant.company.id).app_id == cred.app_id


def test_a_tampered_or_foreign_token_is_refused(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    token = _token(sessions, cred)
    body, sig = token.rsplit(".", 1)
    _refused(sessions, body + "." + ("A" if sig[0] != "A" else "B") + sig[1:])
    _refused(sessions, "nlat_" + token[6:])
    _refused(sessions, cred.secret)
    _refused(sessions, "")
    with sessions() as session:
        app = session.get(App, cred.app_id)
        assert app is not None
        stale, _ = issue_access_token(
            kind="app",
            grant_id=app.id,
            grant_version=app.version,
            company_id=app.company_id,
            scope=frozenset({READ}),
            now=int(dt.datetime.now(dt.UTC).timestamp()) - 3600,
        )
    _refused(sessions, stale)


def test_a_token_already_verified_is_still_refused_once_expired_or_under_a_new_server_key(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    # The signature check is cached per token (tokens.py); expiry and the key are not.
    cred = make_app(sessions, tenant)
    with sessions() as session:
        app = session.get(App, cred.app_id)
        assert app is not None
        token, claims = issue_access_token(
            kind="app",
            grant_id=app.id,
            grant_version=app.version,
            company_id=app.company_id,
            scope=frozenset({READ}),
            ttl_seconds=60,
        )
    assert _authenticate(sessions, token).app_id == cred.app_id
    with pytest.raises(TokenRefused) as expired:
        parse_access_token(token, now=claims.expires_at)
    assert expired.value.reason == "token_expired"
    assert parse_access_token(token, now=claims.expires_at - 1) == claims
    os.environ["NEWLEDGER_SECRET_KEY"] = "another-key-0123456789abcdef0123456789abcdef"
    get_settings.cache_clear()
    derive_key.cache_clear()
    assert _refused(sessions, token).message == "Bad access token signature"


def test_last_used_is_written_at_most_once_a_minute(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    token = _token(sessions, cred)
    _authenticate(sessions, token)
    with sessions() as session:
        first = session.get(App, cred.app_id).last_used_at  # type: ignore[union-attr]
    assert first is not None
    _authenticate(sessions, token)
    with sessions() as session:
        assert session.get(App, cred.app_id).last_used_at == first  # type: ignore[union-attr]


def test_token_ids_are_unique_and_a_forked_child_draws_its_own() -> None:
    """``jti`` comes from a pool of OS randomness: 96 bits each, never handed out twice, and a
    forked process does not repeat its parent's bytes."""

    def jtis(n: int) -> list[str]:
        return [
            issue_access_token(
                kind="app", grant_id=1, grant_version=1, company_id=1, scope=frozenset()
            )[1].jti
            for _ in range(n)
        ]

    mine = jtis(1000)
    assert len(set(mine)) == 1000 and {len(j) for j in mine} == {16}
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next ids and leave at once
        os.write(write, " ".join(jtis(5)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 4096).decode().split()
    os.close(read)
    assert len(child) == 5 and not set(child) & set(mine + jtis(5))
