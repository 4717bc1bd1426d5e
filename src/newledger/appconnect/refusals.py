"""Every refused token request and every refused bearer request, recorded coalesced.

- ``note_token_refusal``: ``/oauth/token`` and ``/oauth/revoke`` said no (bad client id or
  secret, a dead app, a bad scope, a rate limit).
- ``note_request_refusal``: an API (or MCP) request with a bearer token was refused (a dead,
  foreign or tampered token, or a missing permission).

Each goes to the activity of the company it concerns: the app's when the client id names one
(looked up here, off the request path, when the refusal happened before the app was read), the
company a token names otherwise. A refusal that names no company goes to the instance-wide
security log (logger ``newledger.security``) as one JSON line per kind and flush, with its count.
Counting and writing are ``audit/coalesce.py``'s: one row per client, reason and minute.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect.models import App
from newledger.appconnect.oauth.app_credentials import APP_CLIENT_ID
from newledger.audit.coalesce import Coalescer, Occurrence, Pending, existing_companies, upsert
from newledger.audit.models import Activity
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import session_scope
from newledger.runtime import get_sessionmaker

__all__ = ["Origin", "flush", "note_request_refusal", "note_token_refusal"]

security_log = logging.getLogger("newledger.security")

# Beyond this many kinds waiting for one flush (random client ids from a flood), the rest are
# counted together, so memory and log lines stay bounded.
_MAX_KINDS = 1000


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a refused request came from."""

    ip: str | None = None
    user_agent: str | None = None

    def actor(self, kind: str, company_id: int | None, label: str, app: int | None = None) -> Actor:
        return Actor(
            kind, company_id, app_id=app, label=label, ip=self.ip, user_agent=self.user_agent
        )


def note_token_refusal(
    reason: str,
    error: str,
    client_id: str,
    details: dict[str, str],
    *,
    app_id: int | None,
    company_id: int | None,
    origin: Origin,
) -> None:
    """A refusal at ``/oauth/token`` or ``/oauth/revoke``. ``client_id`` must already be in
    its loggable form (``client_auth.loggable_client_id``)."""
    _coalescer().note(
        Occurrence(
            Event.TOKEN_FAILED.value,
            reason,
            origin.actor("system", company_id, "token endpoint"),
            "app" if app_id else None,
            app_id,
            client_id,
            (("error", error), *details.items()),
        )
    )


def note_request_refusal(
    reason: str,
    company_id: int | None,
    grant: tuple[str, int] | None,
    origin: Origin,
    *,
    permission: str | None = None,
) -> None:
    """A bearer request refused. ``company_id`` is the company the token names, when it could
    be read; ``grant`` (kind, id) only when the token's signature was verified."""
    kind, grant_id = grant if grant else (None, None)
    app_id = grant_id if kind == "app" else None
    _coalescer().note(
        Occurrence(
            Event.REQUEST_REFUSED.value,
            reason,
            origin.actor("app" if app_id else "system", company_id, "API", app_id),
            kind,
            grant_id,
            details=(("permission", permission),) if permission else (),
        )
    )


def flush() -> None:
    """Write what is counted now (the background thread does this within a quarter second)."""
    _coalescer().flush()


@lru_cache(maxsize=1)
def _coalescer() -> Coalescer:
    return Coalescer(_write, max_kinds=_MAX_KINDS)


def _write(batch: list[Pending]) -> None:
    with session_scope(get_sessionmaker()) as session:
        batch = _attribute(session, batch)
        companies = existing_companies(
            session, {p.occurrence.company_id for p in batch if p.occurrence.company_id}
        )
        # One order for every process, so two writers' upserts cannot deadlock on PostgreSQL.
        for pending in sorted(batch, key=lambda p: p.occurrence.key()):
            occurrence = pending.occurrence
            if occurrence.company_id in companies:
                upsert(session, occurrence, pending.count, first=pending.first)
                if occurrence.reason == "app_expired" and occurrence.subject_id is not None:
                    _record_expiry_once(session, occurrence)
            else:
                _log(occurrence, pending.count)


def _attribute(session: Session, batch: list[Pending]) -> list[Pending]:
    """Refusals before the app was read (a malformed secret, say) name only a client id: find
    its app and company now, in one query for the whole batch."""
    wanted = {
        p.occurrence.client_id
        for p in batch
        if p.occurrence.company_id is None and APP_CLIENT_ID.fullmatch(p.occurrence.client_id)
    }
    if not wanted:
        return batch
    found = {
        client_id: (app_id, company_id)
        for client_id, app_id, company_id in session.execute(
            select(App.client_id, App.id, App.company_id).where(App.client_id.in_(wanted))
        )
    }
    out = []
    for pending in batch:
        occurrence = pending.occurrence
        hit = found.get(occurrence.client_id) if occurrence.company_id is None else None
        if hit is not None:
            occurrence = occurrence.attributed(
                subject_type="app", subject_id=hit[0], company_id=hit[1]
            )
        out.append(Pending(occurrence, pending.count, pending.first))
    return out


def _log(occurrence: Occurrence, count: int) -> None:
    line = {
        "event": occurrence.event,
        "reason": occurrence.reason,
        "client_id": occurrence.client_id or None,
        "company_id": occurrence.company_id,
        "ip": occurrence.actor.ip,
        "minute": occurrence.minute,
        "count": count,
        **dict(occurrence.details),
    }
    security_log.warning("%s", json.dumps(line, ensure_ascii=True, sort_keys=True))


def _record_expiry_once(session: Session, occurrence: Occurrence) -> None:
    """Expiry is a lifecycle event (DESIGN §8). Nothing runs at the moment an app expires, so it
    is recorded the first time the expired app is refused, once per app."""
    seen = session.scalar(
        select(Activity.id)
        .where(
            Activity.company_id == occurrence.company_id,
            Activity.event == Event.APP_EXPIRED.value,
            Activity.subject_type == "app",
            Activity.subject_id == occurrence.subject_id,
        )
        .limit(1)
    )
    if seen is None:
        app = occurrence.subject_id
        record(session, Event.APP_EXPIRED, occurrence.actor, subject_type="app", subject_id=app)
