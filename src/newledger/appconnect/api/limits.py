"""A cap on request bodies for the REST API, so one request cannot make a worker buffer gigabytes.

Drafts are small JSON documents; 1 MiB is far above any real one. A declared ``Content-Length``
over the cap is refused before reading; a chunked body is counted as it arrives and refused as
soon as it passes the cap.

Uploads (``RouteTable.streams_body``) are the exception: their handler streams the body to a
temporary file and stops it at ``Settings.attachment_max_bytes`` (``attachments.upload``), so
here they are only refused early when the declared length is already past that, and never
buffered.
"""

from __future__ import annotations

from starlette._utils import get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newledger.appconnect.api.guards import RouteTable
from newledger.appconnect.api.problems import problem_response
from newledger.attachments.upload import FRAMING_ALLOWANCE
from newledger.config import get_settings

__all__ = ["MAX_BODY_BYTES", "BodySizeLimit"]

MAX_BODY_BYTES = 1024 * 1024


class BodySizeLimit:
    def __init__(
        self, app: ASGIApp, table: RouteTable | None = None, max_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.table = table
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if self.table is not None and self.table.streams_body(
            get_route_path(scope), scope["method"]
        ):
            await self._upload(scope, receive, send, declared)
            return
        if declared is not None:
            # The HTTP server delivers no more than the declared length.
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read it here, up to the cap, then replay it to the app.
        # (Counting inside the app's own reads would not do: FastAPI turns any error raised
        # while reading a body into a 400.)
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _upload(
        self, scope: Scope, receive: Receive, send: Send, declared: bytes | None
    ) -> None:
        limit = get_settings().attachment_max_bytes
        if declared is not None and (
            not declared.isdigit() or int(declared) > limit + FRAMING_ALLOWANCE
        ):
            response = problem_response(
                413,
                "file_too_large",
                f"The file is larger than the limit of {limit} bytes.",
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "payload_too_large",
            f"The request body is larger than {self.max_bytes} bytes.",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
