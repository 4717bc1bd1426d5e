"""Refusals at the MCP endpoint: tokens for another company or resource, unbound tokens, a
revoked app, a bad Host or Origin; and the generic /mcp URL, whose company is the token's."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import apps
from newledger.identity.models import User
from newledger.identity.services import user_actor
from tests.conftest import LiveServer
from tests.support.appconnect import make_app, make_tenant
from tests.support.mcp import ERAS, Demo, demo_app, mcp_token, mcp_url, rpc


def _ok(url: str, token: str, era: str) -> int:
    return rpc(
        url, token, "tools/call", {"name": "company_info", "arguments": {}}, era=era
    ).status_code


@pytest.mark.parametrize("era", ERAS)
def test_tokens_are_accepted_only_on_their_own_url(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, "company:read")
    url = mcp_url(live_server.url, demo.slug)
    bound = mcp_token(live_server.url, cred, url)
    assert _ok(url, bound, era) == 200

    unbound = mcp_token(live_server.url, cred, None)
    rest = mcp_token(live_server.url, cred, f"{live_server.url}/api/v1")
    generic = mcp_token(live_server.url, cred, mcp_url(live_server.url, None))
    for token in (unbound, rest, generic):
        response = rpc(url, token, "tools/list", era=era)
        assert response.status_code == 401
        challenge = response.headers["www-authenticate"]
        assert 'error="invalid_token"' in challenge and "resource_metadata=" in challenge
        assert "scope=" in challenge
    # The generic URL takes the generic token, and acts in the token's company.
    generic_url = mcp_url(live_server.url, None)
    response = rpc(
        generic_url, generic, "tools/call", {"name": "company_info", "arguments": {}}, era=era
    )
    assert response.status_code == 200 and f'"slug":"{demo.slug}"' in response.text.replace(" ", "")
    assert rpc(generic_url, bound, "tools/list", era=era).status_code == 401

    missing = rpc(url, None, "tools/list", era=era)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer resource_metadata=")


def test_a_token_of_another_company_is_refused(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo
) -> None:
    other = make_tenant(books)
    cred = make_app(books, other, "company:read")
    theirs = mcp_token(live_server.url, cred, mcp_url(live_server.url, other.company.slug))
    assert _ok(mcp_url(live_server.url, demo.slug), theirs, "legacy") == 401
    # Nor can it be issued for the demo company's URL.
    response = __import__("httpx").post(
        f"{live_server.url}/oauth/token",
        data={"grant_type": "client_credentials", "resource": mcp_url(live_server.url, demo.slug)},
        auth=(cred.client_id, cred.secret),
    )
    assert response.status_code == 400


@pytest.mark.parametrize("era", ERAS)
def test_a_revoked_app_is_refused_on_the_next_call(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, "company:read")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    assert _ok(url, token, era) == 200
    with books.begin() as session:
        owner = session.get(User, demo.owner_id)
        assert owner is not None
        apps.revoke_app(session, user_actor(session, owner, demo.company_id), cred.client_id)
    assert _ok(url, token, era) == 401


@pytest.mark.parametrize("era", ERAS)
def test_a_bad_host_or_origin_is_refused(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, "company:read")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    assert (
        rpc(url, token, "tools/list", era=era, headers={"Origin": live_server.url}).status_code
        == 200
    )
    evil = rpc(url, token, "tools/list", era=era, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    host = rpc(url, token, "tools/list", era=era, headers={"Host": "evil.example"})
    assert host.status_code == 421
