"""API credential apps: delegated-not-elevated, lifecycle, status, activity, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.appconnect import apps
from newledger.appconnect.models import App
from newledger.appconnect.secrets import digest
from newledger.audit.models import Activity
from newledger.errors import InvalidState, PermissionDenied, ValidationFailed
from newledger.identity.permissions import Permission
from tests.support.appconnect import SERVER_KEY, Tenant, make_app, make_tenant, server_key

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")


@pytest.fixture
def tenant(sessions: sessionmaker[Session]) -> Tenant:
    return make_tenant(sessions)


def test_the_secret_is_returned_once_and_only_its_digest_is_stored(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    with sessions.begin() as session:
        app, secret = apps.create_app(
            session, tenant.actor(session), name="Bot", permissions=["invoices:read"]
        )
    assert app.client_id.startswith("nlci_")
    assert secret.startswith("nlcs_")
    with sessions() as session:
        row = session.get(App, app.id)
        assert row is not None
        assert row.secret_digest == digest(secret)
        assert secret not in repr(row.__dict__)
        created = session.scalar(select(Activity).where(Activity.event == "appconnect:app:created"))
    assert created is not None
    assert created.details["client_id"] == app.client_id
    assert secret not in json.dumps(created.details)


def test_a_user_cannot_delegate_a_permission_they_do_not_hold(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    limited = Actor(
        "user",
        tenant.company.id,
        frozenset({Permission.APPCONNECT_MANAGE, Permission.INVOICES_READ}),
        user_id=tenant.accountant.id,
    )
    with sessions() as session, pytest.raises(PermissionDenied):
        apps.create_app(
            session, limited, name="Bot", permissions=["invoices:read", "invoices:draft"]
        )


@pytest.mark.parametrize("permission", ["ledger:post", "appconnect:manage", "nonsense"])
def test_user_only_and_unknown_permissions_cannot_be_delegated(
    sessions: sessionmaker[Session], tenant: Tenant, permission: str
) -> None:
    with sessions() as session, pytest.raises(ValidationFailed):
        apps.create_app(session, tenant.actor(session), name="Bot", permissions=[permission])


def test_creating_an_app_needs_appconnect_manage(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    viewer = Actor(
        "user", tenant.company.id, frozenset({Permission.INVOICES_READ}), user_id=tenant.owner.id
    )
    app_actor = Actor("app", tenant.company.id, frozenset(Permission), app_id=1)
    with sessions() as session:
        for actor in (viewer, app_actor):
            with pytest.raises(PermissionDenied):
                apps.create_app(session, actor, name="Bot", permissions=["invoices:read"])


def test_the_list_shows_each_status(sessions: sessionmaker[Session], tenant: Tenant) -> None:
    names = ["active", "revoked", "deleted", "expired"]
    creds = {name: make_app(sessions, tenant, "invoices:read", name=name) for name in names}
    with sessions.begin() as session:
        actor = tenant.actor(session)
        apps.revoke_app(session, actor, creds["revoked"].client_id)
        apps.delete_app(session, actor, creds["deleted"].client_id)
        past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        session.execute(
            update(App).where(App.id == creds["expired"].app_id).values(expires_at=past)
        )
    with sessions() as session:
        views = apps.list_apps(session, tenant.actor(session))
    assert {v.app.name: v.status.value for v in views} == {n: n for n in names}
    assert all(v.creator_email == tenant.accountant.email for v in views)


def test_lifecycle_changes_are_recorded_and_checked(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    cred = make_app(sessions, tenant)
    with sessions.begin() as session:
        actor = tenant.actor(session)
        with pytest.raises(InvalidState):
            apps.restore_app(session, actor, cred.client_id)
        _, new_secret = apps.rotate_secret(session, actor, cred.client_id, grace_seconds=60)
        apps.revoke_app(session, actor, cred.client_id)
        with pytest.raises(InvalidState):
            apps.revoke_app(session, actor, cred.client_id)
        apps.restore_app(session, actor, cred.client_id)
        apps.delete_app(session, actor, cred.client_id)
        apps.restore_app(session, actor, cred.client_id)
    with sessions() as session:
        rows = session.scalars(
            select(Activity).where(Activity.subject_type == "app").order_by(Activity.id)
        ).all()
        app = session.get(App, cred.app_id)
        assert app is not None
    assert [r.event.rsplit(":", 1)[1] for r in rows] == [
        "created",
        "rotated",
        "revoked",
        "restored",
        "deleted",
        "restored",
    ]
    assert all(r.actor_user_id == tenant.accountant.id for r in rows)
    assert new_secret not in " ".join(json.dumps(r.details) for r in rows)
    # Revoke ended the grace period of the previous secret, and every change moved the version.
    assert app.previous_secret_digest is None
    assert app.version == 5


def _cli(database_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": database_url,
        "NEWLEDGER_DATA_DIR": str(data_dir),
        "NEWLEDGER_SECRET_KEY": SERVER_KEY,
    }
    return subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", "apps", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_creates_lists_rotates_revokes_deletes_and_restores_apps(
    sessions: sessionmaker[Session], tenant: Tenant, database_url: str, tmp_path: Path
) -> None:
    created = _cli(
        database_url,
        tmp_path,
        "create",
        "--company",
        tenant.company.slug,
        "--name",
        "Zapier",
        "--permission",
        "invoices:read",
        "--permission",
        "reports:read",
        "--created-by",
        tenant.accountant.email,
        "--expires",
        "2099-12-31",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    out = json.loads(created.stdout)
    client_id, secret = out["client_id"], out["client_secret"]
    assert client_id.startswith("nlci_") and secret.startswith("nlcs_")
    assert out["expires_at"].startswith("2100-01-01")
    with sessions() as session:
        app = session.scalar(select(App).where(App.client_id == client_id))
        assert app is not None and app.secret_digest == digest(secret)

    listed = json.loads(
        _cli(database_url, tmp_path, "list", "--company", tenant.company.slug, "--json").stdout
    )
    assert [(a["client_id"], a["status"]) for a in listed] == [(client_id, "active")]
    assert listed[0]["delegated"] == ["invoices:read", "reports:read"]

    rotated = _cli(database_url, tmp_path, "rotate", client_id, "--grace-seconds", "60", "--json")
    assert rotated.returncode == 0, rotated.stderr
    assert json.loads(rotated.stdout)["client_secret"] != secret
    for action, status in [("revoke", "revoked"), ("restore", "active"), ("delete", "deleted")]:
        done = _cli(database_url, tmp_path, action, client_id)
        assert done.returncode == 0, done.stderr
        listed = json.loads(
            _cli(database_url, tmp_path, "list", "--company", tenant.company.slug, "--json").stdout
        )
        assert listed[0]["status"] == status

    refused = _cli(
        database_url,
        tmp_path,
        "create",
        "--company",
        tenant.company.slug,
        "--name",
        "Poster",
        "--permission",
        "ledger:post",
        "--created-by",
        tenant.accountant.email,
    )
    assert refused.returncode == 1
    assert "delegable" in refused.stderr
