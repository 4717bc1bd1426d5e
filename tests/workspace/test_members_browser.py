"""The member lifecycle in a real Chromium: an owner invites someone who has an account; they
sign in, see the invitation, accept it and see the company; they create an API credential app;
the owner removes them, and the app's token is refused on its next request. Screenshots go to
``test-output/screenshots/members-*.png``."""

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
    sign_out,
)
from tests.support.workspace import PASSWORD, make_person

__all__ = ["server_key"]

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_key")]


def test_invite_accept_create_an_app_then_removal_refuses_the_apps_token(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    url = live_server.url
    owner = make_person(sessions, "owner@example.com", role="owner", with_2fa=True)
    invitee = make_person(sessions, "invitee@example.com", role=None, with_2fa=True)
    boss, phone = owner.authenticator, invitee.authenticator
    assert boss is not None and phone is not None

    # The owner invites the existing account.
    sign_in(page, url, owner.email, PASSWORD, code=boss.fresh_code())
    page.goto(f"{url}/settings/members")
    page.fill("#member-email", invitee.email)
    page.select_option("#member-role", "accountant")
    page.fill("#stepup-code-invite", boss.fresh_code())
    page.click("#invite-form button[type=submit]")
    expect(page.locator("#invited-notice")).to_contain_text(
        "Invitation sent to invitee@example.com"
    )
    expect(page.locator("#invitations tr[data-email='invitee@example.com']")).to_have_count(1)
    save_screenshot(page, "members-invited")
    sign_out(page)

    # The invitee signs in, sees the invitation, accepts it and is in the company.
    sign_in(page, url, invitee.email, PASSWORD, code=phone.fresh_code())
    expect(page.locator("#invitations-notice")).to_contain_text("1 invitation")
    page.click("#invitations-notice a")
    expect(page.locator("#pending-invitations tr[data-company='acme']")).to_contain_text(
        "accountant"
    )
    save_screenshot(page, "members-invitation")
    page.click("#pending-invitations tr[data-company='acme'] .accept-form button")
    expect(page.locator("#current-company")).to_have_text("Acme")
    save_screenshot(page, "members-accepted")

    # As a member, the invitee creates an API credential app (with a fresh code).
    page.goto(f"{url}/settings/appconnect/apps/new?type=api-credentials")
    page.fill("#app-name", "Invitee sync")
    page.check("#perm-invoices-read")
    page.fill("#stepup-code-create", phone.fresh_code())
    page.click("#create-app-form button[type=submit]")
    client_id = page.inner_text("#client-id").strip()
    secret = page.inner_text("#client-secret").strip()
    token = token_response(url, client_id, secret)
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert httpx.get(f"{url}/api/v1/me", headers=bearer).status_code == 200
    sign_out(page)

    # The owner removes the member, confirming with a code.
    sign_in(page, url, owner.email, PASSWORD, code=boss.fresh_code())
    page.goto(f"{url}/settings/members")
    page.click("#members tr[data-email='invitee@example.com'] .remove-form button")
    expect(page.locator("h1")).to_have_text("Confirm: Remove this member")
    page.fill("#code", boss.fresh_code())
    page.click("#stepup-form button[type=submit]")
    expect(page.locator("#members-notice")).to_contain_text("Member removed")
    expect(page.locator("#members tr[data-email='invitee@example.com']")).to_have_count(0)
    save_screenshot(page, "members-removed")

    # The invitee's app is refused on its very next request, and gets no new token.
    me = httpx.get(f"{url}/api/v1/me", headers=bearer)
    assert me.status_code == 401, me.text
    assert 'error="invalid_token"' in me.headers["www-authenticate"]
    assert token_response(url, client_id, secret).status_code == 401
