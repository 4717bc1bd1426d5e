"""What every client-authenticated OAuth endpoint does, once per request, in one place.

``serve`` reads the form (with its size limits), reads the presented client credentials,
applies the rate limits, authenticates the client and records any refusal (coalesced, with
its company). The endpoint itself (``token.py``, ``revoke.py``) is then a plain function from
(authenticated requester, form) to a response.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

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
from newledger.appconnect.oauth.request import OAuthRequest, read_request
from newledger.appconnect.refusals import Origin, note_token_refusal

__all__ = ["Handler", "serve"]

_GRANT_NAME = re.compile(r"[a-z_]{1,40}|urn:ietf:params:oauth:grant-type:[a-z0-9-]{1,40}")

Handler = Callable[[Requester, dict[str, str]], Awaitable[Response]]


async def serve(scope: Scope, receive: Receive, endpoint: str, handler: Handler) -> Response:
    request: OAuthRequest | None = None
    form: dict[str, str] = {}
    presented: PresentedClient | None = None
    requester: Requester | None = None
    try:
        request = await read_request(scope, receive)
        form = read_form(request)
        presented = read_client(request, form)
        check_limits(request.ip, presented.client_id)
        requester = authenticate(presented)
        return await handler(requester, form)
    except OAuthError as exc:
        _note(exc, request, endpoint, form, presented, requester)
        return exc.response()


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
