"""Helpers for the workspace HTTP tests: build users through identity services, then drive the
real forms over HTTP (parsing CSRF tokens out of the HTML like a browser would)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import httpx
import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.audit.models import Activity
from newledger.identity import services, totp, twofactor
from newledger.identity.models import Company, User
from tests.conftest import LiveServer

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


@dataclass
class Authenticator:
    """A phone app: gives a code for a time-step the server has not accepted yet."""

    secret: str
    last: int = -1
    recovery_codes: list[str] = field(default_factory=list)

    def code_for(self, counter: int) -> str:
        return str(pyotp.TOTP(self.secret).generate_otp(counter))

    def fresh_code(self) -> str:
        while True:
            now = totp.counter_at(time.time())
            # The server accepts the previous, current and next step; take the oldest unused.
            for counter in (now - 1, now, now + 1):
                if counter > self.last:
                    self.last = counter
                    return self.code_for(counter)
            time.sleep(0.5)


@dataclass
class Person:
    user_id: int
    email: str
    company_id: int | None
    authenticator: Authenticator | None = None


def make_company(sessions: sessionmaker[Session], slug: str, name: str = "") -> int:
    with sessions() as s:
        existing = s.scalar(select(Company).where(Company.slug == slug))
        if existing is not None:
            return existing.id
        company = services.create_company(s, name=name or slug.title(), slug=slug)
        s.commit()
        return company.id


def make_person(
    sessions: sessionmaker[Session],
    email: str,
    *,
    role: str | None = "owner",
    company: str = "acme",
    with_2fa: bool = False,
    is_demo: bool = False,
) -> Person:
    company_id = make_company(sessions, company) if role else None
    with sessions() as s:
        user = services.create_user(
            s, email=email, name=email.split("@")[0], password=PASSWORD, is_demo=is_demo
        )
        if role and company_id is not None:
            services.add_member(
                s,
                company=s.get(Company, company_id),
                user=user,
                role=role,
                actor=Actor.system(company_id),
            )
        auth = None
        if with_2fa:
            enrolment = twofactor.begin_enrolment(s, user)
            auth = Authenticator(enrolment.secret)
            # Enrol with the previous step's code, leaving the current and next for the test.
            counter = totp.counter_at(time.time()) - 1
            auth.recovery_codes = twofactor.confirm_enrolment(
                s, user, auth.code_for(counter), Actor.system(company_id)
            )
            auth.last = counter
        s.commit()
        return Person(user.id, user.email, company_id, auth)


def client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)


def post_signin(c: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    page = c.get("/signin")
    assert page.status_code == 200, page.text
    return c.post(
        "/signin", data={"email": email, "password": password, "csrf_token": csrf(page.text)}
    )


def sign_in(c: httpx.Client, person: Person, password: str = PASSWORD) -> httpx.Response:
    """The whole sign-in, through the TOTP step when the person has 2FA; returns the last
    response (a redirect into the app)."""
    response = post_signin(c, person.email, password)
    assert response.status_code == 303, response.text
    if person.authenticator is None:
        return response
    assert response.headers["location"].startswith("/signin/totp")
    page = c.get("/signin/totp")
    response = c.post(
        "/signin/totp",
        data={"code": person.authenticator.fresh_code(), "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 303, response.text
    return response


def session_cookie(c: httpx.Client) -> str | None:
    return c.cookies.get("nl_session")


def events(sessions: sessionmaker[Session], user_id: int | None = None) -> list[Activity]:
    with sessions() as s:
        stmt = select(Activity).order_by(Activity.id)
        return list(s.scalars(stmt))


def user(sessions: sessionmaker[Session], user_id: int) -> User:
    with sessions() as s:
        found = s.get(User, user_id)
        assert found is not None
        return found


# Numbers no database integer column holds: SQLite refuses to bind them (OverflowError) and
# PostgreSQL reports "integer out of range".
HUGE = "99999999999999999999"
ODD_URLS = [
    f"/invoices/{HUGE}",
    f"/expenses/{HUGE}",
    f"/contacts/{HUGE}",
    f"/review/invoices/{HUGE}/edit",
    f"/review/expenses/{HUGE}/edit",
    f"/invoices?page={HUGE}",
    f"/expenses?page={HUGE}",
    f"/contacts?page={HUGE}",
    f"/invoices?contact_id={HUGE}",
    f"/expenses?contact_id={HUGE}",
    f"/activity?page={HUGE}",
    "/activity?until=9999-12-31",
]


@pytest.fixture
def owner_cookies(live_server: LiveServer, sessions: sessionmaker[Session]) -> httpx.Cookies:
    """The session cookies of a signed-in owner (a company of their own)."""
    person = make_person(sessions, "odd-urls@example.com", company="oddurls")
    with client(live_server.url) as c:
        sign_in(c, person)
        return c.cookies
