"""uvicorn's httptools protocol, with two changes for the token endpoint (DESIGN §9).

**One write per response.** uvicorn writes the status line and headers, then the body, as two
``transport.write`` calls, so a small JSON response costs two ``send`` system calls. On the
token endpoint that second call was one of the largest single costs in a profile. This subclass
hands each request/response cycle a transport that holds the header block of a response with a
``Content-Length`` until the body's first write, then sends both together. Streaming responses
(no ``Content-Length``: SSE, chunked) and HEAD responses are written exactly as before, so their
headers still leave at once. A response with a ``Content-Length`` always ends with a body write
(uvicorn writes even an empty body), which releases them.

**A complete token request is answered where it is parsed.** For ``POST /oauth/token`` uvicorn
builds an ASGI scope, a request/response cycle with its ``asyncio.Event`` and a task, runs the
request guard and the OAuth layer over ``receive``/``send`` messages, and arms and disarms
timers around it: measured on this 2-core machine, that machinery cost about as much CPU as the
endpoint's own work. When a keep-alive HTTP/1.1 ``POST /oauth/token`` (exact path, no query)
has its whole body in the bytes just received, the protocol calls the same endpoint function the
ASGI route calls (``token.answer_now``: the same body limits, client authentication, rate
limits, refusal audit and grant code) and writes the response itself, with uvicorn's default
headers. No library offers this (uvicorn, Starlette and FastAPI all go through ASGI), so it is
written here, and kept narrow: anything else takes uvicorn's own path, unchanged:

- another method or path, a query string, HTTP/1.0 or ``Connection: close``, an upgrade, an
  ``Origin`` header (a browser client, answered with CORS headers by ``oauth/routes.py``),
  ``Expect: 100-continue``, ``Transfer-Encoding`` (chunked), a ``Content-Length`` that is not
  digits or exceeds the endpoint's limit, a configured concurrency limit or access log, a
  connection whose writes are paused, or a request pipelined behind one still being answered;
- a body that has not fully arrived with its headers: the request is handed to uvicorn as if it
  had never been looked at (the cycle is made then, with the body received so far);
- an answer that needs the database's thread pool first (``InThread``: ``last_used_at`` once
  a minute, the code and refresh grants) runs as an ordinary ASGI task, so the database work
  happens in the thread pool, not on the loop.

An exception in the endpoint is logged and answered with a 500 that closes the connection, as
uvicorn does for an ASGI app. Tests: ``tests/platform/test_http_protocol.py``.

**One keep-alive timer per connection.** uvicorn arms a timer (``call_later``) after every
response and cancels it when the next request's first bytes arrive: under uvloop that pair cost
about 3 µs per request, several per cent of a token. Here a connection keeps one timer; a
response marks the connection idle (with the time), new bytes mark it busy, and a timer that
fires early is re-armed for what is left. The rule is uvicorn's: a connection idle for
``timeout_keep_alive`` seconds after a response is closed; a busy one is not.

Subclassing is the only hook uvicorn offers (``uvicorn.run(http=...)``); the parser callbacks
it overrides fall through to uvicorn's own for every other request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from newledger.appconnect.oauth.endpoint import InThread
from newledger.appconnect.oauth.request import MAX_BODY
from newledger.appconnect.oauth.token import answer_now

__all__ = ["OneWriteHttpToolsProtocol"]

_LENGTH = b"\r\ncontent-length: "
_TOKEN_URL = b"/oauth/token"
_SERVER_ERROR = (
    STATUS_LINE[500],
    [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"21"),
        (b"connection", b"close"),
    ],
    b"Internal Server Error",
)


class _HeldHeaders:
    """A transport that holds one header block with a ``Content-Length`` until the next write."""

    __slots__ = ("_held", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + bytes(data))
        elif data[:5] == b"HTTP/" and _LENGTH in data and bytes(data).endswith(b"\r\n\r\n"):
            self._held = bytes(data)
        else:
            self._transport.write(data)

    def _flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        # Anything else (is_closing, get_extra_info, ...) is the real transport's.
        self._flush()
        return getattr(self._transport, name)


class _DefaultHeaders:
    """uvicorn's default response headers (``server``, ``date``) as one block of bytes, rebuilt
    when uvicorn replaces the list (its ``date`` changes once a second)."""

    __slots__ = ("_block", "_source")

    def __init__(self) -> None:
        self._source: list[tuple[bytes, bytes]] | None = None
        self._block = b""

    def block(self, source: list[tuple[bytes, bytes]]) -> bytes:
        if source is not self._source:
            self._block = b"".join(b"%s: %s\r\n" % pair for pair in source)
            self._source = source
        return self._block


_DEFAULTS = _DefaultHeaders()


def _then_send(reply: InThread) -> Any:
    """An ASGI app that answers ``reply``: its work in the thread pool, then its response."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await run_in_threadpool(reply.run)
        await response(scope, receive, send)

    return app


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    # The body of a token request being answered directly, while it arrives; None otherwise.
    _direct: list[bytes] | None = None
    # When the connection last fell idle after a response (loop time); None while busy.
    _idle_since: float | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None

    def _unset_keepalive_if_required(self) -> None:
        # uvicorn calls this when bytes arrive and when a response completes: busy, not idle.
        self._idle_since = None

    def on_response_complete(self) -> None:
        # uvicorn's, with the keep-alive timer kept (see the module docstring).
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._idle_since = None
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._keep_alive_due
            )

    def _keep_alive_due(self) -> None:
        self.timeout_keep_alive_task = None
        if self._idle_since is None:
            return  # busy: re-armed when its response completes
        left = self._idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(left, self._keep_alive_due)
        else:
            self.timeout_keep_alive_handler()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._direct is not None:
            # The body did not arrive with the headers: uvicorn takes the request from here.
            self._hand_over()

    def on_headers_complete(self) -> None:
        # A request pipelined behind one answered directly, in the same bytes, must not run
        # under the keep-alive timer that answer armed.
        self._unset_keepalive_if_required()
        if self.url == _TOKEN_URL and self._direct_allowed():
            self._direct = []
            return
        self._start_cycle()

    def on_body(self, body: bytes) -> None:
        if self._direct is not None:
            self._direct.append(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._direct is None:
            super().on_message_complete()
            return
        chunks, self._direct = self._direct, None
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        try:
            reply = answer_now(self.headers, self.client, body)
        except Exception as exc:  # what uvicorn does when an ASGI app raises
            self.logger.error("Exception in ASGI application\n", exc_info=exc)
            self._write(*_SERVER_ERROR)
            self.transport.close()
            self.on_response_complete()  # counted, as uvicorn counts its 500
            return
        if isinstance(reply, InThread):
            self._start_cycle(_then_send(reply))
            self.cycle.more_body = False
            return
        self._write_response(reply)
        self.on_response_complete()

    def _direct_allowed(self) -> bool:
        parser = self.parser
        if (
            parser.get_method() != b"POST"
            or parser.get_http_version() != "1.1"
            or not parser.should_keep_alive()
            or parser.should_upgrade()
            or self.expect_100_continue
            or self.limit_concurrency is not None
            or self.access_log  # uvicorn's access log line is written by its cycle
            or self.flow.write_paused
            or self.pipeline
            or (self.cycle is not None and not self.cycle.response_complete)
        ):
            return False
        for name, value in self.headers:
            # A browser's request (Origin) takes the ASGI path, which adds the CORS headers.
            if name in (b"transfer-encoding", b"origin"):
                return False
            if name == b"content-length" and (not value.isdigit() or int(value) > MAX_BODY):
                return False
        return True

    def _hand_over(self) -> None:
        """Give a request whose body is still arriving to uvicorn, with what has arrived."""
        chunks, self._direct = self._direct or [], None
        if self.transport.is_closing():
            return  # uvicorn has already answered a malformed request and is closing
        self._start_cycle()
        for chunk in chunks:
            super().on_body(chunk)

    def _start_cycle(self, app: Any = None) -> None:
        """uvicorn's own request start (its ``on_headers_complete``), optionally with another
        ASGI app for this one request, and the one-write transport."""
        if app is not None:
            self.app, app = app, self.app
        try:
            super().on_headers_complete()
        finally:
            if app is not None:
                self.app = app
        cycle = self.cycle
        # A HEAD response has no body write to release held headers: leave it as it was.
        if cycle is not None and cycle.scope["method"] != "HEAD":
            cycle.transport = _HeldHeaders(self.transport)  # type: ignore[assignment]

    def _write_response(self, response: Response) -> None:
        self._write(STATUS_LINE[response.status_code], response.raw_headers, bytes(response.body))

    def _write(self, status: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        # The headers are the endpoint's own constants and numbers (no client input), so
        # uvicorn's per-header validation has nothing to catch here.
        parts = [status, _DEFAULTS.block(self.server_state.default_headers)]
        parts.extend(b"%s: %s\r\n" % pair for pair in headers)
        parts.append(b"\r\n")
        parts.append(body)
        self.transport.write(b"".join(parts))
