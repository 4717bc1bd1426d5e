"""Housekeeping: drop finished webhook deliveries and old changes after their retention.

- A delivery is finished when it is ``delivered`` or ``failed``; it goes (with its attempts)
  once its last attempt (``next_attempt_at``, the time it was last due) is older than
  ``webhook_retention_days``. Pending ones are never touched, however old. The outbox's due
  index ``(status, next_attempt_at)`` finds them, so pruning adds no index to the hot table.
- Changes older than ``change_feed_retention_days`` go, company by company: first the
  company's ``pruned_seq`` is raised to the newest of them (so from that commit on a cursor
  below it is answered 410, see ``events.feed``), then the rows are deleted in batches.

Every delete is in short transactions of at most ``BATCH`` rows, so a worker pruning a large
backlog never holds locks the request path waits for. Any number of workers may prune at once:
deleting what another already deleted is a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.config import get_settings
from newledger.db import session_scope, utcnow
from newledger.events.models import ChangeCounter, ChangeEvent, WebhookAttempt, WebhookDelivery

__all__ = ["BATCH", "Pruned", "prune"]

log = logging.getLogger("newledger.events")

BATCH = 1000
FINISHED = ("delivered", "failed")


@dataclass(frozen=True, slots=True)
class Pruned:
    deliveries: int
    changes: int


def prune(sessions: sessionmaker[Session], *, now: dt.datetime | None = None) -> Pruned:
    """Delete what is past its retention at ``now`` (default: now); say how much went."""
    settings = get_settings()
    now = now or utcnow()
    deliveries = _prune_deliveries(
        sessions, now - dt.timedelta(days=settings.webhook_retention_days)
    )
    changes = _prune_changes(sessions, now - dt.timedelta(days=settings.change_feed_retention_days))
    if deliveries or changes:
        log.info("pruned %d webhook deliveries and %d changes", deliveries, changes)
    return Pruned(deliveries, changes)


def _prune_deliveries(sessions: sessionmaker[Session], cutoff: dt.datetime) -> int:
    done = 0
    while True:
        with session_scope(sessions) as session:
            ids = list(
                session.scalars(
                    select(WebhookDelivery.id)
                    .where(
                        WebhookDelivery.status.in_(FINISHED),
                        WebhookDelivery.next_attempt_at < cutoff,
                    )
                    .limit(BATCH)
                )
            )
            if not ids:
                return done
            session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
            session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
        done += len(ids)


def _prune_changes(sessions: sessionmaker[Session], cutoff: dt.datetime) -> int:
    with session_scope(sessions) as session:
        newest_old = session.execute(
            select(ChangeEvent.company_id, func.max(ChangeEvent.seq))
            .where(ChangeEvent.created_at < cutoff)
            .group_by(ChangeEvent.company_id)
        ).all()
    done = 0
    for company_id, seq in newest_old:
        with session_scope(sessions) as session:
            session.execute(
                update(ChangeCounter)
                .where(ChangeCounter.company_id == company_id, ChangeCounter.pruned_seq < seq)
                .values(pruned_seq=seq)
            )
        while True:
            with session_scope(sessions) as session:
                ids = list(
                    session.scalars(
                        select(ChangeEvent.id)
                        .where(ChangeEvent.company_id == company_id, ChangeEvent.seq <= seq)
                        .limit(BATCH)
                    )
                )
                if not ids:
                    break
                session.execute(delete(ChangeEvent).where(ChangeEvent.id.in_(ids)))
            done += len(ids)
    return done
