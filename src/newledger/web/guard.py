"""The outermost ASGI layer: what every request and response gets, UI, REST API and OAuth alike.

- **Control characters** (C0, DEL, C1) in the path or query string get 400 before anything reads
  them: PostgreSQL refuses a NUL in a text parameter, so ``/contacts?q=%00`` was a 500 there and
  a query-time error in a streamed export cut the file off. Form bodies of web pages are checked
  the same way (tab, CR and LF allowed: text areas have lines). The answer is the error page,
  ``application/problem+json`` under ``/api/`` and an RFC 6749 §5.2 error under ``/oauth/``
  (but the error page at ``/oauth/authorize``, which people see).
- **``Cache-Control: no-store``** on every ``/api/v1`` and ``/oauth`` response, errors included
  (the token endpoint sets its own, with ``Pragma: no-cache``, RFC 6749 §5.1): API answers are
  a company's books and must not stay in a shared or browser cache.
- **A client that hangs up** mid-request (``ClientDisconnect``) ends the request quietly: there
  is nobody to answer and nothing went wrong on our side, so no traceback reaches the log.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newledger.appconnect.api.problems import problem_response
from newledger.appconnect.oauth.errors import json_response as oauth_json
from newledger.appconnect.oauth.routes import ENDPOINTS as OAUTH_ENDPOINTS
from newledger.web.error_pages import html_error
from newledger.web.security import add_security_headers, read_form_body, replay_body

__all__ = ["RequestGuard", "has_control_characters"]

# C0 controls and DEL as bytes, and the C1 controls (U+0080-U+009F) as their UTF-8 encoding.
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]|\xc2[\x80-\x9f]")
# In form bodies: the same less tab, LF and CR.
_FORM_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")
_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NO_STORE_PREFIXES = ("/api/v1", "/oauth")
# Under /oauth but a page for people (the consent screen): HTML errors and the form checks of
# every web page, and no-store (its redirects carry authorization codes).
_OAUTH_PAGES = frozenset({"/oauth/authorize"})
_FORM_TYPE = b"application/x-www-form-urlencoded"
_MESSAGE = "The address or form contains a control character (such as NUL), which is never valid."


def has_control_characters(urlencoded: bytes, *, form: bool = False) -> bool:
    """Whether ``urlencoded`` (a query string or form body) holds a control character, raw or
    percent-encoded. ``form=True`` allows tab, LF and CR."""
    pattern = _FORM_CONTROL if form else _CONTROL
    if pattern.search(urlencoded):
        return True
    return b"%" in urlencoded and pattern.search(unquote_to_bytes(urlencoded)) is not None


class RequestGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if _PATH_CONTROL.search(path) or has_control_characters(scope["query_string"]):
            await _bad_request(path)(scope, receive, send)
            return
        if path in _OAUTH_PAGES:
            send = _no_store(send)
        if path.startswith(_NO_STORE_PREFIXES) and path not in _OAUTH_PAGES:
            if path not in OAUTH_ENDPOINTS:  # they set no-store and Pragma themselves
                send = _no_store(send)
        elif scope["method"] == "POST" and _is_form(scope):
            try:
                body = await read_form_body(receive)
            except ClientDisconnect:
                return
            if body is None:
                await _page(413, "Request too large", "The form is too large.")(
                    scope, receive, send
                )
                return
            if has_control_characters(body, form=True):
                await _bad_request(path)(scope, receive, send)
                return
            receive = replay_body(body, receive)
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            # The client hung up mid-body: nobody is left to answer and nothing failed here.
            return


def _is_form(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.lower().startswith(_FORM_TYPE))
    return False


def _no_store(send: Send) -> Send:
    async def send_no_store(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).setdefault("Cache-Control", "no-store")
        await send(message)

    return send_no_store


def _bad_request(path: str) -> Response:
    if path.startswith("/api/"):
        return problem_response(
            400, "invalid_request", _MESSAGE, headers={"Cache-Control": "no-store"}
        )
    if path.startswith("/oauth/") and path not in _OAUTH_PAGES:
        return oauth_json({"error": "invalid_request", "error_description": _MESSAGE}, 400)
    return _page(400, "Bad request", _MESSAGE)


def _page(status: int, title: str, message: str) -> Response:
    response = html_error(status, title, message)
    response.headers["Cache-Control"] = "no-store"
    add_security_headers(response.headers)
    return response
