"""Rotating a webhook endpoint's signing secret: from the app's page with a TOTP step-up, the new
secret shown once and the rotation audited without it; deliveries carry a signature under the
new and the previous secret during the overlap, and only under the new one after it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.db import utcnow
from newledger.events.endpoints import rotate_secret
from newledger.events.models import WebhookEndpoint
from newledger.ledger.contacts import create_contact
from tests.conftest import LiveServer
from tests.support.appconnect import make_app, server_key
from tests.support.appconnect_ui import BASE, app_row
from tests.support.appconnect_ui import make_app as make_app_in_ui
from tests.support.books import make_books
from tests.support.webhooks import Receiver, WorkerProcess, add_endpoint
from tests.support.workspace import client, csrf, make_person, sign_in

__all__ = ["server_key"]

_SECRET = re.compile(r'<code id="webhook-secret">([^<]+)</code>')


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    r = Receiver(tmp_path)
    yield r
    r.close()


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def test_both_secrets_sign_during_the_overlap_and_only_the_new_one_after(
    sessions: sessionmaker[Session], database_url: str, receiver: Receiver
) -> None:
    books = make_books(sessions)
    cred = make_app(sessions, books.tenant, "contacts:read")
    old = add_endpoint(sessions, books, cred.client_id, receiver.url, "contact.created")
    with sessions.begin() as session:
        [endpoint_id] = session.scalars(select(WebhookEndpoint.id))
        endpoint, new = rotate_secret(session, books.actor, cred.client_id, endpoint_id)
        assert new.startswith("whsec_") and new != old
        overlap = endpoint.previous_secret_expires_at
        assert overlap is not None and 23.9 * 3600 < (overlap - utcnow()).total_seconds() <= 86400
    worker = WorkerProcess(database_url, receiver.env())
    try:
        with sessions.begin() as session:
            create_contact(session, books.actor, name="During the overlap")
        [during] = receiver.wait_for(1)
        with sessions.begin() as session:  # a day later: the overlap is over
            session.execute(update(WebhookEndpoint).values(previous_secret_expires_at=utcnow()))
            create_contact(session, books.actor, name="After the overlap")
        after = receiver.wait_for(2)[1]
    finally:
        worker.stop()
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert _verifies(old, during.body, during.headers)
    assert _verifies(new, during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert _verifies(new, after.body, after.headers)
    assert not _verifies(old, after.body, after.headers)


def test_an_owner_rotates_a_secret_from_the_app_page_and_sees_it_once(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    person = make_person(sessions, "rotate@example.com", role="owner", with_2fa=True)
    assert person.authenticator is not None
    client_id, _ = make_app_in_ui(sessions, person, "invoices:read")
    with client(live_server.url) as c:
        sign_in(c, person)
        token = csrf(c.get(f"{BASE}/{client_id}").text)
        added = c.post(
            f"{BASE}/{client_id}/webhooks",
            data={"csrf_token": token, "url": "https://example.com/hook",
                  "event_types": ["invoice.paid"], "code": person.authenticator.fresh_code()},
        )  # fmt: skip
        assert added.status_code == 200, added.text
        first = _SECRET.search(added.text)
        assert first is not None
        page = c.get(f"{BASE}/{client_id}").text
        [endpoint_id] = re.findall(r'data-endpoint="(\d+)"', page)
        action = f"{BASE}/{client_id}/webhooks/{endpoint_id}/rotate"
        assert f'action="{action}"' in page
        c.post(action, data={"csrf_token": csrf(page)})  # no code: asks for one, rotates nothing
        with sessions() as session:
            assert session.scalar(select(WebhookEndpoint.previous_sealed_secret)) is None
        rotated = c.post(
            action, data={"csrf_token": csrf(page), "code": person.authenticator.fresh_code()}
        )
        assert rotated.status_code == 200, rotated.text
        assert rotated.headers["cache-control"] == "no-store"
        assert "Signing secret rotated" in rotated.text and 'id="rotation-overlap"' in rotated.text
        shown = _SECRET.search(rotated.text)
        assert shown is not None and shown.group(1) != first.group(1)
        secret = shown.group(1)
        detail = c.get(f"{BASE}/{client_id}").text
        assert secret not in detail and "Previous secret also signs until" in detail
    app_id = app_row(sessions, client_id).id
    with sessions() as session:
        rows = session.scalars(select(Activity).where(Activity.subject_id == app_id)).all()
        [event] = [a for a in rows if a.event == Event.WEBHOOK_ENDPOINT_SECRET_ROTATED]
        assert event.details["endpoint_id"] == int(endpoint_id)
        everything = " ".join(str(a.details) for a in session.scalars(select(Activity)))
        assert secret[6:] not in everything and first.group(1)[6:] not in everything
