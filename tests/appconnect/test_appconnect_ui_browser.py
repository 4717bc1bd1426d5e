"""App Connect in a real Chromium: create an app through the form, read the client id and the
one-time secret off the page, exchange them at /oauth/token, then revoke the app with an
authenticator code. Screenshots go to ``test-output/screenshots/appconnect-*.png``."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import LiveServer
from tests.support.appconnect import server_key
from tests.support.appconnect_ui import token_response
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
)
from tests.support.workspace import PASSWORD, make_person

__all__ = ["server_key"]

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_key")]


def test_an_owner_creates_an_app_uses_its_secret_then_revokes_it_with_a_code(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    url = live_server.url
    owner = make_person(sessions, "owner@example.com", role="owner", with_2fa=True)
    phone = owner.authenticator
    assert phone is not None
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    sign_in(page, url, owner.email, PASSWORD, code=phone.fresh_code())

    page.goto(f"{url}/settings")
    page.click("text=App Connect")
    page.click("#create-app")
    expect(page.locator("#choose-oauth-app")).to_have_attribute(
        "href", "/settings/appconnect/oauth-apps/new"
    )
    save_screenshot(page, "appconnect-create-choose")
    page.click("#choose-api-credentials")
    page.fill("#app-name", "Nightly CRM sync")
    page.fill("#app-description", "Copies paid invoices to the CRM every night; run by Ops.")
    page.check("#perm-invoices-read")
    page.check("#perm-reports-read")
    expect(page.locator("#perm-ledger-post")).to_have_count(0)
    page.fill("#stepup-code-create", phone.fresh_code())
    save_screenshot(page, "appconnect-create")
    page.click("#create-app-form button[type=submit]")

    expect(page.locator("#secret-warning")).to_contain_text("You will not see this secret again")
    client_id = page.inner_text("#client-id").strip()
    secret = page.inner_text("#client-secret").strip()
    assert client_id.startswith("nlci_") and secret.startswith("nlcs_")
    # The copy button (static/app.js) is revealed and copies exactly the secret.
    copy = page.locator("button.copy[data-copy='#client-secret']")
    expect(copy).to_be_visible()
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    save_screenshot(page, "appconnect-secret")

    token = token_response(url, client_id, secret)
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert httpx.get(f"{url}/api/v1/me", headers=bearer).status_code == 200

    page.click("#to-detail")
    expect(page.locator("h1 .badge")).to_have_text("active")
    expect(page.locator("#app-description")).to_have_text(
        "Copies paid invoices to the CRM every night; run by Ops."
    )
    assert secret not in page.content()
    page.click("#revoke-form button[type=submit]")
    expect(page.locator("#stepup-facts")).to_contain_text(client_id)  # names what it confirms
    page.fill("#stepup-form #code", phone.fresh_code())
    page.click("#stepup-form button[type=submit]")
    expect(page.locator("#done")).to_contain_text("Access revoked")
    expect(page.locator("h1 .badge")).to_have_text("revoked")
    expect(page.locator("#app-activity tr[data-event='appconnect:app:revoked']")).to_have_count(1)
    save_screenshot(page, "appconnect-detail")

    assert httpx.get(f"{url}/api/v1/me", headers=bearer).status_code == 401
    assert token_response(url, client_id, secret).status_code == 401

    page.goto(f"{url}/settings/appconnect")
    row = page.locator(f"#apps tr[data-client-id='{client_id}']")
    expect(row.locator(".badge")).to_have_text("revoked")
    save_screenshot(page, "appconnect-list")
