"""Settings → App Connect → Register OAuth App, over real HTTP and in a real Chromium: a verified
OAuth client for a custom MCP client, public or confidential (its secret shown once), behind an
authenticator code."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.clients import client_label, redirect_uris_of
from newledger.appconnect.models import OAuthClient
from newledger.audit.models import Activity
from tests.conftest import LiveServer
from tests.support.appconnect import server_key
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
)
from tests.support.browser import sign_in as browser_sign_in
from tests.support.workspace import PASSWORD, Person, client, csrf, make_person, sign_in

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")

PATH = "/settings/appconnect/oauth-apps/new"
_CLIENT_ID = re.compile(r'<code id="client-id">([^<]+)</code>')
_SECRET = re.compile(r'<code id="client-secret">([^<]+)</code>')


def _post(c: httpx.Client, person: Person, **fields: str) -> httpx.Response:
    assert person.authenticator is not None
    token = csrf(c.get(PATH).text)
    data = {"csrf_token": token, "code": person.authenticator.fresh_code(), **fields}
    return c.post(PATH, data=data)


def _stored(sessions: sessionmaker[Session], client_id: str) -> OAuthClient:
    with sessions() as session:
        row = session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
        assert row is not None
        return row


def test_an_owner_registers_a_confidential_app_and_sees_its_secret_once(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "owner@example.com", with_2fa=True)
    with client(live_server.url) as c:
        sign_in(c, owner)
        assert 'id="register-oauth-app"' in c.get("/settings/appconnect?tab=oauth-connections").text
        response = _post(
            c,
            owner,
            name="Finance MCP",
            logo_uri="https://finance.example/logo.png",
            redirect_uris="https://finance.example/oauth/callback\r\nhttp://127.0.0.1/callback",
            client_type="confidential",
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"].startswith("no-store")
        client_id, secret = _CLIENT_ID.search(response.text), _SECRET.search(response.text)
        assert client_id and secret
        assert client_id.group(1).startswith("nloc_") and secret.group(1).startswith("nlcs_")
        assert "You will not see this secret again" in response.text
        assert f"{live_server.url}/mcp/acme" in response.text
        stored = _stored(sessions, client_id.group(1))
        assert (stored.kind, stored.company_id, stored.name) == (
            "registered",
            owner.company_id,
            "Finance MCP",
        )
        assert stored.token_endpoint_auth_method == "client_secret_basic"
        assert redirect_uris_of(stored) == [
            "https://finance.example/oauth/callback",
            "http://127.0.0.1/callback",
        ]
        assert client_label(stored).verified
        assert secret.group(1) not in (stored.secret_digest or "")
        # The secret authenticates at the token endpoint (and the grant decides the rest).
        token = httpx.post(
            f"{live_server.url}/oauth/token",
            data={"grant_type": "authorization_code", "code": "nlac_x"},
            auth=(client_id.group(1), secret.group(1)),
        )
        assert token.status_code == 400 and token.json()["error"] != "invalid_client"
    with sessions() as session:
        row = session.scalar(
            select(Activity).where(Activity.event == "appconnect:oauth_client:registered")
        )
        assert row is not None and row.company_id == owner.company_id
        assert row.actor_user_id == owner.user_id
        assert secret.group(1) not in str(row.details)


def test_a_public_app_gets_no_secret(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "owner@example.com", with_2fa=True)
    with client(live_server.url) as c:
        sign_in(c, owner)
        response = _post(
            c,
            owner,
            name="Dev client",
            redirect_uris="http://localhost:8976/callback",
            client_type="public",
        )
        assert response.status_code == 200, response.text
        assert _SECRET.search(response.text) is None
        assert 'id="public-notice"' in response.text
        client_id = _CLIENT_ID.search(response.text)
        assert client_id
        stored = _stored(sessions, client_id.group(1))
        assert stored.token_endpoint_auth_method == "none" and stored.secret_digest is None
        assert stored.application_type == "native"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"redirect_uris": "http://finance.example/cb"}, "redirect_uris", "must use https"),
        ({"redirect_uris": "https://finance.example/cb#x"}, "redirect_uris", "fragment"),
        ({"redirect_uris": "https://*.finance.example/cb"}, "redirect_uris", "wildcards"),
        ({"redirect_uris": ""}, "redirect_uris", "redirect_uris"),
        ({"logo_uri": "javascript:alert(1)"}, "logo_uri", "https"),
        ({"name": ""}, "name", "name"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_stored(
    live_server: LiveServer,
    sessions: sessionmaker[Session],
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    owner = make_person(sessions, "owner@example.com", with_2fa=True)
    form = {
        "name": "Finance MCP",
        "redirect_uris": "https://finance.example/cb",
        "client_type": "public",
        **fields,
    }
    with client(live_server.url) as c:
        sign_in(c, owner)
        response = _post(c, owner, **form)
    assert response.status_code == 422
    assert f'id="error-{field}"' in response.text
    assert message in response.text
    with sessions() as session:
        assert session.scalar(select(OAuthClient.id)) is None


def test_registering_needs_an_authenticator_code_and_app_connect_management(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "owner@example.com", with_2fa=True)
    viewer = make_person(sessions, "viewer@example.com", role="viewer", with_2fa=True)
    form = {"name": "X", "redirect_uris": "https://x.example/cb", "client_type": "public"}
    with client(live_server.url) as c:
        sign_in(c, owner)
        token = csrf(c.get(PATH).text)
        no_code = c.post(PATH, data={"csrf_token": token, **form})
        assert no_code.status_code == 200 and "Authenticator code" in no_code.text
        wrong = c.post(PATH, data={"csrf_token": token, "code": "000000", **form})
        assert wrong.status_code == 400
    with client(live_server.url) as c:
        sign_in(c, viewer)
        assert c.get(PATH).status_code == 403
    with sessions() as session:
        assert session.scalar(select(OAuthClient.id)) is None


@pytest.mark.browser
def test_register_oauth_app_in_the_browser(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "owner@example.com", with_2fa=True)
    phone = owner.authenticator
    assert phone is not None
    url = live_server.url
    browser_sign_in(page, url, owner.email, PASSWORD, code=phone.fresh_code())
    page.goto(f"{url}/settings/appconnect?tab=oauth-connections")
    page.click("#register-oauth-app")
    page.fill("#oauth-app-name", "Finance team MCP client")
    page.fill("#oauth-app-logo", "https://finance.example/logo.png")
    page.fill(
        "#oauth-app-redirect-uris",
        "https://finance.example/oauth/callback\nhttp://127.0.0.1/callback",
    )
    page.check("#client-type-confidential")
    page.fill("#stepup-code-register", phone.fresh_code())
    save_screenshot(page, "register-oauth-app")
    page.click("#register-oauth-app-form button[type=submit]")
    expect(page.locator("#secret-warning")).to_contain_text("You will not see this secret again")
    assert page.inner_text("#client-id").strip().startswith("nloc_")
    assert page.inner_text("#client-secret").strip().startswith("nlcs_")
    expect(page.locator("#redirect-uris li")).to_have_count(2)
    save_screenshot(page, "register-oauth-app-secret")
