"""Consent in a real Chromium, the way an MCP client sends a person there: the generic MCP URL,
sign-in with a TOTP code on the way, the company chosen on screen, one permission unticked,
approval with a fresh code, and the browser back at the client's loopback redirect URI with
the code, ``state`` and ``iss``. Screenshot: ``test-output/screenshots/consent.png``."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.appconnect import secrets
from newledger.appconnect.models import AuthorizationCode
from newledger.identity import services
from newledger.identity.models import Company, User
from tests.conftest import LiveServer
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
)
from tests.support.oauth_authorize import (  # noqa: F401  (callback_url is a pytest fixture)
    authorize_url,
    callback_url_fixture,
    make_client,
    new_pkce,
)
from tests.support.workspace import PASSWORD, make_company, make_person

pytestmark = [pytest.mark.browser]


def test_a_person_connects_an_mcp_client_on_the_generic_url_choosing_the_company(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session], callback_url: str
) -> None:
    url = live_server.url
    owner = make_person(sessions, "owner@example.com", company="acme", with_2fa=True)
    phone = owner.authenticator
    assert phone is not None
    globex = make_company(sessions, "globex", "Globex Trading")
    with sessions() as s:
        services.add_member(
            s,
            company=s.get(Company, globex),
            user=s.get(User, owner.user_id),
            role="bookkeeper",
            actor=Actor.system(globex),
        )
        s.commit()
    inspector = make_client(
        sessions,
        name="MCP Inspector",
        redirect_uris=[callback_url],
        client_uri="https://modelcontextprotocol.io",
    )
    _, challenge = new_pkce()
    start = url + authorize_url(
        inspector,
        f"{url}/mcp",
        state="browser-state",
        code_challenge=challenge,
        scope="invoices:read invoices:draft expenses:read reports:read offline_access",
    )

    page.goto(start)  # not signed in: the sign-in form first, then back
    page.wait_for_url(re.compile(r"/signin\?"))
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url(re.compile(r"/signin/totp"))
    page.fill("input[name=code]", phone.fresh_code())
    page.click("form[action^='/signin/totp'] button[type=submit]")

    page.wait_for_url(re.compile(r"/oauth/authorize\?"))
    expect(page.locator("#choose-company h1")).to_contain_text("Which company")
    page.click("#company-choices a[data-company=globex]")

    expect(page.locator("#consent-company")).to_have_text("Globex Trading")
    expect(page.locator("#client-name")).to_have_text("MCP Inspector")
    expect(page.locator("#client-unverified")).to_be_visible()
    expect(page.locator("#client-domain")).to_have_text("modelcontextprotocol.io")
    expect(page.locator("#return-host")).to_have_text(urlsplit(callback_url).netloc)
    for name in ("invoices-read", "invoices-draft", "expenses-read", "reports-read"):
        expect(page.locator(f"#perm-{name}")).to_be_checked()
    page.uncheck("#perm-invoices-draft")
    page.fill("#consent-code", phone.fresh_code())
    save_screenshot(page, "consent")
    page.click("#approve")

    page.wait_for_url(re.compile(re.escape(callback_url) + r"\?"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert query["state"] == "browser-state"
    assert query["iss"] == url
    assert query["code"].startswith("nlac_")
    with sessions() as s:
        code = s.scalar(select(AuthorizationCode))
        assert code is not None
        assert code.code_digest == secrets.digest(query["code"])
        assert code.company_id == globex
        assert code.resource == f"{url}/mcp"
        assert code.permissions == "expenses:read invoices:read reports:read"
        assert code.code_challenge == challenge
