"""Reading a company's activity: the list every protocol pages through, and the export.

A company's activity is its own rows plus the company-less identity rows (sign-in, 2FA) of its
members *while they were members* (``membership_periods``), so an owner can see who signed in
and how, and nothing of a person's life before they joined or after they left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from newledger.actor import Actor
from newledger.audit.models import Activity
from newledger.identity.models import MembershipPeriod
from newledger.identity.permissions import Permission
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "ACTIVITY_ORDERS",
    "ActivityFilters",
    "actor_labels",
    "grant_activity",
    "iter_activity",
    "list_activity",
]

ACTIVITY_ORDERS: dict[str, Order] = {
    # Activity is append-only: the order it was recorded in.
    "changed": Order(Activity.created_at, Activity.id),
    "newest": Order(Activity.created_at, Activity.id, descending=True),
}


@dataclass(frozen=True)
class ActivityFilters:
    event: str | None = None
    actor: str | None = None  # the actor's label (an email, an app name)
    since: dt.date | None = None  # inclusive, UTC days
    until: dt.date | None = None  # inclusive


def _member_then(
    company_id: BindParameter[int], user_id: InstrumentedAttribute[int | None]
) -> ColumnElement[bool]:
    """Was ``user_id`` a member of the company when the activity row was written?"""
    return exists().where(
        MembershipPeriod.company_id == company_id,
        MembershipPeriod.user_id == user_id,
        MembershipPeriod.started_at <= Activity.created_at,
        or_(MembershipPeriod.ended_at.is_(None), MembershipPeriod.ended_at > Activity.created_at),
    )


def _scope() -> ColumnElement[bool]:
    company_id: BindParameter[int] = bindparam("company_id")
    return or_(
        Activity.company_id == company_id,
        and_(
            Activity.company_id.is_(None),
            or_(
                _member_then(company_id, Activity.actor_user_id),
                and_(
                    Activity.subject_type == "user", _member_then(company_id, Activity.subject_id)
                ),
            ),
        ),
    )


_LISTING = Listing(
    select(Activity),
    _scope(),
    Activity.created_at,
    {
        "event": lambda v: Activity.event == v,
        "actor": lambda v: Activity.actor_label == v,
        "start": lambda v: Activity.created_at >= v,
        "end": lambda v: Activity.created_at < v,
    },
    ACTIVITY_ORDERS,
    entities=True,
)


def _params(filters: ActivityFilters) -> dict[str, Any]:
    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    until = filters.until
    return {
        "event": filters.event,
        "actor": filters.actor,
        "start": midnight(filters.since) if filters.since else None,
        # The last day of the calendar has no next day: no upper bound then.
        "end": midnight(until + dt.timedelta(days=1)) if until and until < dt.date.max else None,
    }


def list_activity(
    session: Session, actor: Actor, filters: ActivityFilters, page: PageRequest
) -> Page[Activity]:
    """One page of the company's activity; ``updated_since`` is on the time it was recorded.
    Needs ``activity:read``."""
    actor.require(Permission.ACTIVITY_READ)
    company_id = actor.company_scope()
    return _LISTING.page(session, company_id, _params(filters), page)


def iter_activity(
    session: Session, actor: Actor, filters: ActivityFilters, *, batch: int = 1000
) -> Iterator[Activity]:
    """All of the company's activity matching ``filters``, newest first, read in batches (for
    an export). Needs ``activity:read``."""
    actor.require(Permission.ACTIVITY_READ)
    params = {k: v for k, v in _params(filters).items() if v is not None}
    query = (
        select(Activity)
        .where(_scope(), *(_LISTING.conditions[name](bindparam(name)) for name in params))
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .execution_options(yield_per=batch)
    )
    yield from session.scalars(query, {**params, "company_id": actor.company_scope()})


def actor_labels(session: Session, actor: Actor, *, limit: int = 200) -> list[str]:
    """The distinct actor labels in the company's activity, for a filter. Needs
    ``activity:read``."""
    actor.require(Permission.ACTIVITY_READ)
    sub = select(Activity.actor_label).where(_scope()).distinct().subquery()
    labels = session.scalars(
        select(sub.c.actor_label).order_by(sub.c.actor_label).limit(limit),
        {"company_id": actor.company_scope()},
    )
    return [label for label in labels if label]


def grant_activity(
    session: Session,
    company_id: int,
    actor_column: InstrumentedAttribute[int | None],
    subject_type: str,
    grant_id: int,
    *,
    limit: int = 50,
) -> list[Activity]:
    """An app's or connection's own story within its company, newest first: what it did (the
    rows whose ``actor_column`` names it) and what was done to it (the rows about it)."""
    stmt = (
        select(Activity)
        .where(
            Activity.company_id == company_id,
            or_(
                actor_column == grant_id,
                (Activity.subject_type == subject_type) & (Activity.subject_id == grant_id),
            ),
        )
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
