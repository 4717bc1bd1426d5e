"""The member lifecycle over real HTTP: invitations (no account-existence leak, accept, decline,
the link for a new account), removal, deactivation, change password, step-up, and a company's
activity scoped to membership periods."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.models import App
from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.identity.models import Invitation, User, WebSession
from newledger.ratelimit.models import RateLimitCounter
from tests.conftest import LiveServer
from tests.support.appconnect_ui import BASE, create_form_data, make_app, token_response
from tests.support.members import (
    act,
    code_of,
    invitation_rows,
    invite,
    is_member,
    link_of,
    membership_id,
)
from tests.support.workspace import (
    PASSWORD,
    client,
    csrf,
    events,
    make_person,
    post_signin,
    sign_in,
)


def _bearer(url: str, client_id: str, secret: str) -> dict[str, str]:
    token = token_response(url, client_id, secret)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _me(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{url}/api/v1/me", headers=headers)


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_inviting_says_the_same_whether_or_not_the_email_has_an_account(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    existing = make_person(sessions, "existing@example.com", role=None)
    with client(live_server.url) as c:
        sign_in(c, owner)
        known = invite(c, owner, existing.email)
        unknown = invite(c, owner, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200

    def shape(r: httpx.Response, email: str) -> str:
        text = r.text.replace(link_of(r), "LINK").replace(email, "EMAIL")
        return re.sub(r'name="csrf_token" value="[^"]+"', "", text)

    # Beyond the email itself, the two answers are identical (the invitation list aside, which
    # shows both pending invitations to the inviter alike).
    assert "EMAIL" in shape(known, existing.email)
    assert (
        shape(known, existing.email).split('id="invitations"')[0]
        == shape(unknown, "nobody@example.com").split('id="invitations"')[0]
    )
    assert known.headers["cache-control"] == "no-store"
    # Nobody was added: an invitation waits for each.
    assert not is_member(sessions, owner.company_id, existing.user_id)
    rows = invitation_rows(sessions)
    assert [(r.email, r.status) for r in rows] == [
        ("existing@example.com", "pending"),
        ("nobody@example.com", "pending"),
    ]
    # Only the link's digest is stored; the activity row has no token either.
    token = link_of(known).rsplit("/", 1)[1]
    assert all(token not in r.token_digest for r in rows)
    assert token not in str([a.details for a in events(sessions)])


def test_an_invitee_with_an_account_sees_the_invitation_and_declines_or_accepts(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    other = make_person(sessions, "other@example.com", company="globex", with_2fa=True)
    invitee = make_person(sessions, "invitee@example.com", role=None)
    with client(live_server.url) as c:
        sign_in(c, owner)
        assert invite(c, owner, invitee.email, "bookkeeper").status_code == 200
    with client(live_server.url) as c:
        sign_in(c, other)
        assert invite(c, other, invitee.email).status_code == 200
    with client(live_server.url) as c:
        sign_in(c, invitee)
        home = c.get("/")
        assert 'id="invitations-notice"' in home.text and "2 invitations" in home.text
        listing = c.get("/invitations").text
        assert "Acme" in listing and "Globex" in listing
        first, second = invitation_rows(sessions)
        token = csrf(listing)
        declined = c.post(f"/invitations/{second.id}/decline", data={"csrf_token": token})
        assert declined.status_code == 303
        accepted = c.post(f"/invitations/{first.id}/accept", data={"csrf_token": token})
        assert accepted.status_code == 303
        home = c.get("/")
        assert '<strong id="current-company">Acme</strong>' in home.text
        assert "as bookkeeper" in home.text
        assert 'id="invitations-notice"' not in home.text
        # Used: neither can be taken again.
        again = c.post(f"/invitations/{second.id}/accept", data={"csrf_token": token})
        assert again.status_code == 409
    assert is_member(sessions, owner.company_id, invitee.user_id)
    assert not is_member(sessions, other.company_id, invitee.user_id)
    assert [r.status for r in invitation_rows(sessions)] == ["accepted", "declined"]
    kinds = [a.event for a in events(sessions)]
    assert Event.INVITATION_DECLINED in kinds and Event.INVITATION_ACCEPTED in kinds


def test_an_invitation_link_creates_the_account_once_and_joins(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    with client(live_server.url) as c:
        sign_in(c, owner)
        link = link_of(invite(c, owner, "newbie@example.com", "accountant"))
    assert link.startswith(f"{live_server.url}/invitations/link/")
    with client(live_server.url) as c:
        page = c.get(link)
        assert page.status_code == 200 and "Join Acme" in page.text
        assert page.headers["cache-control"] == "no-store"
        short = c.post(link, data={"name": "Newbie", "password": "short"})
        assert short.status_code == 422
        made = c.post(link, data={"name": "Newbie", "password": "a-long-new-password"})
        assert made.status_code == 200 and 'id="account-created"' in made.text
        used = c.post(link, data={"name": "Again", "password": "another-long-password"})
        assert used.status_code == 410 and 'id="invitation-gone"' in used.text
        assert c.get(link).status_code == 410
    with sessions() as s:
        user = s.scalars(select(User).where(User.email == "newbie@example.com")).one()
        assert user.name == "Newbie"
    assert is_member(sessions, owner.company_id, user.id)
    with client(live_server.url) as c:
        assert post_signin(c, "newbie@example.com", "a-long-new-password").status_code == 303
        assert "as accountant" in c.get("/").text
    assert "a-long-new-password" not in str([a.details for a in events(sessions)])


def test_an_expired_or_cancelled_invitation_link_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    with client(live_server.url) as c:
        sign_in(c, owner)
        expired = link_of(invite(c, owner, "late@example.com"))
        cancelled = link_of(invite(c, owner, "never@example.com"))
        late, never = invitation_rows(sessions)
        with sessions.begin() as s:
            s.execute(
                update(Invitation)
                .where(Invitation.id == late.id)
                .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
            )
        gone = act(c, f"/settings/members/invitations/{never.id}/cancel", None)
        assert gone.status_code == 303
        assert "never@example.com" not in c.get("/settings/members").text.split("Invite someone")[0]
    with client(live_server.url) as c:
        for link in (expired, cancelled):
            assert c.get(link).status_code == 410
            refused = c.post(link, data={"name": "X", "password": "a-long-new-password"})
            assert refused.status_code == 410
    with sessions() as s:
        assert (
            s.scalar(select(User).where(User.email.in_(["late@example.com", "never@example.com"])))
            is None
        )
    assert [r.status for r in invitation_rows(sessions)] == ["pending", "cancelled"]


def test_removing_a_member_ends_their_access_and_their_apps_at_once(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    clerk = make_person(sessions, "clerk@example.com", role="accountant")
    client_id, secret = make_app(sessions, clerk, "invoices:read")
    bearer = _bearer(live_server.url, client_id, secret)
    assert _me(live_server.url, bearer).status_code == 200
    target = membership_id(sessions, owner.company_id, clerk.user_id)
    with client(live_server.url) as c:
        sign_in(c, owner)
        asked = act(c, f"/settings/members/{target}/remove", None)
        assert asked.status_code == 200 and "Confirm: Remove this member" in asked.text
        assert is_member(sessions, owner.company_id, clerk.user_id)
        removed = act(c, f"/settings/members/{target}/remove", code_of(owner))
        assert removed.status_code == 303
        assert "clerk@example.com" not in c.get("/settings/members").text
    assert not is_member(sessions, owner.company_id, clerk.user_id)
    _refused(_me(live_server.url, bearer))
    assert token_response(live_server.url, client_id, secret).status_code == 401
    kinds = [(a.event, a.subject_id) for a in events(sessions)]
    assert (Event.MEMBER_REMOVED.value, clerk.user_id) in kinds
    assert any(k == Event.APP_REVOKED for k, _ in kinds)


def test_the_last_owner_cannot_be_removed_and_an_admin_cannot_remove_an_owner(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    admin = make_person(sessions, "admin@example.com", role="admin", with_2fa=True)
    own = membership_id(sessions, owner.company_id, owner.user_id)
    with client(live_server.url) as c:
        sign_in(c, owner)
        last = act(c, f"/settings/members/{own}/remove", code_of(owner))
        assert last.status_code == 409 and "at least one owner" in last.text
    with client(live_server.url) as c:
        sign_in(c, admin)
        refused = act(c, f"/settings/members/{own}/remove", code_of(admin))
        assert refused.status_code == 403 and "Only an owner" in refused.text
    assert is_member(sessions, owner.company_id, owner.user_id)


def test_deactivating_ends_sessions_sign_in_and_apps_and_reactivating_restores_sign_in(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    clerk = make_person(sessions, "clerk@example.com", role="accountant")
    client_id, secret = make_app(sessions, clerk, "invoices:read")
    bearer = _bearer(live_server.url, client_id, secret)
    target = membership_id(sessions, owner.company_id, clerk.user_id)
    with client(live_server.url) as theirs, client(live_server.url) as c:
        sign_in(theirs, clerk)
        assert theirs.get("/").status_code == 200
        sign_in(c, owner)
        asked = act(c, f"/settings/members/{target}/deactivate", None)
        assert asked.status_code == 200 and "Confirm: Deactivate" in asked.text
        done = act(c, f"/settings/members/{target}/deactivate", code_of(owner))
        assert done.status_code == 303
        # Their open session ends at once, they cannot sign in, and their app is refused.
        assert theirs.get("/").status_code == 303
        with sessions() as s:
            assert s.scalar(select(WebSession).where(WebSession.user_id == clerk.user_id)) is None
        assert post_signin(theirs, clerk.email).status_code == 400
        _refused(_me(live_server.url, bearer))
        assert token_response(live_server.url, client_id, secret).status_code == 401
        back = act(c, f"/settings/members/{target}/reactivate", code_of(owner))
        assert back.status_code == 303
        assert post_signin(theirs, clerk.email).status_code == 303
    # The apps stay revoked after reactivation.
    with sessions() as s:
        assert s.scalars(select(App)).one().revoked_at is not None
    kinds = [a.event for a in events(sessions)]
    assert Event.USER_DEACTIVATED in kinds and Event.USER_REACTIVATED in kinds


def test_an_owner_cannot_deactivate_someone_who_also_belongs_elsewhere(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    elsewhere = make_person(sessions, "both@example.com", company="globex", role="owner")
    with sessions.begin() as s:
        from newledger.actor import Actor
        from newledger.identity import services
        from newledger.identity.models import Company

        company = s.get(Company, owner.company_id)
        user = s.get(User, elsewhere.user_id)
        assert company is not None and user is not None
        services.add_member(s, company=company, user=user, role="viewer", actor=Actor.system(None))
    target = membership_id(sessions, owner.company_id, elsewhere.user_id)
    with client(live_server.url) as c:
        sign_in(c, owner)
        refused = act(c, f"/settings/members/{target}/deactivate", code_of(owner))
        assert refused.status_code == 403 and "newledger users deactivate" in refused.text
    with sessions() as s:
        assert s.get(User, elsewhere.user_id).is_active  # type: ignore[union-attr]


def _csv_rows(c: httpx.Client) -> list[dict[str, str]]:
    response = c.get("/activity.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def test_a_company_sees_a_persons_identity_events_only_from_their_membership(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    drifter = make_person(sessions, "drifter@example.com", company="globex")
    # Before joining Acme: a failed and a successful sign-in elsewhere, from a telling browser.
    with httpx.Client(
        base_url=live_server.url, headers={"User-Agent": "BeforeBrowser/1.0"}
    ) as before:
        assert post_signin(before, drifter.email, "wrong-password-123").status_code == 400
        assert post_signin(before, drifter.email).status_code == 303
    with client(live_server.url) as c:
        sign_in(c, owner)
        invite(c, owner, drifter.email)
    with client(live_server.url) as theirs:
        sign_in(theirs, drifter)
        [inv] = invitation_rows(sessions)
        token = csrf(theirs.get("/invitations").text)
        assert (
            theirs.post(f"/invitations/{inv.id}/accept", data={"csrf_token": token}).status_code
            == 303
        )
    with httpx.Client(
        base_url=live_server.url, headers={"User-Agent": "MemberBrowser/1.0"}
    ) as during:
        assert post_signin(during, drifter.email).status_code == 303
    with client(live_server.url) as c:
        sign_in(c, owner)
        # While drifter is a member: what they did before joining stays out of Acme's export.
        while_member = {r["user_agent"] for r in _csv_rows(c) if r["actor"] == drifter.email}
        assert "MemberBrowser/1.0" in while_member and "BeforeBrowser/1.0" not in while_member
    target = membership_id(sessions, owner.company_id, drifter.user_id)
    with client(live_server.url) as c:
        sign_in(c, owner)
        assert act(c, f"/settings/members/{target}/remove", code_of(owner)).status_code == 303
        with httpx.Client(
            base_url=live_server.url, headers={"User-Agent": "AfterBrowser/1.0"}
        ) as after:
            assert post_signin(after, drifter.email).status_code == 303
        signed_in = c.get(
            "/activity",
            params={"actor": drifter.email, "event": Event.AUTH_LOGIN_SUCCEEDED.value},
        ).text
        failed = c.get("/activity", params={"event": Event.AUTH_LOGIN_FAILED.value}).text
        rows = [
            r
            for r in _csv_rows(c)
            if r.get("actor") == drifter.email or drifter.email in r.get("details", "")
        ]
    # All of it happened (the whole table has it) ...
    with sessions() as s:
        agents = set(s.scalars(select(Activity.user_agent)))
    assert {"BeforeBrowser/1.0", "MemberBrowser/1.0", "AfterBrowser/1.0"} <= agents
    # ... but Acme sees only the sign-in made while drifter was a member, in the page and CSV.
    assert signed_in.count('class="event"') == 1
    assert 'class="event"' not in failed
    agents_seen = {r["user_agent"] for r in rows}
    assert "MemberBrowser/1.0" in agents_seen
    assert not agents_seen & {"BeforeBrowser/1.0", "AfterBrowser/1.0"}


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "me@example.com")
    with client(live_server.url) as other, client(live_server.url) as c:
        sign_in(other, person)
        sign_in(c, person)
        token = csrf(c.get("/account/security").text)
        wrong = c.post(
            "/account/security/password",
            data={
                "csrf_token": token,
                "current_password": "nope-nope-nope",
                "new_password": "a-brand-new-password",
            },
        )
        assert wrong.status_code == 400 and "current password is incorrect" in wrong.text
        with sessions() as s:  # the wrong guess counts against the account's limit
            counted = s.scalars(
                select(RateLimitCounter.count).where(
                    RateLimitCounter.key == f"password:account:{person.user_id}"
                )
            ).all()
            assert counted == [1]
        short = c.post(
            "/account/security/password",
            data={"csrf_token": token, "current_password": PASSWORD, "new_password": "short"},
        )
        assert short.status_code == 422
        ok = c.post(
            "/account/security/password",
            data={
                "csrf_token": token,
                "current_password": PASSWORD,
                "new_password": "a-brand-new-password",
            },
        )
        assert ok.status_code == 303
        assert c.get("/account/security").status_code == 200  # this session stays
        assert other.get("/").status_code == 303  # the other one ended
    with client(live_server.url) as c:
        assert post_signin(c, person.email).status_code == 400
        assert post_signin(c, person.email, "a-brand-new-password").status_code == 303
    changed = [a for a in events(sessions) if a.event == Event.PASSWORD_CHANGED]
    assert len(changed) == 1 and changed[0].subject_id == person.user_id
    assert "a-brand-new-password" not in str([a.details for a in events(sessions)])


def test_each_sensitive_member_action_and_create_app_needs_a_fresh_code(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "boss@example.com", with_2fa=True)
    clerk = make_person(sessions, "clerk@example.com", role="viewer")
    target = membership_id(sessions, owner.company_id, clerk.user_id)
    with client(live_server.url) as c:
        sign_in(c, owner)
        for path, fields in (
            ("/settings/members", {"email": "x@example.com", "role": "viewer"}),
            (f"/settings/members/{target}/role", {"role": "admin"}),
            (f"/settings/members/{target}/remove", {}),
            (f"/settings/members/{target}/deactivate", {}),
        ):
            asked = act(c, path, None, **fields)
            assert asked.status_code == 200 and "Confirm:" in asked.text, path
            wrong = act(c, path, "000000", **fields)
            assert wrong.status_code == 400, path
        data = create_form_data(c, "No code", ["invoices:read"])
        asked = c.post(f"{BASE}/new", data=data)
        assert asked.status_code == 200 and "Confirm: Create this app" in asked.text
    with sessions() as s:
        assert s.scalar(select(App)) is None
        assert s.scalar(select(Invitation)) is None
        clerk_user = s.get(User, clerk.user_id)
        assert clerk_user is not None and clerk_user.is_active
    assert is_member(sessions, owner.company_id, clerk.user_id)
    assert not [a for a in events(sessions) if a.event == Event.MEMBER_ROLE_CHANGED]
