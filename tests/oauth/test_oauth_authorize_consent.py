"""The consent screen over HTTP with a signed-in session: approving needs a fresh TOTP code,
the answer counts once and only from the session that was shown the screen, and the code it
issues carries exactly what was approved."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.appconnect import secrets
from newledger.appconnect.models import AuthorizationCode, OAuthClient
from newledger.audit.tags import Event
from newledger.identity import services
from newledger.identity.models import Company, User
from tests.conftest import LiveServer
from tests.support.oauth_authorize import (
    CLAUDE_REDIRECT,
    OAuthClientRow,
    approve_over_http,
    authorize_url,
    consent_form,
    make_client,
    new_pkce,
    query_of,
)
from tests.support.oauth_grants import at_once
from tests.support.workspace import (
    Person,
    client,
    events,
    make_company,
    make_person,
    sign_in,
)


@pytest.fixture
def owner(sessions: sessionmaker[Session]) -> Person:
    return make_person(sessions, "owner@example.com", company="acme", with_2fa=True)


@pytest.fixture
def claude(sessions: sessionmaker[Session]) -> OAuthClientRow:
    return make_client(sessions, name="Claude", client_uri="https://claude.ai")


@pytest.fixture
def signed_in(live_server: LiveServer, owner: Person) -> httpx.Client:
    c = client(live_server.url)
    sign_in(c, owner)
    return c


def _mcp(live_server: LiveServer, slug: str = "acme") -> str:
    return f"{live_server.url}/mcp/{slug}"


def _codes(sessions: sessionmaker[Session]) -> list[AuthorizationCode]:
    with sessions() as s:
        return list(s.scalars(select(AuthorizationCode)))


def test_approving_with_a_fresh_code_returns_to_the_client_with_code_state_and_iss(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    claude: OAuthClientRow,
    signed_in: httpx.Client,
) -> None:
    _, challenge = new_pkce()
    url = authorize_url(
        claude,
        _mcp(live_server),
        state="xyz",
        code_challenge=challenge,
        scope="invoices:read invoices:draft reports:read",
    )
    page = signed_in.get(url)
    assert page.status_code == 200, page.text
    assert 'id="client-name">Claude<' in page.text
    assert 'id="client-unverified"' in page.text
    assert "claude.ai" in page.text
    assert 'id="consent-company">Acme<' in page.text
    assert 'id="change-company"' not in page.text  # a company MCP URL fixes the company

    form = consent_form(page)
    assert owner.authenticator is not None
    response = signed_in.post(
        "/oauth/authorize",
        data={
            **form,
            "decision": "approve",
            # invoices:draft unticked: removed before approving
            "permissions": ["invoices:read", "reports:read"],
            "code": owner.authenticator.fresh_code(),
        },
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(CLAUDE_REDIRECT + "?")
    query = query_of(location)
    assert query["state"] == "xyz"
    assert query["iss"] == live_server.url
    assert query["code"].startswith("nlac_")
    assert secrets.has_valid_checksum(query["code"], secrets.AUTHORIZATION_CODE_PREFIX)

    [code] = _codes(sessions)
    assert code.code_digest == secrets.digest(query["code"])
    assert code.permissions == "invoices:read reports:read"
    assert code.resource == _mcp(live_server)
    assert code.redirect_uri == CLAUDE_REDIRECT
    assert code.code_challenge == challenge
    assert code.user_id == owner.user_id
    assert code.company_id == owner.company_id
    assert code.redeemed_at is None
    with sessions() as s:
        row = s.get(OAuthClient, claude.pk)
        assert row is not None and row.first_consented_at is not None
    granted = [e for e in events(sessions) if e.event == Event.CONSENT_GRANTED]
    assert len(granted) == 1
    assert granted[0].company_id == owner.company_id
    assert granted[0].actor_user_id == owner.user_id
    assert granted[0].details["permissions"] == "invoices:read reports:read"
    assert query["code"] not in str(granted[0].details)
    assert any(
        e.event == Event.STEPUP_CONFIRMED and e.details["action"] == "oauth.consent"
        for e in events(sessions)
    )


def test_the_consent_screen_cannot_be_approved_without_a_totp_code(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    claude: OAuthClientRow,
    signed_in: httpx.Client,
) -> None:
    page = signed_in.get(authorize_url(claude, _mcp(live_server)))
    form = consent_form(page)
    approve = {**form, "decision": "approve", "permissions": ["invoices:read"]}
    missing = signed_in.post("/oauth/authorize", data={**approve, "code": ""})
    wrong = signed_in.post("/oauth/authorize", data={**approve, "code": "000000"})
    for response in (missing, wrong):
        assert response.status_code == 400, response.text
        assert "location" not in response.headers
        assert 'id="form-error"' in response.text
        assert form["consent_id"] in response.text  # the same screen, still open
    assert _codes(sessions) == []
    assert not [e for e in events(sessions) if e.event == Event.CONSENT_GRANTED]
    assert owner.authenticator is not None  # and a right code still approves it afterwards
    ok = signed_in.post(
        "/oauth/authorize", data={**approve, "code": owner.authenticator.fresh_code()}
    )
    assert ok.status_code == 303
    assert "code" in query_of(ok.headers["location"])


def test_a_consent_is_answered_once(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    claude: OAuthClientRow,
    signed_in: httpx.Client,
) -> None:
    page = signed_in.get(authorize_url(claude, _mcp(live_server)))
    form = consent_form(page)
    assert owner.authenticator is not None
    first = signed_in.post(
        "/oauth/authorize",
        data={
            **form,
            "decision": "approve",
            "permissions": ["invoices:read"],
            "code": owner.authenticator.fresh_code(),
        },
    )
    assert first.status_code == 303
    again = signed_in.post("/oauth/authorize", data={**form, "decision": "deny"})
    assert again.status_code == 404
    assert "location" not in again.headers
    assert "already answered" in again.text
    assert len(_codes(sessions)) == 1


@pytest.mark.parametrize("round_", range(3))
def test_an_approve_and_a_deny_of_one_consent_at_once_leave_exactly_one_answer(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    claude: OAuthClientRow,
    signed_in: httpx.Client,
    round_: int,
) -> None:
    """Two tabs (or a double click) answer the same consent at the same moment: exactly one
    answer counts. Either a code was issued or the denial was recorded, never both."""
    page = signed_in.get(authorize_url(claude, _mcp(live_server)))
    form = consent_form(page)
    assert owner.authenticator is not None
    approve = {**form, "decision": "approve", "permissions": ["invoices:read"]}
    approve["code"] = owner.authenticator.fresh_code()
    tabs = [client(live_server.url) for _ in range(2)]
    for tab in tabs:
        tab.cookies = signed_in.cookies
    statuses = at_once(
        lambda: tabs[0].post("/oauth/authorize", data=approve),
        lambda: tabs[1].post("/oauth/authorize", data={**form, "decision": "deny"}),
    )
    for tab in tabs:
        tab.close()
    assert statuses == [303, 404]
    denied = [e for e in events(sessions) if e.event == Event.CONSENT_DENIED]
    granted = [e for e in events(sessions) if e.event == Event.CONSENT_GRANTED]
    assert len(_codes(sessions)) == len(granted)
    assert len(granted) + len(denied) == 1


def test_consent_posted_from_another_session_is_refused(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    claude: OAuthClientRow,
    signed_in: httpx.Client,
) -> None:
    """Cross-site request forgery: another session (the attacker's own, with its own valid
    CSRF token) posts the victim's consent id; and a post without the token at all."""
    page = signed_in.get(authorize_url(claude, _mcp(live_server)))
    victims = consent_form(page)
    attacker = make_person(sessions, "attacker@example.com", company="acme", with_2fa=True)
    assert attacker.authenticator is not None
    with client(live_server.url) as other:
        sign_in(other, attacker)
        own_page = other.get(authorize_url(claude, _mcp(live_server)))
        forged = other.post(
            "/oauth/authorize",
            data={
                "csrf_token": consent_form(own_page)["csrf_token"],
                "consent_id": victims["consent_id"],
                "decision": "approve",
                "permissions": ["invoices:read"],
                "code": attacker.authenticator.fresh_code(),
            },
        )
    assert forged.status_code == 404
    assert "location" not in forged.headers
    no_token = signed_in.post(
        "/oauth/authorize",
        data={"consent_id": victims["consent_id"], "decision": "deny"},
    )
    assert no_token.status_code == 403
    assert _codes(sessions) == []
    # The victim's own screen is still open and theirs to answer.
    denied = signed_in.post("/oauth/authorize", data={**victims, "decision": "deny"})
    assert denied.status_code == 303


def test_deny_returns_access_denied_with_state_and_iss_and_is_recorded(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    claude: OAuthClientRow,
    signed_in: httpx.Client,
) -> None:
    page = signed_in.get(authorize_url(claude, _mcp(live_server), state="st9"))
    response = signed_in.post("/oauth/authorize", data={**consent_form(page), "decision": "deny"})
    assert response.status_code == 303
    query = query_of(response.headers["location"])
    assert query == {
        "error": "access_denied",
        "error_description": "The user denied the request",
        "state": "st9",
        "iss": live_server.url,
    }
    assert _codes(sessions) == []
    denied = [e for e in events(sessions) if e.event == Event.CONSENT_DENIED]
    assert len(denied) == 1 and denied[0].company_id == owner.company_id
    with sessions() as s:
        row = s.get(OAuthClient, claude.pk)
        assert row is not None and row.first_consented_at is None


def test_a_user_without_2fa_is_sent_to_set_it_up_and_then_back(
    live_server: LiveServer, sessions: sessionmaker[Session], claude: OAuthClientRow
) -> None:
    person = make_person(sessions, "no2fa@example.com", company="acme")
    url = authorize_url(claude, _mcp(live_server))
    with client(live_server.url) as c:
        sign_in(c, person)
        response = c.get(url)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/account/security/2fa?")
    assert query_of(location) == {"next": url, "required": "1"}


def test_only_permissions_the_user_holds_are_offered_and_nothing_else_is_granted(
    live_server: LiveServer, sessions: sessionmaker[Session], claude: OAuthClientRow
) -> None:
    viewer = make_person(sessions, "viewer@example.com", role="viewer", with_2fa=True)
    assert viewer.authenticator is not None
    with client(live_server.url) as c:
        sign_in(c, viewer)
        page = c.get(authorize_url(claude, _mcp(live_server), scope="invoices:read invoices:draft"))
        assert 'value="invoices:read"' in page.text
        assert 'value="invoices:draft"' not in page.text
        assert 'id="not-held"' in page.text
        tampered = c.post(
            "/oauth/authorize",
            data={
                **consent_form(page),
                "decision": "approve",
                "permissions": ["invoices:read", "invoices:draft"],
                "code": viewer.authenticator.fresh_code(),
            },
        )
    assert tampered.status_code == 422
    assert "Only the permissions on this screen" in tampered.text
    assert _codes(sessions) == []


def test_a_company_mcp_url_of_a_company_the_user_is_not_in_is_not_offered(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    claude: OAuthClientRow,
    signed_in: httpx.Client,
) -> None:
    make_company(sessions, "globex")
    response = signed_in.get(authorize_url(claude, _mcp(live_server, "globex"), state="g"))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert 'name="consent_id"' not in response.text
    link = response.text.split('id="return-to-client"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert query_of(link.replace("&amp;", "&"))["error"] == "access_denied"


def test_the_generic_mcp_url_asks_which_company_when_there_is_a_choice(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    claude: OAuthClientRow,
    signed_in: httpx.Client,
) -> None:
    globex = make_company(sessions, "globex", "Globex")
    with sessions() as s:
        services.add_member(
            s,
            company=s.get(Company, globex),
            user=s.get(User, owner.user_id),
            role="bookkeeper",
            actor=Actor.system(globex),
        )
        s.commit()
    url = authorize_url(claude, f"{live_server.url}/mcp")
    picker = signed_in.get(url)
    assert picker.status_code == 200
    assert 'name="consent_id"' not in picker.text
    assert 'data-company="globex"' in picker.text
    page = signed_in.get(url + "&company=globex")
    assert 'id="consent-company">Globex<' in page.text
    assert 'id="change-company"' in page.text
    assert owner.authenticator is not None
    response = signed_in.post(
        "/oauth/authorize",
        data={
            **consent_form(page),
            "decision": "approve",
            "permissions": ["invoices:read", "reports:read"],
            "code": owner.authenticator.fresh_code(),
        },
    )
    assert response.status_code == 303, response.text
    [code] = _codes(sessions)
    assert code.company_id == globex
    assert code.resource == f"{live_server.url}/mcp"


def test_the_helper_other_tests_use_approves_everything_offered(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    claude: OAuthClientRow,
    signed_in: httpx.Client,
) -> None:
    assert owner.authenticator is not None
    query = approve_over_http(
        signed_in,
        live_server.url + authorize_url(claude, _mcp(live_server), scope="reports:read"),
        owner.authenticator.fresh_code(),
    )
    assert query["code"].startswith("nlac_") and query["iss"] == live_server.url
    [code] = _codes(sessions)
    assert code.permissions == "reports:read"


def test_a_registered_client_connects_only_to_the_company_that_registered_it(
    live_server: LiveServer, sessions: sessionmaker[Session], owner: Person
) -> None:
    globex = make_company(sessions, "globex", "Globex")
    with sessions() as s:
        services.add_member(
            s,
            company=s.get(Company, globex),
            user=s.get(User, owner.user_id),
            role="owner",
            actor=Actor.system(globex),
        )
        s.commit()
    own = make_client(sessions, kind="registered", name="Our MCP", company_id=owner.company_id)
    with client(live_server.url) as c:
        sign_in(c, owner)
        other_company = c.get(authorize_url(own, _mcp(live_server, "globex")))
        generic = c.get(authorize_url(own, f"{live_server.url}/mcp"))
    assert other_company.status_code == 400
    assert 'name="consent_id"' not in other_company.text
    # The generic URL asks no question: the one company it may connect to is preselected.
    assert generic.status_code == 200
    assert 'id="consent-company">Acme<' in generic.text
    assert 'id="client-verified"' in generic.text
    assert 'id="change-company"' not in generic.text
