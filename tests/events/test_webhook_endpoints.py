"""Webhook endpoint rules in the service: HTTPS to public addresses only, event types the app
may read, people with ``appconnect:manage`` only; and what a revoked app no longer gets."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import apps
from newledger.config import Settings
from newledger.errors import PermissionDenied, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.events.endpoints import create_endpoint
from newledger.events.models import WebhookDelivery
from newledger.events.outbox import RETRY_STEPS, claim
from newledger.identity.permissions import Role
from tests.support.appconnect import make_app
from tests.support.books import make_books


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/hook", "forbidden_scheme"),
        ("https://10.1.2.3/hook", "forbidden"),
        ("https://127.0.0.1/hook", "forbidden"),
        ("https://[::ffff:192.168.0.1]/hook", "forbidden"),
        ("https://169.254.169.254/latest", "forbidden"),
        ("https://user:pw@example.com/hook", "bad_url"),
        ("ftp://example.com/hook", "forbidden_scheme"),
    ],
)
def test_only_https_urls_to_public_addresses_are_accepted(
    sessions: sessionmaker[Session], url: str, reason: str
) -> None:
    books = make_books(sessions)
    cred = make_app(sessions, books.tenant, "invoices:read")
    with sessions() as session, pytest.raises(ValidationFailed) as refused:
        create_endpoint(session, books.actor, cred.client_id, url=url, event_types=["invoice.paid"])
    assert refused.value.errors["url"] == reason


def test_an_endpoint_takes_only_events_its_app_may_read(sessions: sessionmaker[Session]) -> None:
    books = make_books(sessions)
    cred = make_app(sessions, books.tenant, "invoices:read", "invoices:draft")
    with sessions() as session:
        for actor, types, refusal in [
            (books.actor, ["contact.updated"], ValidationFailed),
            (books.actor, [], ValidationFailed),
            (books.role(Role.BOOKKEEPER), ["invoice.paid"], PermissionDenied),
            (books.app(), ["invoice.paid"], PermissionDenied),
        ]:
            with pytest.raises(refusal):
                create_endpoint(
                    session, actor, cred.client_id, url="https://example.com/h", event_types=types
                )


def test_a_revoked_app_gets_no_new_events_and_not_the_queued_ones(
    sessions: sessionmaker[Session],
) -> None:
    books = make_books(sessions)
    cred = make_app(sessions, books.tenant, "invoices:read")
    with sessions.begin() as session:
        create_endpoint(session, books.actor, cred.client_id, url="https://example.com/h",
                        event_types=["invoice.drafted"])  # fmt: skip
        emit(session, books.company_id, EventType.INVOICE_DRAFTED, 1)
    with sessions.begin() as session:
        apps.revoke_app(session, books.tenant.actor(session), cred.client_id)
        emit(session, books.company_id, EventType.INVOICE_DRAFTED, 2)
    with sessions.begin() as session:
        [queued] = session.scalars(select(WebhookDelivery)).all()  # none for the second change
        [claimed] = claim(session, "test", 10, 30)
    assert claimed.id == queued.id and not claimed.allowed


def test_a_failing_delivery_is_retried_for_at_least_a_day_by_default() -> None:
    base = Settings().webhook_retry_base_seconds
    assert base * sum(RETRY_STEPS) >= 24 * 3600
    assert base * sum(RETRY_STEPS[:-1]) < 24 * 3600  # and the last retry comes after a day
