"""Settings → App Connect over real HTTP: the API Credentials list, Create App, the one-time
secret, the app detail page, and rotate / revoke / delete / restore behind TOTP step-up."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.appconnect.models import App
from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.identity.members import change_role
from newledger.identity.models import Membership
from newledger.identity.permissions import DELEGABLE, Permission, role_permissions
from tests.conftest import LiveServer
from tests.support.appconnect import server_key, wait_for_activity
from tests.support.appconnect_ui import (
    BASE,
    act,
    app_events,
    app_row,
    create_form_data,
    create_via_ui,
    make_app,
    shown,
    stepups,
    token_response,
)
from tests.support.workspace import client, csrf, make_person, sign_in

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")

_OFFERED = re.compile(r'name="permissions"\s+value="([^"]+)"')


def offered(html: str) -> set[str]:
    return set(_OFFERED.findall(html))


def test_create_app_offers_only_permissions_the_user_holds_and_may_delegate(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    for role in ("owner", "admin", "accountant"):
        person = make_person(sessions, f"{role}@example.com", role=role, with_2fa=True)
        with client(live_server.url) as c:
            sign_in(c, person)
            page = c.get(f"{BASE}/new?type=api-credentials")
            assert page.status_code == 200
            expected = {p.value for p in DELEGABLE & role_permissions(role)}
            assert offered(page.text) == expected, role
            assert "ledger:post" not in offered(page.text)
            assert "Create, edit and delete draft invoices" in page.text  # catalogue wording
    # A tampered form cannot delegate what is never delegable.
    person = make_person(sessions, "tamper@example.com", role="owner", with_2fa=True)
    with client(live_server.url) as c:
        sign_in(c, person)
        response = create_via_ui(c, person, "Sneaky", ["invoices:read", "ledger:post"])
        assert response.status_code == 422
        assert "ledger:post" in response.text
        assert 'id="client-secret"' not in response.text
    with sessions() as s:
        assert s.scalar(select(Activity).where(Activity.event == Event.APP_CREATED)) is None


def test_create_app_errors_re_render_the_form_and_keep_the_input(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "forms@example.com", role="accountant", with_2fa=True)
    with client(live_server.url) as c:
        sign_in(c, person)
        no_name = create_via_ui(c, person, "  ", ["invoices:read", "reports:read"])
        assert no_name.status_code == 422
        assert 'id="error-name"' in no_name.text
        assert re.search(r'value="invoices:read" checked', no_name.text)
        assert re.search(r'value="reports:read" checked', no_name.text)
        assert not re.search(r'value="bank:read" checked', no_name.text)

        none_chosen = create_via_ui(c, person, "CRM sync", [])
        assert none_chosen.status_code == 422
        assert 'id="error-permissions"' in none_chosen.text
        assert 'value="CRM sync"' in none_chosen.text

        yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)).isoformat()
        past = create_via_ui(c, person, "CRM sync", ["invoices:read"], expires_at=yesterday)
        assert past.status_code == 422
        assert 'id="error-expires_at"' in past.text and "future" in past.text
        assert f'value="{yesterday}"' in past.text

        garbled = create_via_ui(c, person, "CRM sync", ["invoices:read"], expires_at="next tuesday")
        assert garbled.status_code == 422 and 'id="error-expires_at"' in garbled.text


def test_the_secret_is_shown_once_works_at_the_token_endpoint_and_never_appears_again(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "creator@example.com", role="accountant", with_2fa=True)
    until = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    with client(live_server.url) as c:
        sign_in(c, person)
        response = create_via_ui(
            c, person, "Nightly CRM sync", ["invoices:read", "reports:read"], until
        )
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert "You will not see this secret again" in response.text
        page = shown(response)
        assert page.client_id.startswith("nlci_") and page.secret.startswith("nlcs_")
        assert 'data-copy="#client-secret"' in response.text  # a copy button (app.js)
        assert f"{live_server.url}/oauth/token" in response.text
        assert "grant_type=client_credentials" in response.text
        assert page.secret not in response.headers.get("location", "")

        # The secret works, over real HTTP, like any client would use it.
        token = token_response(live_server.url, page.client_id, page.secret)
        assert token.status_code == 200, token.text
        me = httpx.get(
            f"{live_server.url}/api/v1/me",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert me.status_code == 200, me.text

        # The list and the detail page show the app, never the secret.
        listing = c.get("/settings/appconnect")
        assert listing.status_code == 200
        assert "Nightly CRM sync" in listing.text and page.client_id in listing.text
        assert "creator@example.com" in listing.text
        assert 'data-status="active"' in listing.text
        assert until in listing.text
        detail = c.get(f"{BASE}/{page.client_id}")
        assert detail.status_code == 200
        assert 'data-permission="invoices:read"' in detail.text
        assert 'data-event="appconnect:app:created"' in detail.text
        for html in (listing.text, detail.text, c.get(f"{BASE}/new?type=api-credentials").text):
            assert page.secret not in html
            assert 'id="client-secret"' not in html
        # The detail page after the token exchange: last used is filled in.
        assert "Last used</dt><dd>never" not in detail.text
        # The secret screen, the list and the app page each link the REST API reference.
        for html in (response.text, listing.text, detail.text):
            assert 'id="api-docs-link"' in html and 'href="/api/docs"' in html
        assert c.get("/api/docs").status_code == 200
    row = app_row(sessions, page.client_id)
    assert page.secret not in (row.secret_digest, row.previous_secret_digest)
    with sessions() as s:
        for a in s.scalars(select(Activity)):
            assert page.secret not in repr(a.details)


def test_re_posting_the_create_form_makes_no_second_app_and_no_second_secret(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "refresh@example.com", role="owner", with_2fa=True)
    with client(live_server.url) as c:
        sign_in(c, person)
        assert person.authenticator is not None
        data = create_form_data(
            c, "Payroll export", ["reports:read"], code=person.authenticator.fresh_code()
        )
        first = c.post(f"{BASE}/new", data=data)
        assert first.status_code == 200
        made = shown(first)
        again = c.post(f"{BASE}/new", data=data)  # the browser's "resubmit" after a refresh
        assert again.status_code == 400  # its code is spent: a fresh one is asked for
        again = c.post(f"{BASE}/new", data={**data, "code": person.authenticator.fresh_code()})
        assert again.status_code == 303
        assert again.headers["location"] == f"{BASE}/{made.client_id}?done=already-created"
        page = c.get(again.headers["location"])
        assert "already submitted" in page.text
        assert made.secret not in page.text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(App)) == 1


def test_rotating_needs_a_totp_code_and_shows_the_new_secret_once(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "rotate@example.com", role="owner", with_2fa=True)
    assert person.authenticator is not None
    client_id, old_secret = make_app(sessions, person, "invoices:read")
    digest = app_row(sessions, client_id).secret_digest
    with client(live_server.url) as c:
        sign_in(c, person)
        ask = act(c, client_id, "rotate", None, grace_seconds="3600")
        assert ask.status_code == 200 and "Confirm: Rotate this app" in ask.text
        assert 'name="grace_seconds" value="3600"' in ask.text  # kept for the confirmation
        wrong = act(c, client_id, "rotate", "000000", grace_seconds="3600")
        assert wrong.status_code == 400
        assert app_row(sessions, client_id).secret_digest == digest
        assert [a.event for a in app_events(sessions, app_row(sessions, client_id).id)] == [
            Event.APP_CREATED
        ]
        done = act(c, client_id, "rotate", person.authenticator.fresh_code(), grace_seconds="3600")
        assert done.status_code == 200, done.text
        assert done.headers["cache-control"] == "no-store"
        new = shown(done)
        assert new.client_id == client_id and new.secret != old_secret
        assert "previous secret keeps working for 1 hour" in done.text
        assert new.secret not in c.get(f"{BASE}/{client_id}").text
    # Both work during the grace period.
    assert token_response(live_server.url, client_id, new.secret).status_code == 200
    assert token_response(live_server.url, client_id, old_secret).status_code == 200
    events = app_events(sessions, app_row(sessions, client_id).id)
    assert [a.event for a in events] == [Event.APP_CREATED, Event.APP_ROTATED]
    assert events[-1].actor_user_id == person.user_id
    assert events[-1].details["grace_seconds"] == 3600
    assert stepups(sessions, person.user_id) == ["app.rotate"]


def test_a_revoked_apps_token_is_refused_on_the_next_request(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "revoke@example.com", role="owner", with_2fa=True)
    assert person.authenticator is not None
    client_id, secret = make_app(sessions, person, "invoices:read")
    access = token_response(live_server.url, client_id, secret).json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert httpx.get(f"{live_server.url}/api/v1/me", headers=bearer).status_code == 200
    with client(live_server.url) as c:
        sign_in(c, person)
        assert act(c, client_id, "revoke", None).status_code == 200  # the confirmation page
        assert act(c, client_id, "revoke", "123456").status_code == 400
        assert app_row(sessions, client_id).revoked_at is None
        assert httpx.get(f"{live_server.url}/api/v1/me", headers=bearer).status_code == 200

        done = act(c, client_id, "revoke", person.authenticator.fresh_code())
        assert done.status_code == 303
        assert done.headers["location"] == f"{BASE}/{client_id}?done=revoked"
        detail = c.get(done.headers["location"])
        assert 'data-status="revoked"' in detail.text
        assert 'data-event="appconnect:app:revoked"' in detail.text
        assert 'id="restore-form"' in detail.text and 'id="revoke-form"' not in detail.text
    assert httpx.get(f"{live_server.url}/api/v1/me", headers=bearer).status_code == 401
    refused = token_response(live_server.url, client_id, secret)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    app_id = app_row(sessions, client_id).id
    # The refused exchange and the refused API call, recorded against the app (written by the
    # server's background recorder within moments).
    for event in (Event.TOKEN_FAILED, Event.REQUEST_REFUSED):
        assert wait_for_activity(
            sessions, lambda a, e=event: a.event == e and a.subject_id == app_id, 1
        )
    events = app_events(sessions, app_id)
    assert Event.APP_REVOKED in [a.event for a in events]
    assert stepups(sessions, person.user_id) == ["app.revoke"]


def test_deleting_needs_a_totp_code_hides_the_app_and_restore_brings_it_back(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    deleter = make_person(sessions, "delete@example.com", role="owner", with_2fa=True)
    restorer = make_person(sessions, "restore@example.com", role="admin", with_2fa=True)
    assert deleter.authenticator and restorer.authenticator
    client_id, secret = make_app(sessions, deleter, "reports:read", name="Old dashboard")
    with client(live_server.url) as c:
        sign_in(c, deleter)
        assert act(c, client_id, "delete", "999999").status_code == 400
        assert app_row(sessions, client_id).deleted_at is None
        done = act(c, client_id, "delete", deleter.authenticator.fresh_code())
        assert done.status_code == 303
        listing = c.get("/settings/appconnect")
        assert client_id not in listing.text and 'id="show-deleted"' in listing.text
        with_deleted = c.get("/settings/appconnect?tab=api-credentials&show=deleted")
        assert client_id in with_deleted.text and 'data-status="deleted"' in with_deleted.text
    assert token_response(live_server.url, client_id, secret).status_code == 401
    with client(live_server.url) as c:
        sign_in(c, restorer)
        assert act(c, client_id, "restore", None).status_code == 200  # asks for a code first
        assert app_row(sessions, client_id).deleted_at is not None
        done = act(c, client_id, "restore", restorer.authenticator.fresh_code())
        assert done.status_code == 303
        assert 'data-status="active"' in c.get(f"{BASE}/{client_id}").text
    assert token_response(live_server.url, client_id, secret).status_code == 200
    events = [a.event for a in app_events(sessions, app_row(sessions, client_id).id)]
    assert events[0] == Event.APP_CREATED
    assert Event.APP_DELETED in events and events[-1] == Event.APP_RESTORED
    assert stepups(sessions, deleter.user_id) == ["app.delete"]
    assert stepups(sessions, restorer.user_id) == ["app.restore"]


def test_restoring_a_revoked_then_deleted_app_brings_it_back_revoked_not_active(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "undo@example.com", role="owner", with_2fa=True)
    assert owner.authenticator
    client_id, secret = make_app(sessions, owner, "reports:read", name="Leaked bot")
    with client(live_server.url) as c:
        sign_in(c, owner)
        for action in ("revoke", "delete"):
            assert act(c, client_id, action, owner.authenticator.fresh_code()).status_code == 303
        first = act(c, client_id, "restore", owner.authenticator.fresh_code())
        assert first.headers["location"].endswith("?done=restored-revoked")
        page = c.get(first.headers["location"]).text
        assert 'data-status="revoked"' in page and "still revoked" in page
        row = app_row(sessions, client_id)
        assert row.deleted_at is None and row.revoked_at is not None
        assert token_response(live_server.url, client_id, secret).status_code == 401
        # Restoring once more is a deliberate second step that gives access back.
        second = act(c, client_id, "restore", owner.authenticator.fresh_code())
        assert second.headers["location"].endswith("?done=restored")
        assert 'data-status="active"' in c.get(f"{BASE}/{client_id}").text
    assert token_response(live_server.url, client_id, secret).status_code == 200


def test_each_action_asks_for_one_code_on_a_page_naming_the_app_and_the_grace_period(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "confirm@example.com", role="owner", with_2fa=True)
    assert owner.authenticator
    client_id, _ = make_app(sessions, owner, "reports:read", name="Payroll sync")
    with client(live_server.url) as c:
        sign_in(c, owner)
        detail = c.get(f"{BASE}/{client_id}").text
        assert 'name="code"' not in detail  # no code boxes until an action is chosen
        asked = act(c, client_id, "rotate", None, grace_seconds="86400")
        assert asked.status_code == 200
        assert asked.text.count('name="code"') == 1
        for fact in ("Payroll sync", client_id, "Old secret keeps working for", "24 hours"):
            assert fact in asked.text
        wrong = act(c, client_id, "rotate", "000000", grace_seconds="86400")
        assert wrong.status_code == 400
        assert "Payroll sync" in wrong.text and "24 hours" in wrong.text
        assert 'name="grace_seconds" value="86400"' in wrong.text
        revoke = act(c, client_id, "revoke", None)
        assert "Payroll sync" in revoke.text and "Old secret" not in revoke.text
    assert app_row(sessions, client_id).revoked_at is None


def test_a_user_without_2fa_is_sent_to_enrolment_before_revoking(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "no2fa@example.com", role="owner")
    client_id, _ = make_app(sessions, person)
    with client(live_server.url) as c:
        sign_in(c, person)
        response = act(c, client_id, "revoke", "123456")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/account/security/2fa?")
    assert app_row(sessions, client_id).revoked_at is None


def test_a_user_without_2fa_is_sent_to_enrolment_before_creating_an_app(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "no2fa-create@example.com", role="owner")
    with client(live_server.url) as c:
        sign_in(c, person)
        page = c.get(f"{BASE}/new")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/account/security/2fa?")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(App)) == 0


@pytest.mark.parametrize("role", ["viewer", "bookkeeper"])
def test_people_without_appconnect_manage_are_refused(
    live_server: LiveServer, sessions: sessionmaker[Session], role: str
) -> None:
    owner = make_person(sessions, "owner@example.com", role="owner")
    client_id, _ = make_app(sessions, owner)
    person = make_person(sessions, f"{role}@example.com", role=role, with_2fa=True)
    assert person.authenticator is not None
    with client(live_server.url) as c:
        sign_in(c, person)
        for path in (f"{BASE}/new", f"{BASE}/{client_id}"):
            assert c.get(path).status_code == 403, path
        # Their own OAuth connections and the MCP set-up stay open to them; the apps never show.
        page = c.get("/settings/appconnect")
        assert page.status_code == 200 and client_id not in page.text
        token = csrf(c.get("/account/security").text)
        created = c.post(
            f"{BASE}/new",
            data={"csrf_token": token, "name": "x", "permissions": "invoices:read"},
        )
        assert created.status_code == 403
        code = person.authenticator.fresh_code()
        for action in ("rotate", "revoke", "delete", "restore"):
            response = c.post(
                f"{BASE}/{client_id}/{action}", data={"csrf_token": token, "code": code}
            )
            assert response.status_code == 403, action
    assert app_row(sessions, client_id).revoked_at is None
    assert stepups(sessions, person.user_id) == []  # refused before any code was spent


def test_an_app_shows_degraded_after_its_creator_is_demoted(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", role="owner")
    creator = make_person(sessions, "acct@example.com", role="accountant")
    client_id, _ = make_app(sessions, creator, "invoices:read", "invoices:draft", name="Drafter")
    with sessions.begin() as s:
        membership = s.scalar(select(Membership).where(Membership.user_id == creator.user_id))
        assert membership is not None and owner.company_id is not None
        change_role(
            s,
            company_id=owner.company_id,
            membership_id=membership.id,
            role="viewer",
            actor=Actor("user", owner.company_id, role_permissions("owner"), owner.user_id),
        )
    with client(live_server.url) as c:
        sign_in(c, owner)
        listing = c.get("/settings/appconnect")
        assert 'data-status="degraded"' in listing.text
        detail = c.get(f"{BASE}/{client_id}")
        assert 'id="degraded-notice"' in detail.text
        assert re.search(r'<tr data-permission="invoices:draft" class="lost">', detail.text)
        assert re.search(r'<tr data-permission="invoices:read" >', detail.text)
        assert Permission.INVOICES_DRAFT.value in detail.text


def test_an_expired_app_shows_expired_and_another_companys_app_is_not_found(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "a@example.com", role="owner", company="alpha")
    client_id, _ = make_app(sessions, owner, name="Short-lived")
    with sessions.begin() as s:
        app = s.scalar(select(App).where(App.client_id == client_id))
        assert app is not None
        app.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with client(live_server.url) as c:
        sign_in(c, owner)
        assert 'data-status="expired"' in c.get("/settings/appconnect").text
        assert 'data-status="expired"' in c.get(f"{BASE}/{client_id}").text
    stranger = make_person(sessions, "b@example.com", role="owner", company="beta", with_2fa=True)
    assert stranger.authenticator is not None
    with client(live_server.url) as c:
        sign_in(c, stranger)
        assert client_id not in c.get("/settings/appconnect").text
        assert c.get(f"{BASE}/{client_id}").status_code == 404
        response = act_on_foreign(c, client_id, stranger.authenticator.fresh_code())
        assert response.status_code == 404
    assert app_row(sessions, client_id).revoked_at is None


def act_on_foreign(c: httpx.Client, client_id: str, code: str) -> httpx.Response:
    token = csrf(c.get("/settings/appconnect").text)
    return c.post(f"{BASE}/{client_id}/revoke", data={"csrf_token": token, "code": code})
