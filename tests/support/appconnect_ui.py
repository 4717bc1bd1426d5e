"""Helpers for the App Connect settings UI tests: drive the real forms over HTTP."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import apps
from newledger.appconnect.models import App
from newledger.audit.models import Activity
from newledger.identity.models import User
from newledger.identity.services import user_actor
from tests.support.workspace import Person, csrf

BASE = "/settings/appconnect/apps"
_CLIENT_ID = re.compile(r'<code id="client-id">([^<]+)</code>')
_SECRET = re.compile(r'<code id="client-secret">([^<]+)</code>')


@dataclass
class Shown:
    """What the one-time page showed."""

    client_id: str
    secret: str
    response: httpx.Response


def shown(response: httpx.Response) -> Shown:
    cid, secret = _CLIENT_ID.search(response.text), _SECRET.search(response.text)
    assert cid and secret, response.text
    return Shown(cid.group(1), secret.group(1), response)


_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


def create_form_data(
    c: httpx.Client, name: str, permissions: list[str], expires_at: str = "", code: str = ""
) -> dict[str, str | list[str]]:
    """What the browser posts from the Create App form, hidden fields and the step-up code
    included."""
    page = c.get(f"{BASE}/new?type=api-credentials").text
    request_id = _REQUEST_ID.search(page)
    assert request_id, page
    return {
        "csrf_token": csrf(page),
        "request_id": request_id.group(1),
        "name": name,
        "expires_at": expires_at,
        "permissions": permissions,
        "code": code,
    }


def create_via_ui(
    c: httpx.Client, person: Person, name: str, permissions: list[str], expires_at: str = ""
) -> httpx.Response:
    assert person.authenticator is not None
    code = person.authenticator.fresh_code()
    return c.post(f"{BASE}/new", data=create_form_data(c, name, permissions, expires_at, code))


def act(
    c: httpx.Client, client_id: str, action: str, code: str | None, **fields: str
) -> httpx.Response:
    """Post an action form from the app's detail page (with ``code`` as the step-up answer)."""
    token = csrf(c.get(f"{BASE}/{client_id}").text)
    data = {"csrf_token": token, **fields}
    if code is not None:
        data["code"] = code
    return c.post(f"{BASE}/{client_id}/{action}", data=data)


def make_app(
    sessions: sessionmaker[Session], person: Person, *permissions: str, name: str = "Sync"
) -> tuple[str, str]:
    """An app made through the service (the create form has its own tests)."""
    assert person.company_id is not None
    with sessions.begin() as session:
        user = session.get(User, person.user_id)
        assert user is not None
        actor = user_actor(session, user, person.company_id)
        app, secret = apps.create_app(
            session, actor, name=name, permissions=list(permissions or ("invoices:read",))
        )
        return app.client_id, secret


def token_response(base_url: str, client_id: str, secret: str) -> httpx.Response:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return httpx.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {raw}"},
    )


def app_row(sessions: sessionmaker[Session], client_id: str) -> App:
    with sessions() as session:
        app = session.scalar(select(App).where(App.client_id == client_id))
        assert app is not None
        session.expunge(app)
        return app


def app_events(sessions: sessionmaker[Session], app_id: int) -> list[Activity]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Activity)
                .where(Activity.subject_type == "app", Activity.subject_id == app_id)
                .order_by(Activity.id)
            )
        )


def stepups(sessions: sessionmaker[Session], user_id: int) -> list[str]:
    with sessions() as session:
        rows = session.scalars(
            select(Activity)
            .where(Activity.event == "identity:stepup:confirmed", Activity.actor_user_id == user_id)
            .order_by(Activity.id)
        )
        return [str(a.details.get("action")) for a in rows]
