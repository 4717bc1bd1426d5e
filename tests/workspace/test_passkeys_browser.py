"""Passkeys in a real Chromium with a virtual authenticator (CTAP2, internal, resident keys, user
verification): add one on Settings → Security, sign in with it (as the second step and on its
own), approve an OAuth consent with it, and rotate an app's secret with it.

WebAuthn refuses IP addresses as relying-party ids, so this module's server is reached as
``localhost`` (its public URL, hence its RP id). Screenshots: ``test-output/screenshots/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.models import App, AuthorizationCode
from newledger.audit.models import Activity
from newledger.identity.models import Passkey
from tests.conftest import LiveServer
from tests.support.appconnect_ui import make_app
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
    sign_out,
)
from tests.support.oauth_authorize import (  # noqa: F401  (callback_url is a pytest fixture)
    authorize_url,
    callback_url_fixture,
    make_client,
    new_pkce,
)
from tests.support.workspace import PASSWORD, Person, make_person

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    running = LiveServer(database_url, tmp_path_factory.mktemp("passkeys"), public_host="localhost")
    yield running
    running.stop()


def _authenticator(page: Page) -> str:
    """A virtual platform authenticator in this page's browser context; its id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return str(added["authenticatorId"])


def _add_passkey(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/account/security")
    page.fill("#passkey-new-name", name)
    page.click("#passkey-add")
    page.wait_for_url(re.compile(r"/account/security/passkeys/new"))
    expect(page.locator("h1")).to_contain_text(name)
    page.click("#passkey-create")
    expect(page.locator("#recovery-codes li")).to_have_count(10)  # the first second factor
    page.click("#continue")
    expect(page.locator("#passkey-list .passkey-name")).to_have_text([name])


def _passkey_person(page: Page, url: str, sessions: sessionmaker[Session], email: str) -> Person:
    """A person whose only second factor is a passkey on this page's virtual authenticator."""
    person = make_person(sessions, email)
    _authenticator(page)
    sign_in(page, url, person.email, PASSWORD)
    _add_passkey(page, url, "This browser")
    return person


def test_add_a_passkey_then_sign_in_with_it_as_second_step_and_on_its_own(
    page: Page, server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    url = server.url
    person = make_person(sessions, "browser-pk@example.com")
    _authenticator(page)
    sign_in(page, url, person.email, PASSWORD)
    _add_passkey(page, url, "Work laptop")
    save_screenshot(page, "passkeys-security")
    expect(page.locator("#second-factor-status")).to_contain_text("a passkey")

    sign_out(page)
    page.fill("input[name=email]", person.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url(re.compile(r"/signin/totp"))
    expect(page.locator("#totp-form")).to_have_count(0)  # no TOTP: the passkey is asked for
    page.click("#passkey-2fa")
    page.wait_for_url(f"{url}/")
    expect(page.locator("#account-link")).to_have_text(person.email)

    sign_out(page)
    expect(page.locator("#passkey-signin-form")).to_be_visible()  # the browser has passkeys
    page.click("#passkey-signin")
    page.wait_for_url(f"{url}/")
    expect(page.locator("#account-link")).to_have_text(person.email)

    with sessions() as s:
        [passkey] = s.scalars(select(Passkey)).all()
        assert passkey.name == "Work laptop" and passkey.last_used_at is not None
        methods = [
            a.details["method"]
            for a in s.scalars(
                select(Activity)
                .where(Activity.event == "identity:login:succeeded")
                .order_by(Activity.id)
            )
        ]
    assert methods == ["password", "passkey", "passkey"]


def test_approve_an_oauth_consent_with_a_passkey(
    page: Page, server: LiveServer, sessions: sessionmaker[Session], callback_url: str
) -> None:
    url = server.url
    _passkey_person(page, url, sessions, "consent-pk@example.com")
    inspector = make_client(sessions, name="MCP Inspector", redirect_uris=[callback_url])
    _, challenge = new_pkce()
    page.goto(
        url
        + authorize_url(
            inspector,
            f"{url}/mcp/acme",
            state="pk-state",
            code_challenge=challenge,
            scope="invoices:read reports:read",
        )
    )
    expect(page.locator("#client-name")).to_have_text("MCP Inspector")
    expect(page.locator("#consent-code")).to_have_count(0)
    expect(page.locator("#consent-passkey-hint")).to_be_visible()
    page.uncheck("#perm-reports-read")
    save_screenshot(page, "passkeys-consent")
    page.click("#approve")

    page.wait_for_url(re.compile(re.escape(callback_url) + r"\?"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert query["state"] == "pk-state" and query["code"].startswith("nlac_")
    with sessions() as s:
        code = s.scalar(select(AuthorizationCode))
        assert code is not None and code.permissions == "invoices:read"
        confirmed = s.scalars(
            select(Activity).where(Activity.event == "identity:stepup:confirmed")
        ).all()
        assert [a.details for a in confirmed] == [{"action": "oauth.consent", "method": "passkey"}]


def test_rotate_an_app_secret_with_a_passkey(
    page: Page, server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    url = server.url
    person = _passkey_person(page, url, sessions, "rotate-pk@example.com")
    client_id, _ = make_app(sessions, person, "invoices:read", name="Receipt Bot")
    page.goto(f"{url}/settings/appconnect/apps/{client_id}")
    page.select_option("#grace", "3600")
    page.click("#rotate-form button[type=submit]")
    expect(page.locator("#stepup-facts")).to_contain_text("Receipt Bot")
    expect(page.locator("#stepup-facts")).to_contain_text("1 hour")
    expect(page.locator("#code")).to_have_count(0)  # passkey only: no code field
    save_screenshot(page, "passkeys-stepup")
    page.click("#stepup-passkey")
    expect(page.locator("#client-secret")).to_be_visible()
    with sessions() as s:
        app = s.scalar(select(App).where(App.client_id == client_id))
        assert app is not None and app.previous_secret_digest is not None
        confirmed = s.scalars(
            select(Activity).where(Activity.event == "identity:stepup:confirmed")
        ).all()
        assert [a.details for a in confirmed] == [{"action": "app.rotate", "method": "passkey"}]
