"""The authorization request, over HTTP against a running server: what is refused, where the
refusal goes (an error page until the client and redirect URI are validated, the client's
redirect URI after), and that every authorization response carries ``iss`` (RFC 9207)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.models import ConsentRequest
from tests.conftest import LiveServer
from tests.support.oauth_authorize import (
    CLAUDE_REDIRECT,
    OAuthClientRow,
    authorize_url,
    make_client,
    query_of,
)
from tests.support.workspace import Person, client, make_company, make_person, sign_in


@pytest.fixture
def owner(sessions: sessionmaker[Session]) -> Person:
    return make_person(sessions, "owner@example.com", company="acme", with_2fa=True)


@pytest.fixture
def registered(sessions: sessionmaker[Session], owner: Person) -> OAuthClientRow:
    """A client an admin registered (verified): its errors go back automatically."""
    return make_client(sessions, kind="registered", name="Claude", company_id=owner.company_id)


@pytest.fixture
def browser_of(live_server: LiveServer, owner: Person) -> httpx.Client:
    c = client(live_server.url)
    sign_in(c, owner)
    return c


def _mcp(live_server: LiveServer, slug: str | None = "acme") -> str:
    return f"{live_server.url}/mcp" + (f"/{slug}" if slug else "")


def _no_redirect(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert "Nothing was sent to the app" in response.text


# -------------------------------------------------------- before the redirect URI is trusted


@pytest.mark.parametrize(
    "presented",
    [
        "https://claude.ai/api/mcp/auth_callbackx",  # registered one is a prefix of it
        "https://claude.ai/api/mcp/auth_call",  # a prefix of the registered one
        "https://Claude.ai/api/mcp/auth_callback",  # case
        "https://claude.ai/api/mcp/AUTH_CALLBACK",
        "https://claude.ai/api/mcp/auth_callback/",  # trailing slash
        "https://claude.ai@evil.test/api/mcp/auth_callback",  # userinfo
        "https://evil.test@claude.ai/api/mcp/auth_callback",
        "https://claude.ai/api/mcp/../mcp/auth_callback",  # path traversal
        "https://claude.ai/api/mcp/%2e%2e/mcp/auth_callback",
        "https://claude.ai.evil.test/api/mcp/auth_callback",
        "http://localhost.evil.test/api/mcp/auth_callback",
        "javascript:alert(1)//claude.ai/api/mcp/auth_callback",
        "data:text/html,<script>alert(1)</script>",
        "https://claude.ai/api/mcp/auth_callback#frag",
        "https://claude.ai/api/mcp/auth_callback?x=1",
        "http://claude.ai/api/mcp/auth_callback",
    ],
)
def test_a_redirect_uri_that_is_not_registered_gets_an_error_page_not_a_redirect(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    registered: OAuthClientRow,
    presented: str,
) -> None:
    with client(live_server.url) as c:
        response = c.get(
            authorize_url(
                registered, _mcp(live_server), redirect_uri=presented, code_challenge_method="plain"
            )
        )
    _no_redirect(response)
    assert "redirect_uri mismatch" in response.text


def test_a_loopback_redirect_uri_matches_on_any_port_but_not_another_loopback_host(
    live_server: LiveServer, sessions: sessionmaker[Session], owner: Person
) -> None:
    inspector = make_client(
        sessions, name="MCP Inspector", redirect_uris=["http://127.0.0.1:6276/oauth/callback"]
    )
    with client(live_server.url) as c:
        other_port = c.get(
            authorize_url(
                inspector, _mcp(live_server), redirect_uri="http://127.0.0.1:51234/oauth/callback"
            )
        )
        other_host = c.get(
            authorize_url(
                inspector, _mcp(live_server), redirect_uri="http://localhost:6276/oauth/callback"
            )
        )
    assert other_port.status_code == 303  # accepted: on to sign-in
    assert other_port.headers["location"].startswith("/signin?next=")
    _no_redirect(other_host)


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"client_id": None}, "no client_id"),
        ({"client_id": "nloc_unknown"}, "unknown client_id"),
        ({"client_id": "https://evil.test/client.json"}, "unknown client_id"),
        ({"redirect_uri": None}, "no redirect_uri"),
        ({"state": "x" * 2049}, "state parameter is too long"),
    ],
)
def test_an_unknown_client_or_missing_redirect_uri_gets_an_error_page(
    live_server: LiveServer,
    registered: OAuthClientRow,
    overrides: dict[str, str | None],
    says: str,
) -> None:
    with client(live_server.url) as c:
        response = c.get(authorize_url(registered, _mcp(live_server), **overrides))
    _no_redirect(response)
    assert says in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_a_repeated_redirect_uri_gets_an_error_page(
    live_server: LiveServer, registered: OAuthClientRow
) -> None:
    url = authorize_url(registered, _mcp(live_server))
    with client(live_server.url) as c:
        response = c.get(url + "&redirect_uri=" + quote("https://evil.test/cb", safe=""))
    _no_redirect(response)


def test_a_valid_request_from_someone_not_signed_in_goes_to_sign_in_and_back(
    live_server: LiveServer, registered: OAuthClientRow
) -> None:
    url = authorize_url(registered, _mcp(live_server))
    with client(live_server.url) as c:
        response = c.get(url)
    assert response.status_code == 303
    assert query_of(response.headers["location"])["next"] == url


def test_an_invalid_request_from_someone_not_signed_in_is_not_redirected_to_the_client(
    live_server: LiveServer, registered: OAuthClientRow
) -> None:
    """RFC 9700 §4.11.2: nothing goes to a client before a person has signed in."""
    url = authorize_url(registered, _mcp(live_server), code_challenge_method="plain")
    with client(live_server.url) as c:
        response = c.get(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?")


# ---------------------------------------------------------- after: errors go to the client


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # absent means plain: a downgrade
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"resource": None}, "invalid_target"),
        ({"resource": "https://other.example/mcp"}, "invalid_target"),
        ({"resource": "REST"}, "invalid_target"),
        ({"resource": "MCP/nosuchcompany"}, "invalid_target"),
        ({"resource": "MCP/acme/"}, "invalid_target"),
    ],
)
def test_a_bad_request_from_a_verified_client_goes_back_with_error_state_and_iss(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    registered: OAuthClientRow,
    browser_of: httpx.Client,
    overrides: dict[str, str | None],
    error: str,
) -> None:
    overrides = dict(overrides)
    resource = overrides.pop("resource", _mcp(live_server))
    if resource == "REST":
        resource = f"{live_server.url}/api/v1"
    elif resource and resource.startswith("MCP/"):
        resource = f"{live_server.url}/mcp/{resource[4:]}"
    url = authorize_url(registered, resource, state="abc 123/+=", **overrides)
    response = browser_of.get(url)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(CLAUDE_REDIRECT + "?")
    query = query_of(location)
    assert query["error"] == error
    assert query["state"] == "abc 123/+="
    assert query["iss"] == live_server.url
    assert "code" not in query
    with sessions() as s:  # nothing waits for an answer
        assert s.scalar(select(func.count()).select_from(ConsentRequest)) == 0


def test_a_repeated_parameter_after_validation_is_an_invalid_request(
    live_server: LiveServer, registered: OAuthClientRow, browser_of: httpx.Client
) -> None:
    url = authorize_url(registered, _mcp(live_server)) + "&code_challenge_method=plain"
    response = browser_of.get(url)
    assert response.status_code == 303
    assert query_of(response.headers["location"])["error"] == "invalid_request"


def test_an_unverified_clients_error_is_shown_with_the_way_back_not_redirected(
    live_server: LiveServer, sessions: sessionmaker[Session], browser_of: httpx.Client
) -> None:
    """Anyone can register a dynamic client with any https redirect URI: an automatic error
    redirect would make NewLedger an open redirector (RFC 9700 §4.11.2)."""
    phishing = make_client(
        sessions, name="Totally NewLedger", redirect_uris=["https://evil.test/landing"]
    )
    response = browser_of.get(
        authorize_url(phishing, _mcp(live_server), code_challenge_method="plain", state="s1")
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert 'id="client-unverified"' in response.text
    assert "evil.test" in response.text
    link = response.text.split('id="return-to-client"')[0].rsplit('href="', 1)[1].split('"')[0]
    query = query_of(link.replace("&amp;", "&"))
    assert query["error"] == "invalid_request"
    assert query["state"] == "s1"
    assert query["iss"] == live_server.url


# ---------------------------------------------------------------------------- scope → screen


def test_an_empty_scope_offers_the_default_read_scopes(
    live_server: LiveServer, registered: OAuthClientRow, browser_of: httpx.Client
) -> None:
    page = browser_of.get(authorize_url(registered, _mcp(live_server), scope=""))
    assert page.status_code == 200, page.text
    assert 'value="invoices:read"' in page.text
    assert 'value="reports:read"' in page.text
    assert 'value="invoices:draft"' not in page.text


def test_unknown_and_user_only_scopes_are_ignored_not_fatal(
    live_server: LiveServer, registered: OAuthClientRow, browser_of: httpx.Client
) -> None:
    page = browser_of.get(
        authorize_url(
            registered,
            _mcp(live_server),
            scope="offline_access invoices:draft ledger:post openid other:thing",
        )
    )
    assert page.status_code == 200, page.text
    assert 'value="invoices:draft"' in page.text
    assert 'value="ledger:post"' not in page.text
    assert 'value="invoices:read"' not in page.text
    assert "offline_access" not in page.text


def test_the_consent_screen_cannot_be_framed_and_may_post_only_to_the_client(
    live_server: LiveServer, registered: OAuthClientRow, browser_of: httpx.Client
) -> None:
    page = browser_of.get(authorize_url(registered, _mcp(live_server)))
    assert page.status_code == 200, page.text
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'self' https://claude.ai;" in csp
    assert "script-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


# ----------------------------------------------------------------------- response details


def test_the_redirect_uris_own_query_is_kept_and_the_response_is_not_stored(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    owner: Person,
    browser_of: httpx.Client,
) -> None:
    tenant = make_client(
        sessions,
        kind="registered",
        company_id=owner.company_id,
        redirect_uris=["https://app.example/cb?tenant=7"],
    )
    response = browser_of.get(
        authorize_url(tenant, _mcp(live_server), response_type="token", state="s")
    )
    assert response.status_code == 303
    assert response.headers["cache-control"] == "no-store"
    location = response.headers["location"]
    assert location.startswith("https://app.example/cb?tenant=7&error=unsupported_response_type&")
    assert query_of(location)["tenant"] == "7"


def test_a_control_character_in_the_request_gets_the_error_page(
    live_server: LiveServer, registered: OAuthClientRow
) -> None:
    with client(live_server.url) as c:
        response = c.get(authorize_url(registered, _mcp(live_server), state="a\x00b"))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers


def test_a_client_registered_in_another_company_is_not_trusted_with_automatic_errors(
    live_server: LiveServer, sessions: sessionmaker[Session], browser_of: httpx.Client
) -> None:
    """ "Verified" means an administrator of the user's own company registered it."""
    elsewhere = make_company(sessions, "globex")
    foreign = make_client(
        sessions,
        kind="registered",
        company_id=elsewhere,
        redirect_uris=["https://globex.example/cb"],
    )
    error = browser_of.get(authorize_url(foreign, _mcp(live_server), code_challenge_method="plain"))
    assert error.status_code == 400
    assert "location" not in error.headers
    consent = browser_of.get(authorize_url(foreign, _mcp(live_server, None)))
    assert consent.status_code == 400
    assert 'name="consent_id"' not in consent.text


@pytest.mark.parametrize(
    ("logo_uri", "allowed"),
    [
        ("https://cdn.claude.example/logo.png", "https://cdn.claude.example"),
        ("http://cdn.claude.example/logo.png", None),  # https only
        ("https://a;script-src *.example/logo.png", None),  # nothing odd enters the CSP
        ("data:image/svg+xml,<svg/>", None),
    ],
)
def test_the_client_logo_is_shown_only_from_an_https_origin_the_csp_names(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    browser_of: httpx.Client,
    logo_uri: str,
    allowed: str | None,
) -> None:
    with_logo = make_client(sessions, name="Logo app", logo_uri=logo_uri)
    page = browser_of.get(authorize_url(with_logo, _mcp(live_server)))
    assert page.status_code == 200, page.text
    csp = page.headers["content-security-policy"]
    if allowed:
        assert f"img-src 'self' data: {allowed};" in csp
        assert f'src="{logo_uri}"' in page.text
        assert 'referrerpolicy="no-referrer"' in page.text
    else:
        assert "img-src 'self' data:;" in csp
        assert 'class="oauth-logo"' not in page.text
