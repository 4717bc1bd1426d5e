"""Workspace pages over real HTTP: permissions, 2FA enrolment and step-up, members, company
switcher, activity (filters and CSV) and the security headers."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.identity.models import Membership
from newledger.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import LiveServer
from tests.support.workspace import (
    Authenticator,
    client,
    csrf,
    events,
    make_company,
    make_person,
    sign_in,
    user,
)


def test_every_response_carries_the_security_headers(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    for response in (
        httpx.get(f"{live_server.url}/signin"),
        httpx.get(f"{live_server.url}/healthz"),  # JSON endpoints too, unharmed
        httpx.get(f"{live_server.url}/static/app.css"),
    ):
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        # Served over http in tests: HSTS only when the public URL is https.
        assert "strict-transport-security" not in response.headers
    assert httpx.get(f"{live_server.url}/healthz").json()["status"] == "ok"
    page = httpx.get(f"{live_server.url}/signin")
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert " style=" not in page.text and "<script>" not in page.text  # nothing inline


def test_a_viewer_reaches_only_their_own_part_of_settings(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    """A viewer administers nothing, but may connect an assistant with their own permissions:
    App Connect shows them OAuth Connections and MCP Server, never API Credentials."""
    make_person(sessions, "owner@example.com")
    viewer = make_person(sessions, "viewer@example.com", role="viewer")
    with client(live_server.url) as c:
        sign_in(c, viewer)
        home = c.get("/")
        assert 'href="/settings"' in home.text and 'href="/activity"' in home.text
        assert c.get("/settings").headers["location"] == "/settings/appconnect"
        settings = c.get("/settings/appconnect")
        assert 'href="/settings/members"' not in settings.text
        assert 'id="tab-oauth-connections"' in settings.text
        assert 'id="tab-mcp-server"' in settings.text
        assert 'id="tab-api-credentials"' not in settings.text
        asked = c.get("/settings/appconnect?tab=api-credentials")
        assert 'id="panel-oauth-connections"' in asked.text and 'id="apps"' not in asked.text
        assert c.get("/settings/integrations/chatgpt").status_code == 200
        for path in ("/settings/members", "/settings/appconnect/apps/new"):
            response = c.get(path)
            assert response.status_code == 403, path
            assert "Not allowed" in response.text
        token = csrf(home.text)
        add = c.post(
            "/settings/members",
            data={"email": "x@example.com", "role": "owner", "csrf_token": token},
        )
        assert add.status_code == 403
        assert c.get("/activity").status_code == 200  # viewers may read activity


def test_enrolling_totp_shows_a_qr_code_and_the_secret_then_recovery_codes(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "new@example.com")
    with client(live_server.url) as c:
        sign_in(c, person)
        page = c.get("/account/security/2fa")
        assert page.status_code == 200
        assert 'src="data:image/svg+xml' in page.text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
        assert secret
        auth = Authenticator(secret.group(1))
        # Reloading keeps the same pending secret.
        assert secret.group(1) in c.get("/account/security/2fa").text
        wrong = c.post(
            "/account/security/2fa", data={"code": "000000", "csrf_token": csrf(page.text)}
        )
        assert wrong.status_code == 400
        done = c.post(
            "/account/security/2fa",
            data={"code": auth.fresh_code(), "csrf_token": csrf(page.text)},
        )
        assert done.status_code == 200
        codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", done.text)
        assert len(codes) == 10
        assert "shown only once" in done.text
        assert done.headers["cache-control"] == "no-store"
    assert user(sessions, person.user_id).totp_enabled_at is not None
    assert Event.TOTP_ENROLLED in [a.event for a in events(sessions)]


def test_a_user_without_2fa_is_led_to_enrol_before_a_sensitive_action(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "no2fa@example.com")
    with client(live_server.url) as c:
        sign_in(c, owner)
        page = c.get("/settings/members")
        assert page.status_code == 200
        response = c.post(
            "/settings/members",
            data={"email": "someone@example.com", "role": "viewer", "csrf_token": csrf(page.text)},
            headers={"Referer": f"{live_server.url}/settings/members"},
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/account/security/2fa?")
        assert "next=%2Fsettings%2Fmembers" in response.headers["location"]
        assert "set it up to continue" in c.get(response.headers["location"]).text.lower()


def test_a_sensitive_action_asks_for_a_fresh_code_and_records_the_step_up(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "stepup@example.com", with_2fa=True)
    auth = person.authenticator
    assert auth is not None
    with client(live_server.url) as c:
        sign_in(c, person)
        token = csrf(c.get("/account/security").text)
        # Without a code: the confirmation page, posting the same form back.
        ask = c.post("/account/security/recovery-codes", data={"csrf_token": token})
        assert ask.status_code == 200
        assert 'action="/account/security/recovery-codes"' in ask.text
        assert "Confirm: Replace your recovery codes" in ask.text
        wrong = c.post(
            "/account/security/recovery-codes", data={"csrf_token": token, "code": "123456"}
        )
        assert wrong.status_code == 400 and "not valid" in wrong.text
        code = auth.fresh_code()
        ok = c.post("/account/security/recovery-codes", data={"csrf_token": token, "code": code})
        assert ok.status_code == 200
        assert len(re.findall(r"<li><code>", ok.text)) == 10
        # The same code cannot confirm a second action.
        replay = c.post(
            "/account/security/sessions/revoke-others", data={"csrf_token": token, "code": code}
        )
        assert replay.status_code == 400 and "already used" in replay.text
    confirmed = [a for a in events(sessions) if a.event == Event.STEPUP_CONFIRMED]
    assert [a.details for a in confirmed] == [
        {"action": "recovery_codes.regenerate", "method": "totp"}
    ]
    assert confirmed[0].company_id == person.company_id
    assert Event.TOTP_RECOVERY_REGENERATED in [a.event for a in events(sessions)]


def test_owners_change_roles_with_a_fresh_code_but_never_demote_the_last_owner(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    make_person(sessions, "fresh@example.com", role="viewer")
    auth = owner.authenticator
    assert auth is not None
    with sessions() as s:
        rows = {
            m.user_id: m
            for m in s.scalars(select(Membership).where(Membership.company_id == owner.company_id))
        }
    own = rows[owner.user_id]
    other = next(m for uid, m in rows.items() if uid != owner.user_id)
    with client(live_server.url) as c:
        sign_in(c, owner)
        token = csrf(c.get("/settings/members").text)
        # Without a code: the confirmation page, and nothing changes.
        asked = c.post(
            f"/settings/members/{other.id}/role", data={"role": "admin", "csrf_token": token}
        )
        assert asked.status_code == 200 and "Confirm: Change this member" in asked.text
        last = c.post(
            f"/settings/members/{own.id}/role",
            data={"role": "admin", "csrf_token": token, "code": auth.fresh_code()},
        )
        assert last.status_code == 409 and "at least one owner" in last.text
        promoted = c.post(
            f"/settings/members/{other.id}/role",
            data={"role": "admin", "csrf_token": token, "code": auth.fresh_code()},
        )
        assert promoted.status_code == 303
    changed = [a for a in events(sessions) if a.event == Event.MEMBER_ROLE_CHANGED]
    assert len(changed) == 1
    assert changed[0].details["from"] == "viewer" and changed[0].details["to"] == "admin"


def test_the_company_switcher_offers_only_the_users_companies(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "multi@example.com", company="alpha")
    beta = make_company(sessions, "beta")
    gamma = make_company(sessions, "gamma")
    with sessions() as s:
        s.add(Membership(company_id=beta, user_id=person.user_id, role="viewer"))
        s.commit()
    with client(live_server.url) as c:
        sign_in(c, person)
        home = c.get("/")
        assert "Beta (viewer)" in home.text and "Gamma" not in home.text
        token = csrf(home.text)
        switched = c.post("/company/switch", data={"company_id": beta, "csrf_token": token})
        assert switched.status_code == 303
        assert 'id="current-company">Beta<' in c.get("/").text
        refused = c.post("/company/switch", data={"company_id": gamma, "csrf_token": token})
        assert refused.status_code == 403


def test_activity_filters_by_event_actor_and_date_and_exports_csv(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "auditor@example.com")
    other = make_person(sessions, "other@example.com", role="viewer")
    with client(live_server.url) as c:
        sign_in(c, other)
    with client(live_server.url) as c:
        sign_in(c, owner)
        # Rows of another company never show.
        elsewhere = make_company(sessions, "elsewhere")
        with sessions() as s:
            s.add(
                Activity(
                    company_id=elsewhere,
                    event=Event.INVOICE_APPROVED.value,
                    actor_type="user",
                    actor_label="=HYPERLINK(evil)",
                    details={},
                )
            )
            s.add(
                Activity(
                    company_id=owner.company_id,
                    event=Event.INVOICE_APPROVED.value,
                    actor_type="user",
                    actor_label="=cmd|calc",
                    details={"number": "INV-1"},
                    created_at=dt.datetime(2020, 1, 15, 12, tzinfo=dt.UTC),
                )
            )
            s.commit()
        everything = c.get("/activity")
        assert everything.status_code == 200
        assert Event.AUTH_LOGIN_SUCCEEDED.value in everything.text
        assert "other@example.com" in everything.text
        assert "HYPERLINK" not in everything.text
        logins = c.get(
            "/activity",
            params={"event": Event.AUTH_LOGIN_SUCCEEDED.value, "actor": "other@example.com"},
        )
        table = logins.text.split('id="activity"')[1]
        assert table.count('class="event"') == 1 and "other@example.com" in table
        dated = c.get("/activity", params={"since": "2020-01-01", "until": "2020-01-31"})
        table = dated.text.split('id="activity"')[1]
        assert table.count('class="event"') == 1 and "INV-1" in table
        assert c.get("/activity", params={"since": "not-a-date"}).status_code == 422
        export = c.get("/activity.csv", params={"event": Event.INVOICE_APPROVED.value})
        assert export.status_code == 200
        assert export.headers["content-type"].startswith("text/csv")
        assert "attachment" in export.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(export.text)))
        assert rows[0][:4] == ["time", "event", "actor_type", "actor"]
        assert len(rows) == 2
        assert rows[1][3] == "'=cmd|calc"  # defused for spreadsheets


_NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def test_activity_paginates(live_server: LiveServer, sessions: sessionmaker[Session]) -> None:
    owner = make_person(sessions, "pages@example.com")
    with sessions() as s:
        s.add_all(
            Activity(
                company_id=owner.company_id,
                event=Event.CONTACT_CREATED.value,
                actor_type="system",
                actor_label="importer",
                subject_type="contact",
                subject_id=i,
                details={},
            )
            for i in range(120)
        )
        s.commit()
    with client(live_server.url) as c:
        sign_in(c, owner)
        params = {"event": Event.CONTACT_CREATED.value}
        first = c.get("/activity", params=params).text
        assert first.count('class="event"') == 50 and 'rel="first"' not in first
        second = c.get(html.unescape(_NEXT.search(first).group(1))).text  # type: ignore[union-attr]
        assert second.count('class="event"') == 50 and 'rel="first"' in second
        third = c.get(html.unescape(_NEXT.search(second).group(1))).text  # type: ignore[union-attr]
        assert third.count('class="event"') == 20 and 'rel="next"' not in third
        assert 'rel="first"' in third


def test_an_admin_manages_members_but_cannot_make_anyone_owner(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    make_person(sessions, "founder@example.com")
    admin = make_person(sessions, "admin@example.com", role="admin", with_2fa=True)
    make_person(sessions, "clerk@example.com", role="viewer")
    with client(live_server.url) as c:
        sign_in(c, admin)
        page = c.get("/settings/members")
        assert page.status_code == 200
        with sessions() as s:
            clerk = s.scalars(select(Membership).where(Membership.role == "viewer")).one()
        token = csrf(page.text)
        assert admin.authenticator is not None
        owner = c.post(
            f"/settings/members/{clerk.id}/role",
            data={"role": "owner", "csrf_token": token, "code": admin.authenticator.fresh_code()},
        )
        assert owner.status_code == 403 and "Only an owner" in owner.text
        ok = c.post(
            f"/settings/members/{clerk.id}/role",
            data={
                "role": "bookkeeper",
                "csrf_token": token,
                "code": admin.authenticator.fresh_code(),
            },
        )
        assert ok.status_code == 303
