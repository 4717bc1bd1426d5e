"""Writing and reading activity. Rows are added to the caller's session, so they commit (or roll
back) together with the change they record."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from newledger.actor import Actor, activity_source
from newledger.audit.models import Activity
from newledger.audit.tags import Event

__all__ = ["activity_values", "record"]

# Keys whose values must never reach the activity log, whatever a caller passes.
_SECRET_KEYS = frozenset(
    {
        "secret",
        "client_secret",
        "password",
        "token",
        "access_token",
        "refresh_token",
        "code",
        "totp",
        "totp_code",
        "recovery_code",
        "authorization",
    }
)


def _scrub(details: dict[str, Any]) -> dict[str, Any]:
    return {k: ("[redacted]" if k.lower() in _SECRET_KEYS else v) for k, v in details.items()}


def activity_values(
    event: str,
    actor: Actor,
    *,
    company_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of an activity row (secret-named detail keys redacted)."""
    return {
        "company_id": company_id if company_id is not None else actor.company_id,
        "event": event,
        "actor_type": actor.type,
        "actor_user_id": actor.user_id,
        "actor_app_id": actor.app_id,
        "actor_connection_id": actor.connection_id,
        "actor_label": actor.label,
        "source": activity_source(actor),
        "subject_type": subject_type,
        "subject_id": subject_id,
        "ip": actor.ip,
        "user_agent": (actor.user_agent or "")[:400] or None,
        "details": _scrub(details or {}),
    }


def record(
    session: Session,
    event: Event,
    actor: Actor,
    *,
    company_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> Activity:
    row = Activity(
        **activity_values(
            event.value,
            actor,
            company_id=company_id,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
        )
    )
    session.add(row)
    return row
