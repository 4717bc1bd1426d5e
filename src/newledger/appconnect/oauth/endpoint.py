"""What every client-authenticated OAuth endpoint does, once per request, in one place.

``serve`` reads the form (with its size limits), reads the presented client credentials,
applies the rate limits, authenticates the client and records any refusal (coalesced, with
its company). The endpoint itself (``token.py``, ``revoke.py``) is then a plain function from
(authenticated requester, form) to an answer: a response, or ``InThread`` blocking database
work that ``serve`` runs in the thread pool and that returns the response (or raises an
``OAuthError``, recorded like any other refusal).

``answer`` is the synchronous part: everything after the body has been read. ``serve`` runs it
for an ASGI request; ``answer_whole`` for a request whose body is already in hand (the served
HTTP protocol answers a complete token request that way, ``web/http_protocol.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope

from newledger.appconnect.oauth.app_credentials import VerifiedApp
from newledger.appconnect.oauth.client_auth import (
    PresentedClient,
    Requester,
    authenticate,
    loggable_client_id,
    read_client,
    read_form,
)
from newledger.appconnect.oauth.errors import OAuthError
from newledger.appconnect.oauth.limits import check_limits
from newledger.appconnect.oauth.request import OAuthRequest, read_request, request_from
from newledger.appconnect.refusals import Origin, note_token_refusal

__all__ = ["Answer", "Handler", "InThread", "answer", "answer_whole", "serve"]

_GRANT_NAME = re.compile(r"[a-z_]{1,40}|urn:ietf:params:oauth:grant-type:[a-z0-9-]{1,40}")


class InThread(NamedTuple):
    """Blocking database work for the thread pool (a slow or locked database must not stall
    the event loop): ``run`` returns the response to send."""

    run: Callable[[], Response]

    @classmethod
    def write_then(cls, write: Callable[[], None], response: Response) -> InThread:
        """A write whose outcome does not change the answer (``last_used_at``, a deny-list row)."""

        def run() -> Response:
            write()
            return response

        return cls(run)


Answer = Response | InThread
Handler = Callable[[Requester, dict[str, str]], Answer]


async def serve(scope: Scope, receive: Receive, endpoint: str, handler: Handler) -> Response:
    try:
        request = await read_request(scope, receive)
    except OAuthError as exc:
        _note(exc, None, endpoint, {}, None, None)
        return exc.response()
    reply = answer(request, endpoint, handler)
    if isinstance(reply, InThread):
        return await run_in_threadpool(reply.run)
    return reply


def answer_whole(
    raw_headers: Iterable[tuple[bytes, bytes]],
    client: tuple[str, int] | None,
    body: bytes,
    endpoint: str,
    handler: Handler,
) -> Answer:
    """``serve`` for a request whose whole body is in hand, up to the write it may ask for."""
    try:
        request = request_from(raw_headers, client, body)
    except OAuthError as exc:
        _note(exc, None, endpoint, {}, None, None)
        return exc.response()
    return answer(request, endpoint, handler)


def answer(request: OAuthRequest, endpoint: str, handler: Handler) -> Answer:
    form: dict[str, str] = {}
    presented: PresentedClient | None = None
    requester: Requester | None = None
    try:
        form = read_form(request)
        presented = read_client(request, form)
        check_limits(request.ip, presented.client_id)
        requester = authenticate(presented)
        reply = handler(requester, form)
    except OAuthError as exc:
        _note(exc, request, endpoint, form, presented, requester)
        return exc.response()
    if not isinstance(reply, InThread):
        return reply
    authenticated = requester

    def run() -> Response:
        try:
            return reply.run()
        except OAuthError as exc:
            _note(exc, request, endpoint, form, presented, authenticated)
            return exc.response()

    return InThread(run)


def _note(
    exc: OAuthError,
    request: OAuthRequest | None,
    endpoint: str,
    form: dict[str, str],
    presented: PresentedClient | None,
    requester: Requester | None,
) -> None:
    if presented is not None:
        client_id = presented.client_id
    else:
        client_id = exc.client_id if exc.client_id is not None else form.get("client_id", "")
    details = {"endpoint": endpoint}
    if form.get("grant_type"):
        # Only names a grant type can have: a free-text field could carry anything, a secret too.
        grant = form["grant_type"]
        details["grant_type"] = grant if _GRANT_NAME.fullmatch(grant) else "[not a grant type]"
    note_token_refusal(
        exc.reason,
        exc.error,
        loggable_client_id(client_id),
        details,
        # An OAuth client's company is the one the failed grant concerns (codes and refresh
        # tokens name it), not the client's: a dynamic client belongs to none.
        app_id=requester.id if isinstance(requester, VerifiedApp) else exc.app_id,
        company_id=requester.company_id
        if isinstance(requester, VerifiedApp)
        else exc.company_id or (requester.company_id if requester is not None else None),
        origin=Origin(request.ip, request.user_agent) if request else Origin(),
    )
