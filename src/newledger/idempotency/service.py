"""Run a create once per idempotency key, whatever the protocol (DESIGN §6).

REST passes its ``Idempotency-Key`` header; an MCP tool passes its key argument. Each adapter turns
its request into a fingerprint (``fingerprint``) and turns the ``Outcome`` or the errors below
into its own answers.

The key row is inserted *first*, inside the same transaction as the create, so the unique
constraint ``(company_id, actor_key, key)`` serialises concurrent requests with one key: the
loser's insert waits for the winner's transaction (PostgreSQL row lock, SQLite write lock) and
then fails, after which it reads and replays the stored result. Exactly one object is created.

- Replay: the stored outcome, marked ``replayed``.
- Same key, different request: ``KeyReused``.
- A create that fails rolls its key back with it, so a corrected retry may reuse the key.
- Keys are scoped to the app or connection that sent them and expire after 24 hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newledger.actor import Actor, actor_key
from newledger.db import utcnow
from newledger.errors import Conflict, ValidationFailed
from newledger.idempotency.models import IN_FLIGHT, IdempotencyKey

__all__ = [
    "KEY_TTL",
    "MAX_KEY_LENGTH",
    "KeyInProgress",
    "KeyReused",
    "Outcome",
    "fingerprint",
    "run_once",
]

KEY_TTL = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
_ATTEMPTS = 3


@dataclass(frozen=True)
class Outcome:
    """What a create produced: a status code, the created object, and metadata worth replaying
    (REST: ``Location`` and ``ETag``)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


class KeyReused(ValidationFailed):
    """The key was already used for a different request (422)."""

    code = "idempotency_key_reused"


class KeyInProgress(Conflict):
    """The first request with this key has not finished; retry shortly (409)."""

    code = "idempotency_request_in_progress"


def fingerprint(*operation: str, payload: bytes) -> str:
    """SHA-256 of the operation's parts (REST: method, path) and the payload, JSON key order
    ignored, so that the same request sent twice matches."""
    try:
        canonical = orjson.dumps(orjson.loads(payload), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = payload
    digest = hashlib.sha256()
    for part in (operation[0].upper().encode(), *(p.encode() for p in operation[1:]), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _existing(session: Session, actor: Actor, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.company_id == actor.company_id,
            IdempotencyKey.actor_key == actor_key(actor),
            IdempotencyKey.key == key,
        )
    )


def _replay(row: IdempotencyKey, fp: str) -> Outcome:
    if row.fingerprint != fp:
        raise KeyReused("This idempotency key was already used with a different request.")
    if row.status == IN_FLIGHT:
        raise KeyInProgress("A request with this idempotency key is still in progress.")
    return Outcome(row.status, row.response_body or {}, dict(row.response_headers), replayed=True)


def run_once(
    session: Session,
    actor: Actor,
    key: str | None,
    fp: str,
    create: Callable[[], Outcome],
) -> Outcome:
    """Run ``create`` once per ``key`` of ``actor`` and commit; for a repeat, return the stored
    outcome. Without a key, ``create`` simply runs and commits."""
    if key is None:
        outcome = create()
        session.commit()
        return outcome
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"An idempotency key is 1 to {MAX_KEY_LENGTH} characters.",
            errors={"idempotency_key": f"1 to {MAX_KEY_LENGTH} characters"},
        )
    assert actor.company_id is not None
    for _attempt in range(_ATTEMPTS):
        row = IdempotencyKey(
            company_id=actor.company_id, actor_key=actor_key(actor), key=key, fingerprint=fp
        )
        try:
            session.add(row)
            session.flush()
        except IntegrityError:
            session.rollback()
            existing = _existing(session, actor, key)
            if existing is None:
                continue  # expired and purged in between: try again
            if existing.created_at < utcnow() - KEY_TTL:
                session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == existing.id))
                session.commit()
                continue
            return _replay(existing, fp)
        outcome = create()
        row.status = outcome.status
        row.response_body = outcome.body
        row.response_headers = outcome.headers
        session.commit()
        return outcome
    raise KeyInProgress("Could not settle this idempotency key; retry shortly.")
