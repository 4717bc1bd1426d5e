"""Set-up for the token-side OAuth tests: OAuth client rows, approved consents (codes issued as
the consent screen issues them) and token requests over HTTP."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets as random
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import secrets
from newledger.appconnect.models import OAuthClient, OAuthConnection
from newledger.appconnect.oauth.codes import issue_code
from newledger.audit.models import Activity
from newledger.identity.permissions import Permission
from tests.support.appconnect import Tenant, basic

_n = itertools.count(1)
REDIRECT_URI = "https://claude.ai/api/mcp/auth_callback"
DEFAULT_PERMISSIONS = (Permission.INVOICES_READ, Permission.REPORTS_READ)


@dataclass
class Client:
    pk: int
    client_id: str
    secret: str | None = None

    def auth(self, data: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """(form, headers) authenticating this client: its id alone for a public client,
        HTTP Basic for a confidential one."""
        if self.secret is None:
            return {**data, "client_id": self.client_id}, {}
        return data, basic(self.client_id, self.secret)


def make_client(
    sessions: sessionmaker[Session], *, confidential: bool = False, name: str = "Claude"
) -> Client:
    """An OAuth client row as dynamic registration (or the admin form, when confidential)
    would have written it."""
    secret = secrets.generate(secrets.CLIENT_SECRET_PREFIX) if confidential else None
    with sessions.begin() as session:
        row = OAuthClient(
            client_id=secrets.generate_client_id(secrets.OAUTH_CLIENT_ID_PREFIX),
            kind="dynamic",
            name=f"{name} {next(_n)}",
            redirect_uris=json.dumps([REDIRECT_URI]),
            token_endpoint_auth_method="client_secret_basic" if confidential else "none",
            secret_digest=secrets.digest(secret) if secret else None,
        )
        session.add(row)
        session.flush()
        return Client(row.id, row.client_id, secret)


@dataclass
class Consent:
    """An approved consent: the code the authorize redirect would carry, and what the client
    keeps to redeem it."""

    code: str
    verifier: str
    redirect_uri: str
    resource: str


def pkce_pair() -> tuple[str, str]:
    verifier = random.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def consent(
    sessions: sessionmaker[Session],
    tenant: Tenant,
    client: Client,
    resource: str,
    *,
    permissions: tuple[Permission, ...] = DEFAULT_PERMISSIONS,
    user_id: int | None = None,
    challenge: str | None = None,
) -> Consent:
    verifier, derived = pkce_pair()
    with sessions.begin() as session:
        code = issue_code(
            session,
            client_pk=client.pk,
            user_id=user_id or tenant.accountant.id,
            company_id=tenant.company.id,
            redirect_uri=REDIRECT_URI,
            code_challenge=derived if challenge is None else challenge,
            permissions=permissions,
            resource=resource,
        )
    return Consent(code, verifier, REDIRECT_URI, resource)


def redeem(base_url: str, client: Client, c: Consent, **overrides: str | None) -> httpx.Response:
    """``grant_type=authorization_code`` as the MCP SDK sends it; an override of ``None``
    leaves that parameter out."""
    data: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": c.code,
        "redirect_uri": c.redirect_uri,
        "code_verifier": c.verifier,
        "resource": c.resource,
        **overrides,
    }
    form, headers = client.auth({k: v for k, v in data.items() if v is not None})
    return httpx.post(f"{base_url}/oauth/token", data=form, headers=headers, timeout=30)


def refresh(base_url: str, client: Client, token: str, **extra: str) -> httpx.Response:
    form, headers = client.auth({"grant_type": "refresh_token", "refresh_token": token, **extra})
    return httpx.post(f"{base_url}/oauth/token", data=form, headers=headers, timeout=30)


def revoke(base_url: str, client: Client, token: str) -> httpx.Response:
    form, headers = client.auth({"token": token})
    return httpx.post(f"{base_url}/oauth/revoke", data=form, headers=headers, timeout=30)


def connection_of(sessions: sessionmaker[Session], client: Client) -> OAuthConnection:
    with sessions() as session:
        rows = list(
            session.scalars(select(OAuthConnection).where(OAuthConnection.client_pk == client.pk))
        )
    assert len(rows) == 1, rows
    return rows[0]


def activity(sessions: sessionmaker[Session], event: str) -> list[Activity]:
    with sessions() as session:
        return list(
            session.scalars(select(Activity).where(Activity.event == event).order_by(Activity.id))
        )


def at_once(*calls: Callable[[], httpx.Response]) -> list[int]:
    """Run the calls in threads released together; their status codes, sorted."""
    start = threading.Barrier(len(calls))
    statuses: list[int] = []

    def run(call: Callable[[], httpx.Response]) -> None:
        start.wait()
        statuses.append(call().status_code)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)
