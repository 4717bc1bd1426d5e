"""Shared set-up for the App Connect tests: a company, its people, and an app with a secret."""

from __future__ import annotations

import base64
import itertools
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.appconnect import apps, secrets
from newledger.appconnect.models import App
from newledger.audit.models import Activity
from newledger.config import get_settings
from newledger.identity.models import Company, User
from newledger.identity.permissions import Role
from newledger.identity.services import add_member, create_company, create_user, user_actor

# The key ``LiveServer`` runs with; the test process uses it too, so digests and tokens agree.
SERVER_KEY = "test-secret-key-0123456789abcdef0123456789"
_n = itertools.count(1)


@pytest.fixture
def server_key() -> Iterator[None]:
    old = os.environ.get("NEWLEDGER_SECRET_KEY")
    os.environ["NEWLEDGER_SECRET_KEY"] = SERVER_KEY
    get_settings.cache_clear()
    secrets.derive_key.cache_clear()
    yield
    if old is None:
        os.environ.pop("NEWLEDGER_SECRET_KEY", None)
    else:
        os.environ["NEWLEDGER_SECRET_KEY"] = old
    get_settings.cache_clear()
    secrets.derive_key.cache_clear()


@dataclass
class Tenant:
    company: Company
    owner: User
    accountant: User  # creates the apps; holds appconnect:manage and every delegable permission

    def actor(self, session: Session, user: User | None = None) -> Actor:
        return user_actor(session, user or self.accountant, self.company.id)


@dataclass
class Credential:
    client_id: str
    secret: str
    app_id: int


def make_tenant(sessions: sessionmaker[Session]) -> Tenant:
    n = next(_n)
    with sessions.begin() as session:
        owner = create_user(
            session, email=f"owner{n}@example.com", name="Olive Owner", password="x" * 12
        )
        accountant = create_user(
            session, email=f"acct{n}@example.com", name="Ada Accountant", password="x" * 12
        )
        company = create_company(session, name=f"Acme {n}", slug=f"acme-{n}", owner=owner)
        add_member(
            session,
            company=company,
            user=accountant,
            role=Role.ACCOUNTANT,
            actor=Actor.system(company.id),
        )
    return Tenant(company, owner, accountant)


def make_app(
    sessions: sessionmaker[Session],
    tenant: Tenant,
    *permissions: str,
    name: str = "Receipt Bot",
) -> Credential:
    with sessions.begin() as session:
        app, secret = apps.create_app(
            session,
            tenant.actor(session),
            name=name,
            permissions=list(permissions or ("invoices:read", "reports:read", "invoices:draft")),
        )
        return Credential(app.client_id, secret, app.id)


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def fetch_token(
    base_url: str,
    cred: Credential,
    *,
    scope: str | None = None,
    secret: str | None = None,
    resource: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    if resource is not None:
        data["resource"] = resource
    auth = basic(cred.client_id, secret or cred.secret)
    return httpx.post(f"{base_url}/oauth/token", data=data, headers={**auth, **(headers or {})})


def token_for(base_url: str, cred: Credential, scope: str | None = None) -> str:
    response = fetch_token(base_url, cred, scope=scope)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def failures(sessions: sessionmaker[Session], client_id: str, *, total: int = 1) -> list[Activity]:
    """Activity rows of refused token requests for this client id, oldest first, once they add
    up to ``total`` occurrences. The server counts refusals in memory and writes them from a
    background thread within about a second, so this waits (up to 10 s) for them."""
    return wait_for_activity(
        sessions,
        lambda a: a.event == "appconnect:token:failed" and a.details.get("client_id") == client_id,
        total,
    )


def wait_for_activity(
    sessions: sessionmaker[Session], match: Callable[[Activity], bool], total: int
) -> list[Activity]:
    """The matching activity rows once their occurrences add up to ``total`` (or the 10 s
    deadline passes; then whatever is there, for the caller's assertion to show)."""
    deadline = time.monotonic() + 10
    while True:
        with sessions() as session:
            rows = [a for a in session.scalars(select(Activity).order_by(Activity.id)) if match(a)]
        if sum(a.occurrences for a in rows) >= total or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def get_app_row(session: Session, client_id: str) -> App:
    app = session.scalar(select(App).where(App.client_id == client_id))
    assert app is not None
    return app
