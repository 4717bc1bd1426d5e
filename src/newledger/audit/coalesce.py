"""Coalesced activity: one row per (event, company, subject, client, reason, minute), with a count.

Refused requests are the one kind of activity an outsider can produce at will. Written one row
per request, a flood of wrong secrets would fill the activity log and make every refusal a
database write on the request path. Instead each process counts refusals in memory and a
background thread writes them, at most one batch every quarter of a second: a new kind at
once, then its growing count. Several processes (workers, instances) add to the same row
through an upsert on ``coalesce_key``, so there is one row per kind and minute however many
processes serve.

Hand-written because no logging or audit library does this against our activity table; the
buffering is a dict and a thread.

Trade-off: counts still in memory when a process is killed (not stopped) are lost, at most the
last quarter second's. ``flush`` runs at interpreter exit for an orderly stop.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.models import Activity
from newledger.audit.services import activity_values
from newledger.db import utcnow
from newledger.identity.models import Company

__all__ = ["Coalescer", "Occurrence", "Pending", "existing_companies", "upsert"]

log = logging.getLogger(__name__)

_FLUSH_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One refused request, as it is counted. Everything here is safe to store: callers pass
    client ids already cut to their loggable form and never a secret."""

    event: str
    reason: str
    # Who asked (an app, or ``system`` for a caller not known), the company, IP and user agent.
    actor: Actor
    subject_type: str | None = None
    subject_id: int | None = None
    client_id: str = ""
    details: tuple[tuple[str, str], ...] = ()
    minute: str = field(default="", compare=False)

    @property
    def company_id(self) -> int | None:
        return self.actor.company_id

    def attributed(self, *, subject_type: str, subject_id: int, company_id: int) -> Occurrence:
        actor = replace(self.actor, company_id=company_id)
        return replace(self, actor=actor, subject_type=subject_type, subject_id=subject_id)

    def key(self) -> str:
        return "|".join(
            (
                self.event,
                str(self.company_id or ""),
                self.subject_type or "",
                str(self.subject_id or ""),
                self.client_id,
                self.reason,
                self.minute,
            )
        )


def _minute(now: dt.datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M")


def upsert(session: Session, occurrence: Occurrence, count: int, *, first: bool) -> None:
    """Add ``count`` to the occurrence's row for its minute.

    ``first`` (this process has not written this kind yet) inserts the row, or adds to it when
    another process was first. Later counts only add to an existing row: if it is gone (the
    activity table was emptied), they are dropped rather than recreate a row out of context.
    """
    key = hashlib.sha256(occurrence.key().encode()).hexdigest()
    if not first:
        session.execute(
            update(Activity)
            .where(Activity.coalesce_key == key)
            .values(occurrences=Activity.occurrences + count)
        )
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    details: dict[str, object] = {
        "reason": occurrence.reason,
        **({"client_id": occurrence.client_id} if occurrence.client_id else {}),
        **dict(occurrence.details),
    }
    values = activity_values(
        occurrence.event,
        occurrence.actor,
        subject_type=occurrence.subject_type,
        subject_id=occurrence.subject_id,
        details=details,
    )
    stmt = (
        insert(Activity)
        .values(**values, created_at=utcnow(), occurrences=count, coalesce_key=key)
        .on_conflict_do_update(
            index_elements=[Activity.coalesce_key],
            set_={"occurrences": Activity.occurrences + count},
        )
    )
    session.execute(stmt)


def existing_companies(session: Session, ids: set[int]) -> set[int]:
    """Which of ``ids`` name a company (a claimed company id may be made up)."""
    if not ids:
        return set()
    return set(session.scalars(select(Company.id).where(Company.id.in_(ids))))


@dataclass(frozen=True, slots=True)
class Pending:
    occurrence: Occurrence
    count: int
    first: bool  # the first batch of this kind from this process


Writer = Callable[[list[Pending]], None]


class Coalescer:
    """Counts occurrences in memory; a daemon thread hands them to ``write`` in batches.

    ``note`` never touches the database, so it is safe on any request path, inside or outside
    a transaction, sync or async.
    """

    def __init__(
        self, write: Writer, *, interval: float = _FLUSH_SECONDS, max_kinds: int = 1000
    ) -> None:
        self._write = write
        self._interval = interval
        self._max_kinds = max_kinds
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[str, tuple[Occurrence, int]] = {}
        self._written: dict[str, str] = {}  # kinds already written -> their minute
        self._new_kind = threading.Event()
        self._thread: threading.Thread | None = None

    def note(self, occurrence: Occurrence) -> None:
        stamped = replace(occurrence, minute=_minute(utcnow()))
        key = stamped.key()
        with self._lock:
            held = self._pending.get(key)
            if held is None and len(self._pending) >= self._max_kinds:
                # A flood of distinct kinds (made-up client ids): count the rest as one.
                anyone = replace(stamped.actor, company_id=None)
                stamped = replace(stamped, actor=anyone, client_id="[many]", subject_id=None)
                key = stamped.key()
                held = self._pending.get(key)
            self._pending[key] = (held[0] if held else stamped, (held[1] if held else 0) + 1)
            new = key not in self._written
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="activity-coalescer", daemon=True
                )
                self._thread.start()
                atexit.register(self.flush)
        if new:
            self._new_kind.set()

    def flush(self) -> None:
        """Write everything counted so far (the thread does this; tests and exit may too)."""
        with self._flush_lock:
            with self._lock:
                taken, self._pending = self._pending, {}
                minute = _minute(utcnow())
                # Only this minute's kinds can still grow; forget the rest.
                self._written = {k: m for k, m in self._written.items() if m == minute}
                batch = [
                    Pending(occurrence, count, key not in self._written)
                    for key, (occurrence, count) in taken.items()
                ]
                self._written.update({k: o.minute for k, (o, _) in taken.items()})
            if not batch:
                return
            try:
                self._write(batch)
            except Exception:
                # Never raise into a request or lose the thread; the counts are dropped, which
                # the log line says (without the entries, which may name clients).
                log.exception("could not write %d coalesced activity entries", len(batch))

    def _run(self) -> None:
        # A new kind wakes the thread at once, so it is written within milliseconds; the
        # growing counts of known kinds are written at most once per interval.
        while True:
            self._new_kind.wait(timeout=self._interval)
            self._new_kind.clear()
            self.flush()
