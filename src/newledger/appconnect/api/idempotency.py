"""``Idempotency-Key`` for every ``POST`` that creates something (DESIGN §6).

The key row is inserted *first*, inside the same transaction as the create, so the unique
constraint ``(company_id, actor_key, key)`` serialises concurrent requests with one key: the
loser's insert waits for the winner's transaction (PostgreSQL row lock, SQLite write lock) and
then fails, after which it reads and replays the stored result. Exactly one object is created.

- Replay: same status and body as the first response, plus ``Idempotent-Replayed: true``.
- Same key, different method/path/body: 422 ``idempotency_key_reused``.
- A create that fails rolls its key back with it, so a corrected retry may reuse the key.
- Keys are scoped to the app or connection that sent them and expire after 24 hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import Header
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from newledger.actor import actor_key
from newledger.appconnect.api.deps import ApiContext
from newledger.appconnect.api.models import IN_FLIGHT, IdempotencyKey
from newledger.appconnect.api.problems import ApiProblem
from newledger.db import utcnow

__all__ = ["Created", "IdempotencyKey", "IdempotencyKeyHeader", "run_create"]

KEY_TTL = dt.timedelta(hours=24)
# Response headers worth replaying (the body and status are always replayed).
_REPLAYED_HEADERS = ("location", "etag")

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Makes the create safe to retry: a replay returns the first result.",
    ),
]

# (status, body, headers) of a successful create.
Created = tuple[int, dict[str, Any], dict[str, str]]


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(ctx: ApiContext, row: IdempotencyKey, fp: str) -> Response:
    if row.fingerprint != fp:
        raise ApiProblem(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request.",
            errors={"Idempotency-Key": "reused with a different request"},
        )
    if row.status == IN_FLIGHT:
        raise ApiProblem(
            409,
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key is still in progress; retry shortly.",
            headers={"Retry-After": "1"},
        )
    headers = {**row.response_headers, "Idempotent-Replayed": "true"}
    return ctx.respond(row.response_body, row.status, headers)


def _existing(ctx: ApiContext, key: str) -> IdempotencyKey | None:
    return ctx.session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.company_id == ctx.company_id,
            IdempotencyKey.actor_key == actor_key(ctx.actor),
            IdempotencyKey.key == key,
        )
    )


async def run_create(ctx: ApiContext, key: str | None, create: Callable[[], Created]) -> Response:
    """Run ``create`` once per ``key`` and commit; replay the stored result for a repeat."""
    session = ctx.session
    if key is None:
        status, body, headers = create()
        session.commit()
        return ctx.respond(body, status, headers)
    if not 1 <= len(key) <= 255:
        raise ApiProblem(
            422,
            "validation_failed",
            "Idempotency-Key must be 1 to 255 characters.",
            errors={"Idempotency-Key": "1 to 255 characters"},
        )
    request = ctx.request
    fp = fingerprint(request.method, request.url.path, await request.body())
    for _attempt in range(3):
        row = IdempotencyKey(
            company_id=ctx.company_id, actor_key=actor_key(ctx.actor), key=key, fingerprint=fp
        )
        try:
            session.add(row)
            session.flush()
        except IntegrityError:
            session.rollback()
            existing = _existing(ctx, key)
            if existing is None:
                continue  # expired and purged in between: try again
            if existing.created_at < utcnow() - KEY_TTL:
                session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == existing.id))
                session.commit()
                continue
            return _replay(ctx, existing, fp)
        status, body, headers = create()
        row.status = status
        row.response_body = body
        row.response_headers = {k: v for k, v in headers.items() if k.lower() in _REPLAYED_HEADERS}
        session.commit()
        return ctx.respond(body, status, headers)
    raise ApiProblem(
        409,
        "idempotency_request_in_progress",
        "Could not settle this Idempotency-Key; retry shortly.",
        headers={"Retry-After": "1"},
    )
