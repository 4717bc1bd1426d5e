"""Reading the change feed: what changed in a company after a cursor, oldest first.

The cursor is the company's change number (``change_counters``), so it only grows and a reader
that has seen number n has seen every change below it (see ``events.models``). Deletions are
kept as tombstones: a sync client that applies every entry never keeps a record that is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import Gone, PermissionDenied, ValidationFailed
from newledger.events.catalogue import READ_PERMISSION, TOMBSTONES
from newledger.events.changes import change_details
from newledger.events.models import ChangeCounter, ChangeEvent

__all__ = ["ChangePage", "change_dict", "read_changes"]

MAX_LIMIT = 200  # as for every list (DESIGN §6)


@dataclass(frozen=True, slots=True)
class ChangePage:
    changes: list[ChangeEvent]
    next_cursor: str  # where to continue: the last change returned, or the cursor given
    has_more: bool


def _types(actor: Actor, wanted: Iterable[str] | None) -> list[str]:
    """The resource types to read: those asked for (each needs its read permission), or every
    type the actor may read."""
    if wanted is None:
        readable = [t for t, p in READ_PERMISSION.items() if actor.can(p)]
        if not readable:
            raise PermissionDenied(
                "Reading changes needs the read permission of at least one resource",
                required=tuple(READ_PERMISSION.values()),
            )
        return readable
    types = sorted(set(wanted))
    unknown = [t for t in types if t not in READ_PERMISSION]
    if unknown or not types:
        raise ValidationFailed(
            "Unknown change types: " + ", ".join(unknown)
            if unknown
            else "Name at least one change type",
            errors={"types": "one or more of " + ", ".join(READ_PERMISSION)},
        )
    actor.require(*(READ_PERMISSION[t] for t in types))
    return types


def parse_cursor(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ValidationFailed(
            "The cursor is the next_cursor of an earlier answer", errors={"since": "invalid"}
        )
    return int(value)


def read_changes(
    session: Session,
    actor: Actor,
    *,
    since: str | None = None,
    limit: int = 100,
    types: Iterable[str] | None = None,
) -> ChangePage:
    """Changes after ``since`` (a ``next_cursor``; none: from the oldest change kept), at most
    ``limit``. A cursor older than the oldest change kept (``events.prune`` removed what
    followed it) raises ``Gone`` (``cursor_expired``): the reader must resync, since continuing
    would silently skip what was pruned. Needs the read permission of each type asked for
    (none given: every readable type)."""
    company_id = actor.company_scope()
    chosen = _types(actor, types)
    # From the start: past what pruning is about to delete, so the cursors handed out stay valid.
    after = parse_cursor(since) if since else _pruned_seq(session, company_id)
    limit = max(1, min(limit, MAX_LIMIT))
    rows = list(
        session.scalars(
            select(ChangeEvent)
            .where(
                ChangeEvent.company_id == company_id,
                ChangeEvent.seq > after,
                ChangeEvent.resource_type.in_(chosen),
            )
            .order_by(ChangeEvent.seq)
            .limit(limit + 1)
        )
    )
    # Read after the rows: a prune that committed before them is seen here, so the answer is
    # either complete or refused, never a page with a silent gap.
    if since and after < _pruned_seq(session, company_id):
        raise Gone(
            "This cursor is older than the oldest change kept; resync: list the records "
            "again, then read the feed from its start (without `since`)",
            code="cursor_expired",
        )
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = str(rows[-1].seq) if rows else str(after)
    return ChangePage(rows, cursor, more)


def _pruned_seq(session: Session, company_id: int) -> int:
    return (
        session.scalar(
            select(ChangeCounter.pruned_seq).where(ChangeCounter.company_id == company_id)
        )
        or 0
    )


def change_dict(event: ChangeEvent) -> dict[str, Any]:
    return {
        "cursor": str(event.seq),
        "type": event.resource_type,
        "id": event.resource_id,
        "event": event.event_type,
        "deleted": event.event_type in TOMBSTONES,
        "occurred_at": event.created_at,
        **change_details(event),
    }
