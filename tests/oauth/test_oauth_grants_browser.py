"""OAuth Connections in a real Chromium: the list (an idle connection flagged), one connection's
detail page, and Delete with an authenticator code. Screenshots:
``test-output/screenshots/oauth-connections.png`` and ``oauth-connection-detail.png``."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.models import OAuthConnection
from newledger.db import utcnow
from newledger.identity.models import Company, User
from newledger.identity.permissions import Permission
from tests.conftest import LiveServer
from tests.support.appconnect import Tenant
from tests.support.browser import (  # noqa: F401  (pytest fixtures)
    browser_fixture,
    page_fixture,
    save_screenshot,
    sign_in,
)
from tests.support.oauth_grants import consent, make_client, redeem
from tests.support.workspace import PASSWORD, make_person

pytestmark = [pytest.mark.browser]


def test_an_owner_reviews_oauth_connections_and_deletes_one_with_a_code(
    page: Page, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    url = live_server.url
    owner = make_person(sessions, "olive@example.com", company="studio", with_2fa=True)
    viewer = make_person(sessions, "vic@example.com", role="viewer", company="studio")
    phone = owner.authenticator
    assert phone is not None
    with sessions() as session:
        company = session.get(Company, owner.company_id)
        user = session.get(User, owner.user_id)
        assert company is not None and user is not None
        tenant = Tenant(company, user, user)
    resource = f"{url}/mcp/studio"  # what the server itself calls its MCP URL
    made = {}
    for name, user_id, permissions in (
        ("Claude", owner.user_id, (Permission.INVOICES_READ, Permission.REPORTS_READ)),
        ("ChatGPT", viewer.user_id, (Permission.REPORTS_READ,)),
    ):
        client = make_client(sessions, name=name)
        code = consent(sessions, tenant, client, resource, user_id=user_id, permissions=permissions)
        assert redeem(url, client, code).status_code == 200
        made[name] = client.pk
    with sessions.begin() as session:  # ChatGPT was approved long ago and not used since
        long_ago = utcnow() - dt.timedelta(days=45)
        session.execute(
            update(OAuthConnection)
            .where(OAuthConnection.client_pk == made["ChatGPT"])
            .values(created_at=long_ago, last_used_at=long_ago + dt.timedelta(days=2))
        )

    sign_in(page, url, owner.email, PASSWORD, code=phone.fresh_code())
    page.goto(f"{url}/settings/appconnect")
    page.click("#tab-oauth-connections")
    rows = page.locator("#connections tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("[data-idle]")).to_have_count(1)
    expect(page.locator("#connections")).to_contain_text("vic@example.com")
    save_screenshot(page, "oauth-connections")

    page.click("#connections a:text-matches('^Claude')")
    expect(page.locator("#mcp-url")).to_have_text(resource)
    expect(page.locator("#permissions")).to_contain_text("reports:read")
    expect(page.locator("#client-metadata")).to_contain_text("claude.ai/api/mcp/auth_callback")
    expect(page.locator("#connection-activity")).to_contain_text("appconnect:connection:created")
    save_screenshot(page, "oauth-connection-detail")

    page.fill("#stepup-code-delete", phone.fresh_code())
    page.click("#delete-form button[type=submit]")
    expect(page.locator("#done")).to_contain_text("Connection deleted")
    expect(page.locator("h1 [data-status]")).to_have_text("deleted")
