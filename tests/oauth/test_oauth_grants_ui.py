"""Settings → App Connect → OAuth Connections over HTTP: who sees which connections, the detail
page, and Delete (with a fresh TOTP code) ending the connection's tokens on the next request
while the drafts it made stay for review."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import audience
from newledger.appconnect.auth import authenticate_bearer
from newledger.appconnect.tokens import parse_access_token
from newledger.errors import AuthenticationFailed
from newledger.identity.models import Company, User
from newledger.identity.permissions import Permission
from newledger.ledger.expenses import create_draft_expense
from newledger.ledger.models import Expense
from tests.conftest import LiveServer
from tests.support.appconnect import Tenant
from tests.support.books import Books, make_books
from tests.support.oauth_grants import Client, consent, make_client, redeem, refresh
from tests.support.workspace import Person, client, csrf, make_person, sign_in

BASE = "/settings/appconnect/connections"
TAB = "/settings/appconnect?tab=oauth-connections"


@dataclass
class Office:
    books: Books
    owner: Person  # with 2FA
    viewer: Person

    @property
    def tenant(self) -> Tenant:
        return self.books.tenant


@pytest.fixture
def office(sessions: sessionmaker[Session]) -> Office:
    owner = make_person(sessions, "olive@example.com", company="studio", with_2fa=True)
    viewer = make_person(sessions, "vic@example.com", role="viewer", company="studio")
    with sessions.begin() as session:
        company = session.scalar(select(Company).where(Company.slug == "studio"))
        user = session.get(User, owner.user_id)
        assert company is not None and user is not None
        books = make_books(session, company=company, owner=user)
    return Office(books, owner, viewer)


def connect(
    server: LiveServer,
    sessions: sessionmaker[Session],
    office: Office,
    user_id: int,
    name: str,
    *permissions: Permission,
) -> dict[str, str]:
    c = make_client(sessions, name=name)
    resource = audience.company_mcp_url("studio")
    code = consent(
        sessions,
        office.tenant,
        c,
        resource,
        user_id=user_id,
        permissions=permissions or (Permission.INVOICES_READ,),
    )
    response = redeem(server.url, c, code)
    assert response.status_code == 200, response.text
    return {**response.json(), "client_id": c.client_id, "pk": str(c.pk)}


def connection_id(token: str) -> int:
    return parse_access_token(token).grant_id


def test_owners_see_every_connection_and_members_only_their_own(
    live_server: LiveServer, sessions: sessionmaker[Session], office: Office
) -> None:
    accountants = connect(live_server, sessions, office, office.books.accountant.id, "Claude")
    viewers = connect(live_server, sessions, office, office.viewer.user_id, "ChatGPT")
    accountant_conn = connection_id(accountants["access_token"])
    viewer_conn = connection_id(viewers["access_token"])
    with client(live_server.url) as c:
        sign_in(c, office.owner)
        page = c.get(TAB)
        assert page.status_code == 200
        assert f'data-connection-id="{accountant_conn}"' in page.text
        assert f'data-connection-id="{viewer_conn}"' in page.text
        assert "vic@example.com" in page.text
        assert 'data-verified="0"' in page.text  # dynamic clients are unverified
        detail = c.get(f"{BASE}/{accountant_conn}")
        assert detail.status_code == 200
        assert audience.company_mcp_url("studio") in detail.text
        assert "<code>invoices:read</code>" in detail.text
        assert "https://claude.ai/api/mcp/auth_callback" in detail.text  # client metadata
        assert 'data-event="appconnect:connection:created"' in detail.text
    with client(live_server.url) as c:
        sign_in(c, office.viewer)
        page = c.get(TAB)
        assert page.status_code == 200  # a viewer cannot manage apps, but sees their own
        assert f'data-connection-id="{viewer_conn}"' in page.text
        assert f'data-connection-id="{accountant_conn}"' not in page.text
        assert c.get(f"{BASE}/{accountant_conn}").status_code == 404
        # API Credentials is not theirs: asking for it shows their OAuth Connections instead.
        asked = c.get("/settings/appconnect?tab=api-credentials")
        assert 'id="panel-oauth-connections"' in asked.text and 'id="apps"' not in asked.text


def _accepted(sessions: sessionmaker[Session], token: str) -> bool:
    with sessions.begin() as session:
        try:
            authenticate_bearer(session, token, resource=audience.company_mcp_url("studio"))
        except AuthenticationFailed:
            return False
    return True


def test_deleting_a_connection_needs_a_totp_code_ends_its_tokens_and_keeps_its_drafts(
    live_server: LiveServer, sessions: sessionmaker[Session], office: Office
) -> None:
    pair = connect(
        live_server,
        sessions,
        office,
        office.books.accountant.id,
        "Claude",
        Permission.EXPENSES_READ,
        Permission.EXPENSES_DRAFT,
    )
    conn = connection_id(pair["access_token"])
    with sessions.begin() as session:
        actor = authenticate_bearer(
            session, pair["access_token"], resource=audience.company_mcp_url("studio")
        )
        draft = create_draft_expense(
            session,
            actor,
            date="2025-03-01",
            lines=[
                {"description": "Train", "amount": "42.50", "account_id": office.books.acct("7000")}
            ],
        )
        draft_id = draft.id
    authenticator = office.owner.authenticator
    assert authenticator is not None
    with client(live_server.url) as c:
        sign_in(c, office.owner)
        token = csrf(c.get(f"{BASE}/{conn}").text)
        asked = c.post(f"{BASE}/{conn}/delete", data={"csrf_token": token})
        assert asked.status_code == 200  # the step-up confirmation page, nothing deleted
        assert _accepted(sessions, pair["access_token"])
        wrong = c.post(f"{BASE}/{conn}/delete", data={"csrf_token": token, "code": "123456"})
        assert wrong.status_code == 400
        assert _accepted(sessions, pair["access_token"])
        done = c.post(
            f"{BASE}/{conn}/delete", data={"csrf_token": token, "code": authenticator.fresh_code()}
        )
        assert done.status_code == 303
        detail = c.get(done.headers["location"])
        assert 'id="done"' in detail.text and 'data-status="deleted"' in detail.text
        assert 'data-event="appconnect:connection:deleted"' in detail.text
        assert 'id="delete-form"' not in detail.text
        assert f'data-connection-id="{conn}"' not in c.get(TAB).text
    assert not _accepted(sessions, pair["access_token"])
    assert (
        refresh(
            live_server.url, Client(int(pair["pk"]), pair["client_id"]), pair["refresh_token"]
        ).status_code
        == 400
    )
    with sessions() as session:
        kept = session.get(Expense, draft_id)
        assert kept is not None and kept.status == "draft"
        assert kept.source_connection_id == conn
