"""Settings → App Connect → an app → Webhooks over real HTTP: adding an endpoint (HTTPS only,
step-up, the signing secret shown once, audited without it), the delivery log with response
codes, resend, and delete."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.events.models import WebhookDelivery, WebhookEndpoint
from newledger.ledger.contacts import create_contact
from tests.conftest import LiveServer
from tests.support.appconnect import server_key
from tests.support.appconnect_ui import BASE, app_row, make_app
from tests.support.webhooks import Receiver, WorkerProcess
from tests.support.workspace import Person, client, csrf, make_person, sign_in

__all__ = ["server_key"]

pytestmark = pytest.mark.usefixtures("server_key")

_SECRET = re.compile(r'<code id="webhook-secret">([^<]+)</code>')


def _add(c: httpx.Client, client_id: str, url: str, types: list[str], code: str) -> httpx.Response:
    token = csrf(c.get(f"{BASE}/{client_id}").text)
    data: dict[str, str | list[str]] = {
        "csrf_token": token, "url": url, "event_types": types, "code": code,
    }  # fmt: skip
    return c.post(f"{BASE}/{client_id}/webhooks", data=data)


def _post(c: httpx.Client, client_id: str, path: str, code: str | None = None) -> httpx.Response:
    data = {"csrf_token": csrf(c.get(f"{BASE}/{client_id}").text)}
    if code is not None:
        data["code"] = code
    return c.post(f"{BASE}/{client_id}/webhooks/{path}", data=data)


def _owner(sessions: sessionmaker[Session], email: str) -> Person:
    person = make_person(sessions, email, role="owner", with_2fa=True)
    assert person.authenticator is not None
    return person


def test_an_owner_adds_an_endpoint_and_sees_its_secret_once(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = _owner(sessions, "hooks@example.com")
    assert person.authenticator is not None
    client_id, _ = make_app(sessions, person, "invoices:read")
    with client(live_server.url) as c:
        sign_in(c, person)
        page = c.get(f"{BASE}/{client_id}").text
        assert 'id="webhooks"' in page and 'value="invoice.paid"' in page
        assert 'value="contact.updated"' not in page  # the app cannot read contacts
        http = _add(c, client_id, "http://example.com/hook", ["invoice.paid"],
                    person.authenticator.fresh_code())  # fmt: skip
        assert http.status_code == 422 and "https" in http.text
        done = _add(c, client_id, "https://example.com/hook", ["invoice.paid", "invoice.voided"],
                    person.authenticator.fresh_code())  # fmt: skip
        assert done.status_code == 200, done.text
        assert done.headers["cache-control"] == "no-store"
        found = _SECRET.search(done.text)
        assert found and found.group(1).startswith("whsec_")
        secret = found.group(1)
        detail = c.get(f"{BASE}/{client_id}").text
        assert "https://example.com/hook" in detail and secret not in detail
    app_id = app_row(sessions, client_id).id
    with sessions() as session:
        query = select(WebhookEndpoint).where(WebhookEndpoint.app_id == app_id)
        [endpoint] = session.scalars(query)
        assert endpoint.event_types == "invoice.paid invoice.voided"
        assert secret.removeprefix("whsec_") not in endpoint.sealed_secret
        rows = session.scalars(select(Activity).where(Activity.subject_id == app_id)).all()
        created = [a for a in rows if a.event == Event.WEBHOOK_ENDPOINT_CREATED]
        assert len(created) == 1 and created[0].details["url"] == "https://example.com/hook"
        everything = " ".join(str(a.details) for a in session.scalars(select(Activity)))
        assert "whsec_" not in everything and secret[6:] not in everything


def test_people_without_appconnect_manage_cannot_add_endpoints(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = _owner(sessions, "boss@example.com")
    client_id, _ = make_app(sessions, owner, "invoices:read")
    keeper = make_person(sessions, "keeper@example.com", role="bookkeeper", with_2fa=True)
    assert keeper.authenticator is not None
    with client(live_server.url) as c:
        sign_in(c, keeper)
        token = csrf(c.get("/").text)
        refused = c.post(
            f"{BASE}/{client_id}/webhooks",
            data={"csrf_token": token, "url": "https://example.com/h",
                  "event_types": ["invoice.paid"], "code": keeper.authenticator.fresh_code()},
        )  # fmt: skip
        assert refused.status_code == 403
    with sessions() as session:
        assert session.scalars(select(WebhookEndpoint)).all() == []


def _delivered(sessions: sessionmaker[Session], count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sessions() as session:
            statuses = list(session.scalars(select(WebhookDelivery.status)))
        if statuses.count("delivered") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(statuses)


def test_the_delivery_log_shows_response_codes_and_resend_sends_the_message_again(
    live_server: LiveServer, sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    receiver = Receiver(tmp_path, answer=lambda n: 500 if n == 1 else 200)
    person = _owner(sessions, "log@example.com")
    assert person.authenticator is not None and person.company_id is not None
    client_id, _ = make_app(sessions, person, "contacts:read")
    worker = WorkerProcess(database_url, receiver.env())
    try:
        with client(live_server.url) as c:
            sign_in(c, person)
            added = _add(c, client_id, receiver.url, ["contact.created"],
                         person.authenticator.fresh_code())  # fmt: skip
            assert added.status_code == 200, added.text
            with sessions.begin() as session:
                actor = Actor.system(person.company_id)
                contact = create_contact(session, actor, name="Globex")
            _delivered(sessions, 1)
            page = c.get(f"{BASE}/{client_id}").text
            assert 'data-status="delivered"' in page
            assert re.search(r'class="responses">500, 200<', page), page
            with sessions() as session:
                [delivery] = session.scalars(select(WebhookDelivery))
            resent = _post(c, client_id, f"deliveries/{delivery.id}/resend")
            assert resent.status_code == 303
            _delivered(sessions, 2)
            got = receiver.wait_for(3)
            assert got[1].headers["webhook-id"] == got[2].headers["webhook-id"]
            assert f'"id":{contact.id}' in got[2].body.decode()
            [endpoint_id] = re.findall(r'data-endpoint="(\d+)"', c.get(f"{BASE}/{client_id}").text)
            gone = _post(c, client_id, f"{endpoint_id}/delete", person.authenticator.fresh_code())
            assert gone.status_code == 303
            assert 'id="no-webhooks"' in c.get(f"{BASE}/{client_id}").text
    finally:
        worker.stop()
        receiver.close()
    with sessions() as session:
        assert session.scalars(select(WebhookDelivery)).all() == []  # they go with the endpoint
        events = [a.event for a in session.scalars(select(Activity).order_by(Activity.id))]
    assert Event.WEBHOOK_DELIVERY_RESENT in events and Event.WEBHOOK_ENDPOINT_DELETED in events
