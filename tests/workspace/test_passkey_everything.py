"""A TOTP-only person and a passkey-only person can both do every sensitive thing, over real
HTTP: approve an OAuth consent; create, rotate, revoke, restore and delete an app; change a
member's role; deactivate someone. Each is confirmed with that person's own second factor and
recorded with how it was confirmed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.models import App, AuthorizationCode
from newledger.audit.models import Activity
from newledger.identity.models import Membership, User
from tests.conftest import LiveServer
from tests.support.appconnect_ui import BASE, create_form_data, shown
from tests.support.oauth_authorize import authorize_url, consent_form, make_client, query_of
from tests.support.passkeys import answer_with_passkey, make_passkey_person
from tests.support.workspace import client, csrf, make_person, sign_in

Confirm = Callable[[str, dict[str, Any]], httpx.Response]


def _person_with(
    factor: str, c: httpx.Client, sessions: sessionmaker[Session], url: str, email: str
) -> Confirm:
    """Sign ``email`` (an owner of acme) in on ``c``; return how they confirm a form post."""
    person = make_person(sessions, email, with_2fa=factor == "totp")
    sign_in(c, person)
    if factor == "totp":
        phone = person.authenticator
        assert phone is not None
        return lambda path, data: c.post(path, data={**data, "code": phone.fresh_code()})
    device = make_passkey_person(c, person, url)
    return lambda path, data: answer_with_passkey(c, path, data, device)


# TOTP codes are single-use per 30-second step, so eight confirmations wait out several steps.
@pytest.mark.parametrize("factor", [pytest.param("totp", marks=pytest.mark.slow), "passkey"])
def test_every_sensitive_action_with_either_second_factor(
    factor: str, live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    clerk = make_person(sessions, f"clerk-{factor}@example.com", role="viewer")
    oauth_client = make_client(sessions, name="Claude")
    with client(live_server.url) as c:
        confirm = _person_with(factor, c, sessions, live_server.url, f"{factor}@example.com")

        # OAuth consent.
        page = c.get(authorize_url(oauth_client, f"{live_server.url}/mcp/acme", state="s1"))
        assert page.status_code == 200, page.text
        answered = confirm(
            "/oauth/authorize",
            {**consent_form(page), "decision": "approve", "permissions": ["invoices:read"]},
        )
        assert answered.status_code == 303, answered.text
        assert query_of(answered.headers["location"])["state"] == "s1"

        # An app's whole life.
        created = confirm(f"{BASE}/new", create_form_data(c, "Books sync", ["invoices:read"]))
        client_id = shown(created).client_id

        def app_action(action: str, **fields: str) -> None:
            token = csrf(c.get(f"{BASE}/{client_id}").text)
            done = confirm(f"{BASE}/{client_id}/{action}", {"csrf_token": token, **fields})
            assert done.status_code in (200, 303), (action, done.text)

        app_action("rotate", grace_seconds="0")
        app_action("revoke")
        app_action("restore")
        app_action("delete")

        # Members: a role, then deactivation.
        with sessions() as s:
            target = s.scalar(select(Membership.id).where(Membership.user_id == clerk.user_id))
        token = csrf(c.get("/settings/members").text)
        role = confirm(f"/settings/members/{target}/role", {"csrf_token": token, "role": "admin"})
        assert role.status_code == 303, role.text
        token = csrf(c.get("/settings/members").text)
        gone = confirm(f"/settings/members/{target}/deactivate", {"csrf_token": token})
        assert gone.status_code == 303, gone.text

    with sessions() as s:
        assert s.scalar(select(AuthorizationCode)) is not None
        app = s.scalar(select(App).where(App.client_id == client_id))
        assert app is not None and app.deleted_at is not None
        clerk_user = s.get(User, clerk.user_id)
        assert clerk_user is not None and not clerk_user.is_active
        confirmed = s.scalars(
            select(Activity)
            .where(Activity.event == "identity:stepup:confirmed")
            .order_by(Activity.id)
        ).all()
    assert [a.details["action"] for a in confirmed] == [
        "oauth.consent",
        "app.create",
        "app.rotate",
        "app.revoke",
        "app.restore",
        "app.delete",
        "member.role",
        "user.deactivate",
    ]
    assert {a.details["method"] for a in confirmed} == {factor}
