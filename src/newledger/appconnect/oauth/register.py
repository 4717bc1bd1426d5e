"""``POST /oauth/register``: RFC 7591 dynamic client registration, for MCP clients that meet
NewLedger for the first time (ChatGPT, Claude, MCP Inspector).

Open to anyone (that is the point of it), so: rate-limited per IP address
(``registration_rate_limit_per_hour``), a small body, at most 10 redirect URIs, and clients that
never reach an approved consent are deleted (``clients.purge_unconsented``). Every rule about
the metadata itself lives in ``client_metadata.py``. Errors are RFC 7591 §3.2.2 JSON; a
confidential client's secret is in the 201 response and nowhere else.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from newledger import ratelimit
from newledger.actor import Actor
from newledger.appconnect.client_metadata import InvalidClientMetadata
from newledger.appconnect.clients import register_dynamic
from newledger.appconnect.oauth.cors import PUBLIC, preflight
from newledger.db import session_scope
from newledger.runtime import get_sessionmaker

__all__ = ["MAX_REGISTRATION_BYTES", "router"]

router = APIRouter(include_in_schema=False)
MAX_REGISTRATION_BYTES = 16 * 1024
_PATH = "/oauth/register"


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={**PUBLIC, "Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})},
    )


def _error(error: str, description: str, status: int = 400, **headers: str) -> Response:
    return _json({"error": error, "error_description": description}, status, headers)


@router.options(_PATH)
def register_preflight() -> Response:
    return preflight("POST, OPTIONS")


@router.post(_PATH)
async def register(request: Request) -> Response:
    ip = request.client.host if request.client else "-"
    decision = ratelimit.hit(ratelimit.Rule.REGISTER_PER_IP, ip)
    if not decision.allowed:
        return _error(
            "temporarily_unavailable",
            "Too many client registrations from this address; retry later",
            429,
            **decision.refusal_headers(),
        )
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        return _error("invalid_client_metadata", "Send the client metadata as application/json")
    body = await _read_body(request)
    if body is None:
        return _error("invalid_client_metadata", "The client metadata is too large", 413)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _error("invalid_client_metadata", "The body is not valid JSON")
    origin = Actor(
        "system",
        None,
        label="client registration",
        ip=None if ip == "-" else ip,
        user_agent=(request.headers.get("user-agent") or "")[:400] or None,
    )
    try:
        return await run_in_threadpool(_register, document, origin)
    except InvalidClientMetadata as exc:
        return _error(exc.error, exc.description)


async def _read_body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REGISTRATION_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REGISTRATION_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _register(document: object, origin: Actor) -> Response:
    with session_scope(get_sessionmaker()) as session:
        client, secret, meta = register_dynamic(session, document, origin)
        body: dict[str, Any] = {
            "client_id": client.client_id,
            "client_id_issued_at": int(time.time()),
            **meta.as_json(),
        }
        if secret is not None:
            body["client_secret"] = secret
            body["client_secret_expires_at"] = 0  # RFC 7591 §3.2.1: does not expire
    return _json(body, 201)
