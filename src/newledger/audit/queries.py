"""Reading a company's activity: filters, pages and a streaming export.

A company's activity is its own rows plus the company-less identity rows (sign-in, 2FA) of its
members *while they were members* (``membership_periods``), so an owner can see who signed in
and how, and nothing of a person's life before they joined or after they left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from newledger.audit.models import Activity
from newledger.identity.models import MembershipPeriod

__all__ = ["ActivityFilter", "actor_labels", "iter_activity", "list_activity"]


@dataclass(frozen=True)
class ActivityFilter:
    event: str | None = None
    actor: str | None = None  # the actor's label (an email, an app name)
    since: dt.date | None = None  # inclusive, UTC days
    until: dt.date | None = None  # inclusive


def _member_then(
    company_id: int, user_id: InstrumentedAttribute[int | None]
) -> ColumnElement[bool]:
    """Was ``user_id`` a member of the company when the activity row was written?"""
    return exists().where(
        MembershipPeriod.company_id == company_id,
        MembershipPeriod.user_id == user_id,
        MembershipPeriod.started_at <= Activity.created_at,
        or_(MembershipPeriod.ended_at.is_(None), MembershipPeriod.ended_at > Activity.created_at),
    )


def _scope(company_id: int) -> Select[Activity]:
    return select(Activity).where(
        or_(
            Activity.company_id == company_id,
            and_(
                Activity.company_id.is_(None),
                or_(
                    _member_then(company_id, Activity.actor_user_id),
                    and_(
                        Activity.subject_type == "user",
                        _member_then(company_id, Activity.subject_id),
                    ),
                ),
            ),
        )
    )


def _query(company_id: int, flt: ActivityFilter) -> Select[Activity]:
    stmt = _scope(company_id)
    if flt.event:
        stmt = stmt.where(Activity.event == flt.event)
    if flt.actor:
        stmt = stmt.where(Activity.actor_label == flt.actor)
    if flt.since:
        start = dt.datetime.combine(flt.since, dt.time(), tzinfo=dt.UTC)
        stmt = stmt.where(Activity.created_at >= start)
    if flt.until and flt.until < dt.date.max:  # the last day has no next day: no upper bound
        end = dt.datetime.combine(flt.until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        stmt = stmt.where(Activity.created_at < end)
    return stmt.order_by(Activity.created_at.desc(), Activity.id.desc())


def list_activity(
    session: Session, company_id: int, flt: ActivityFilter, *, page: int, per_page: int = 50
) -> tuple[list[Activity], bool]:
    """One page (1-based) of rows, newest first, and whether there is a next page."""
    rows = list(
        session.scalars(
            _query(company_id, flt).offset((max(page, 1) - 1) * per_page).limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def iter_activity(
    session: Session, company_id: int, flt: ActivityFilter, *, batch: int = 1000
) -> Iterator[Activity]:
    yield from session.scalars(_query(company_id, flt).execution_options(yield_per=batch))


def actor_labels(session: Session, company_id: int, *, limit: int = 200) -> list[str]:
    sub = _scope(company_id).with_only_columns(Activity.actor_label).distinct().subquery()
    return [
        label
        for label in session.scalars(
            select(sub.c.actor_label).order_by(sub.c.actor_label).limit(limit)
        )
        if label
    ]
