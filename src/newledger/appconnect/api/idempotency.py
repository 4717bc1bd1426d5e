"""``Idempotency-Key`` for every REST ``POST`` that creates something (DESIGN §6).

The rules (one create per key, replay, a different request is refused, 24-hour keys) live in the
protocol-neutral ``newledger.idempotency``; this adapter reads the header, fingerprints method,
path and body, and answers in HTTP:

- Replay: same status and body as the first response, plus ``Idempotent-Replayed: true``.
- Same key, different method/path/body: 422 ``idempotency_key_reused``.
- First request still running: 409 ``idempotency_request_in_progress`` with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext
from newledger.appconnect.api.problems import ApiProblem
from newledger.idempotency.service import (
    MAX_KEY_LENGTH,
    KeyInProgress,
    KeyReused,
    Outcome,
    fingerprint,
    run_once,
)

__all__ = ["Created", "IdempotencyKeyHeader", "run_create"]

# Response headers worth replaying (the body and status are always replayed).
_REPLAYED_HEADERS = ("location", "etag")

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Makes the create safe to retry: a replay returns the first result.",
    ),
]

# (status, body, headers) of a successful create.
Created = tuple[int, dict[str, Any], dict[str, str]]


async def run_create(
    ctx: ApiContext,
    key: str | None,
    create: Callable[[], Created],
    *,
    payload: bytes | None = None,
) -> Response:
    """Run ``create`` once per ``key`` and commit; replay the stored result for a repeat.
    ``payload`` stands for the body in the fingerprint where the body is not JSON held in
    memory (an upload: its digest and name)."""
    request = ctx.request
    fp = ""
    if key is not None:
        body = payload if payload is not None else await request.body()
        fp = fingerprint(request.method, request.url.path, payload=body)
    sent: dict[str, str] = {}

    def created() -> Outcome:
        status, body, headers = create()
        sent.update(headers)
        kept = {k: v for k, v in headers.items() if k.lower() in _REPLAYED_HEADERS}
        return Outcome(status, body, kept)

    try:
        outcome = run_once(ctx.session, ctx.actor, key, fp, created)
    except KeyReused:
        raise ApiProblem(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request.",
            errors={"Idempotency-Key": "reused with a different request"},
        ) from None
    except KeyInProgress:
        raise ApiProblem(
            409,
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key is still in progress; retry shortly.",
            headers={"Retry-After": "1"},
        ) from None
    if outcome.replayed:
        headers = {**outcome.headers, "Idempotent-Replayed": "true"}
        return ctx.respond(outcome.body, outcome.status, headers)
    return ctx.respond(outcome.body, outcome.status, sent)
