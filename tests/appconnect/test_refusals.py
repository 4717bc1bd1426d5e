"""Every refused token request and bearer request is recorded: coalesced, with its company, and
without any part of a secret (issue 8; DESIGN §8)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import apps
from newledger.appconnect.tokens import issue_access_token
from newledger.audit.models import Activity
from newledger.identity.permissions import Permission
from tests.conftest import LiveServer
from tests.support.appconnect import (
    Credential,
    Tenant,
    basic,
    fetch_token,
    make_app,
    make_tenant,
    server_key,
    token_for,
    wait_for_activity,
)

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")

PER_CLIENT_LIMIT = 6
REPEATS = 4


@pytest.fixture(scope="module")
def server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Path]]:
    """A server whose stderr (where the instance-wide security log goes) the tests can read."""
    log = Path(tmp_path_factory.mktemp("log")) / "stderr.log"
    live = LiveServer(
        database_url,
        Path(tmp_path_factory.mktemp("refusals")),
        extra_env={"NEWLEDGER_TOKEN_RATE_LIMIT_PER_CLIENT": str(PER_CLIENT_LIMIT)},
        stderr_path=log,
    )
    yield live, log
    live.stop()


def _post(url: str, data: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{url}/oauth/token", data=data, headers=headers or {})


def _shapes(
    cred: Credential, other: Credential
) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Refused requests that name an app: (form, headers) by the reason they are recorded with."""
    cc = {"grant_type": "client_credentials"}
    typo = cred.secret[:-8] + ("A" if cred.secret[-8] != "A" else "B") + cred.secret[-7:]
    return {
        "wrong_secret": (cc, basic(cred.client_id, other.secret)),
        "malformed_secret": (cc, basic(cred.client_id, typo)),
        "no_client_secret": ({**cc, "client_id": cred.client_id}, {}),
        "two_auth_methods": ({**cc, "client_secret": cred.secret}, basic(cred.client_id, "x")),
        "unknown_scope": ({**cc, "scope": "ledger:everything"}, basic(cred.client_id, cred.secret)),
        "scope_not_delegated": (
            {**cc, "scope": "contacts:write"},
            basic(cred.client_id, cred.secret),
        ),
        "unsupported_grant_type": ({"grant_type": "password"}, basic(cred.client_id, cred.secret)),
    }


@pytest.mark.parametrize(
    "reason",
    [
        "wrong_secret",
        "malformed_secret",
        "no_client_secret",
        "two_auth_methods",
        "unknown_scope",
        "scope_not_delegated",
        "unsupported_grant_type",
    ],
)
def test_each_refused_shape_leaves_one_entry_in_the_apps_company_with_a_count(
    server: tuple[LiveServer, Path], sessions: sessionmaker[Session], reason: str
) -> None:
    live, _ = server
    tenant = make_tenant(sessions)
    cred, other = make_app(sessions, tenant), make_app(sessions, tenant, name="Other")
    form, headers = _shapes(cred, other)[reason]
    for _ in range(REPEATS):
        response = _post(live.url, form, headers)
        assert 400 <= response.status_code < 500, response.text
    [row] = wait_for_activity(
        sessions,
        lambda a: a.event == "appconnect:token:failed" and a.details["reason"] == reason,
        REPEATS,
    )
    assert row.occurrences == REPEATS
    assert (row.company_id, row.subject_type, row.subject_id) == (
        tenant.company.id,
        "app",
        cred.app_id,
    )
    assert row.details["client_id"] == cred.client_id
    _assert_no_secret(sessions, server[1], cred, other)


@pytest.mark.parametrize("change", ["revoke", "delete", "expire"])
def test_a_dead_app_is_refused_and_recorded_as_such(
    server: tuple[LiveServer, Path], sessions: sessionmaker[Session], change: str
) -> None:
    live, _ = server
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    with sessions.begin() as session:
        actor = tenant.actor(session)
        if change == "revoke":
            apps.revoke_app(session, actor, cred.client_id)
        elif change == "delete":
            apps.delete_app(session, actor, cred.client_id)
        else:
            app = apps.get_app(session, actor, cred.client_id)
            app.expires_at = app.created_at  # already past
    for _ in range(REPEATS):
        assert fetch_token(live.url, cred).status_code == 401
    reason = {"revoke": "app_revoked", "delete": "app_deleted", "expire": "app_expired"}[change]
    [row] = wait_for_activity(sessions, lambda a: a.event == "appconnect:token:failed", REPEATS)
    assert (row.details["reason"], row.occurrences, row.company_id) == (
        reason,
        REPEATS,
        tenant.company.id,
    )


def test_requests_naming_no_app_go_to_the_security_log_without_secrets(
    server: tuple[LiveServer, Path], sessions: sessionmaker[Session]
) -> None:
    live, log = server
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    cc = {"grant_type": "client_credentials"}
    unknown = "nlci_" + "Z" * 17
    refused = [
        (cc, basic(unknown, cred.secret)),  # a well-formed id that names no app
        (cc, {"Authorization": "Basic !!!not-base64"}),  # a malformed Basic header
        (cc, basic(cred.secret, cred.secret)),  # the secret pasted as the client id
        ({**cc, "client_id": "hunter2-client"}, {}),  # a public client nobody registered
    ]
    for form, headers in refused:
        for _ in range(2):
            assert _post(live.url, form, headers).status_code in (400, 401)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = log.read_text()
        if all(s in text for s in (unknown, "malformed_basic_auth", "hunter2-client")):
            break
        time.sleep(0.1)
    lines = [line for line in log.read_text().splitlines() if '"appconnect:token:failed"' in line]
    assert any(unknown in line and '"reason": "unknown_client"' in line for line in lines)
    assert any('"malformed_basic_auth"' in line for line in lines)
    assert any("[a secret, not a client id]" in line for line in lines)
    with sessions() as session:
        # Nothing names a company, so no company's activity holds them.
        assert not session.scalars(
            select(Activity).where(Activity.event == "appconnect:token:failed")
        ).all()
    _assert_no_secret(sessions, log, cred)


def test_rate_limited_requests_are_recorded_once_per_client_and_window(
    server: tuple[LiveServer, Path], sessions: sessionmaker[Session]
) -> None:
    live, _ = server
    tenant = make_tenant(sessions)
    cred, other = make_app(sessions, tenant), make_app(sessions, tenant, name="Other")
    statuses = [fetch_token(live.url, cred, secret=other.secret).status_code for _ in range(12)]
    limited = statuses.count(429)
    assert limited >= 12 - PER_CLIENT_LIMIT and set(statuses) == {401, 429}
    [row] = wait_for_activity(
        sessions, lambda a: a.details.get("reason") == "rate_limited", limited
    )
    assert (row.occurrences, row.company_id, row.subject_id) == (
        limited,
        tenant.company.id,
        cred.app_id,
    )


def _api_refusal(sessions: sessionmaker[Session], reason: str, total: int = REPEATS) -> Activity:
    [row] = wait_for_activity(
        sessions,
        lambda a: a.event == "appconnect:request:refused" and a.details["reason"] == reason,
        total,
    )
    return row


def _get(url: str, token: str, path: str = "/api/v1/invoices") -> int:
    return httpx.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"}).status_code


def _tenant_and_token(
    live: LiveServer, sessions: sessionmaker[Session]
) -> tuple[Tenant, Credential, str]:
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    return tenant, cred, token_for(live.url, cred)


def test_bearer_refusals_at_the_api_are_recorded_against_the_tokens_company(
    server: tuple[LiveServer, Path], sessions: sessionmaker[Session]
) -> None:
    live, log = server
    tenant, cred, token = _tenant_and_token(live, sessions)
    company = tenant.company.id

    # Tampered: the signature no longer matches (the company is the one the token claims).
    body, sig = token.rsplit(".", 1)
    tampered = f"{body}.{('A' if sig[0] != 'A' else 'B') + sig[1:]}"
    # Expired: made with the server's key, as the token endpoint would have, an hour ago.
    with sessions() as session:
        app = apps.get_app(session, tenant.actor(session), cred.client_id)
        expired, _ = issue_access_token(
            kind="app",
            grant_id=app.id,
            grant_version=app.version,
            company_id=company,
            scope=frozenset({Permission.INVOICES_READ}),
            now=int(time.time()) - 3600,
        )
    # Bound to the company's MCP URL, so not accepted by REST (RFC 8707).
    mcp = fetch_token(live.url, cred, resource=f"{live.url}/mcp/{tenant.company.slug}")
    assert mcp.status_code == 200, mcp.text
    for bad, reason in [
        (tampered, "bad_signature"),
        (expired, "token_expired"),
        (mcp.json()["access_token"], "foreign_resource"),
    ]:
        for _ in range(REPEATS):
            assert _get(live.url, bad) == 401
        row = _api_refusal(sessions, reason)
        assert (row.company_id, row.occurrences) == (company, REPEATS)

    # A missing permission: 403, recorded with the permission asked for.
    for _ in range(REPEATS):
        assert _get(live.url, token, "/api/v1/contacts") == 403
    row = _api_refusal(sessions, "missing_permission")
    assert (row.company_id, row.subject_id, row.details["permission"]) == (
        company,
        cred.app_id,
        "contacts:read",
    )

    # Revoked one by one (RFC 7009), then the whole app.
    revoke = httpx.post(
        f"{live.url}/oauth/revoke",
        data={"token": token},
        headers=basic(cred.client_id, cred.secret),
    )
    assert revoke.status_code == 200
    assert _get(live.url, token) == 401
    assert _api_refusal(sessions, "token_revoked", 1).subject_id == cred.app_id
    second = token_for(live.url, cred)
    with sessions.begin() as session:
        apps.revoke_app(session, tenant.actor(session), cred.client_id)
    assert _get(live.url, second) == 401
    assert _api_refusal(sessions, "stale_version", 1).company_id == company
    _assert_no_secret(sessions, log, cred, tokens=(token, second, tampered, expired))


def test_a_resource_bound_token_works_only_at_its_resource(
    server: tuple[LiveServer, Path], sessions: sessionmaker[Session]
) -> None:
    live, _ = server
    tenant = make_tenant(sessions)
    cred = make_app(sessions, tenant)
    rest = fetch_token(live.url, cred, resource=f"{live.url}/api/v1")
    assert rest.status_code == 200
    assert _get(live.url, rest.json()["access_token"]) == 200
    other = make_tenant(sessions)
    for resource in (f"{live.url}/mcp/{other.company.slug}", "https://evil.example/api/v1"):
        refused = fetch_token(live.url, cred, resource=resource)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"


def _assert_no_secret(
    sessions: sessionmaker[Session],
    log: Path,
    *creds: Credential,
    tokens: tuple[str, ...] = (),
) -> None:
    """Neither the activity table nor the server's log holds any part of a secret or token."""
    with sessions() as session:
        stored = " ".join(
            repr((a.details, a.actor_label, a.user_agent))
            for a in session.scalars(select(Activity))
        )
    logged = log.read_text()
    pieces = [c.secret[5:21] for c in creds] + [c.secret[-16:] for c in creds]
    pieces += [t[5:21] for t in tokens] + [t[-16:] for t in tokens]
    for piece in pieces:
        assert piece not in stored
        assert piece not in logged


def test_a_flood_on_two_workers_adds_up_in_one_row(
    engine: Engine,
    database_url: str,
    sessions: sessionmaker[Session],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two worker processes count the same refusal kind in one row (an upsert on its key), so
    200 wrong secrets sent at once leave one row whose count is 200, not 200 rows."""
    flood = 200
    live = LiveServer(
        database_url, Path(tmp_path_factory.mktemp("two-workers")), args=["--workers", "2"]
    )
    try:
        tenant = make_tenant(sessions)
        cred, other = make_app(sessions, tenant), make_app(sessions, tenant, name="Other")

        def attempt(_: int) -> int:
            return fetch_token(live.url, cred, secret=other.secret).status_code

        left = 60 - time.time() % 60  # a row is per minute: keep the flood inside one
        if left < 15:
            time.sleep(left + 0.1)
        with ThreadPoolExecutor(max_workers=16) as pool:
            assert set(pool.map(attempt, range(flood))) == {401}
        rows = wait_for_activity(sessions, lambda a: a.event == "appconnect:token:failed", flood)
    finally:
        live.stop()
    assert [(r.details["reason"], r.occurrences) for r in rows] == [("wrong_secret", flood)]
