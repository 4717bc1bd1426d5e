"""Writing a change: one ``change_events`` row, and one outbox row per webhook endpoint that
takes its type, all in the caller's session, so they commit (or roll back) with the change.

Services call ``emit`` last, after every other row they lock: the per-company counter row it
updates is then held only for the commit, and no service waits for a row lock while holding it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from newledger.appconnect.grants import app_grant, app_with_creator
from newledger.appconnect.models import App
from newledger.db import utcnow
from newledger.events.catalogue import READ_PERMISSION, EventType, resource_of
from newledger.events.models import ChangeCounter, ChangeEvent, WebhookDelivery, WebhookEndpoint
from newledger.identity.permissions import Permission

__all__ = ["app_permissions", "change_details", "emit", "new_message_id", "payload"]


def _next_seq(session: Session, company_id: int) -> int:
    """Take the company's next change number; the UPSERT locks its counter row until commit."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ChangeCounter)
        .values(company_id=company_id, last_seq=1)
        .on_conflict_do_update(
            index_elements=[ChangeCounter.company_id],
            set_={"last_seq": ChangeCounter.last_seq + 1},
        )
        .returning(ChangeCounter.last_seq)
    )
    return int(session.execute(statement).scalar_one())


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def payload(event: ChangeEvent) -> str:
    """The webhook body: a thin event naming what changed. The receiver reads the record itself
    through the API, with its own token, so what it sees always follows its current
    permissions, and a body never carries data the app has since lost the right to read."""
    body: dict[str, Any] = {
        "type": event.event_type,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "object": event.resource_type,
            "id": event.resource_id,
            "company_id": event.company_id,
            "change": str(event.seq),
            **change_details(event),
        },
    }
    return orjson.dumps(body).decode()


def change_details(event: ChangeEvent) -> dict[str, Any]:
    """What a change says beyond "this record changed", where the service said it: the
    record's ``external_id`` and, for an update, the names of the ``changed`` fields (never
    their values, for the reason ``payload`` gives)."""
    details: dict[str, Any] = {}
    if event.external_id is not None:
        details["external_id"] = event.external_id
    if event.changed_fields is not None:
        details["changed"] = event.changed_fields.split()
    return details


def app_permissions(session: Session, app_ids: set[int]) -> dict[int, frozenset[Permission]]:
    """Each app's effective permissions now (empty once revoked, deleted or expired)."""
    if not app_ids:
        return {}
    rows = session.execute(
        app_with_creator(App.id, App.company_id, App.permissions, App.revoked_at, App.deleted_at,
                         App.expires_at).where(App.id.in_(app_ids))
    )  # fmt: skip
    now = utcnow()
    return {
        row.id: app_grant(row, role=row.role, is_active=row.is_active, now=now).effective
        for row in rows
    }


def emit(
    session: Session,
    company_id: int,
    event_type: EventType,
    resource_id: int,
    *,
    external_id: str | None = None,
    changed: Iterable[str] | None = None,
) -> ChangeEvent:
    """Record that ``resource_id`` changed (``event_type`` names the resource and the action);
    ``external_id`` and the ``changed`` field names travel with it (see ``change_details``)."""
    resource = resource_of(event_type)
    event = ChangeEvent(
        company_id=company_id,
        seq=_next_seq(session, company_id),
        resource_type=resource,
        resource_id=resource_id,
        event_type=event_type.value,
        external_id=external_id,
        changed_fields=None if changed is None else " ".join(sorted(changed)),
        created_at=utcnow(),
    )
    session.add(event)
    endpoints = [
        endpoint
        for endpoint in session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.company_id == company_id)
        )
        if event_type.value in endpoint.event_types.split()
    ]
    if endpoints:
        allowed = app_permissions(session, {e.app_id for e in endpoints})
        body = payload(event)
        needed = READ_PERMISSION[resource]
        for endpoint in endpoints:
            if needed in allowed.get(endpoint.app_id, frozenset()):
                session.add(
                    WebhookDelivery(
                        company_id=company_id,
                        endpoint_id=endpoint.id,
                        message_id=new_message_id(),
                        event_type=event_type.value,
                        payload=body,
                        next_attempt_at=event.created_at,
                    )
                )
    return event
