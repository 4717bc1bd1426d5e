"""uvicorn's httptools protocol, sending a small response in one write instead of two.

uvicorn writes the status line and headers, then the body, as two ``transport.write`` calls,
so a small JSON response costs two ``send`` system calls. On the token endpoint that second
call was one of the largest single costs in a profile (DESIGN §9 asks for 1.5x oidc-provider).
This subclass hands each request/response cycle a transport that holds the header block of a
response with a ``Content-Length`` until the body's first write, then sends both together.
Streaming responses (no ``Content-Length``: SSE, chunked) and HEAD responses are written
exactly as before, so their headers still leave at once. A response with a ``Content-Length``
always ends with a body write (uvicorn writes even an empty body), which releases them.

Subclassing is the only hook uvicorn offers for this (``uvicorn.run(http=...)``); nothing else
in the protocol changes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["OneWriteHttpToolsProtocol"]

_LENGTH = b"\r\ncontent-length: "


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


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        # A HEAD response has no body write to release held headers: leave it as it was.
        if cycle is not None and cycle.scope["method"] != "HEAD":
            cycle.transport = _HeldHeaders(self.transport)  # type: ignore[assignment]
