"""The lean path: a stateless JSON-response request answered by the SDK's own kernel without
its transport.

Measured on this machine kind, the SDK's stateless transports cost far more than the tool: the
2025-11-25 path starts a transport, a dispatcher task and memory streams per request. Here a
request goes straight to the SDK's ``serve_one`` (the per-request kernel the 2026-07-28 entry
itself uses: validation, middleware, the tool, the per-era result shaping such as
``resultType`` and ``_meta.serverInfo``), and the reply is encoded exactly as that era's SDK
transport encodes it:

- 2025-11-25 (and earlier handshake versions): ``JSONRPCResponse.model_dump_json(by_alias=True,
  exclude_unset=True)``, the legacy transport's JSON response; a handler exception maps as the
  SDK's dispatcher maps it (``MCPError``/``ValidationError`` ladder, else code 0).
- 2026-07-28: ``json.dumps(model_dump(mode="json", by_alias=True, exclude_none=True))`` with
  the table-mapped HTTP status, as ``_streamable_http_modern._write``.

A plain ``tools/call`` (the tool takes no ``Context``, no multi-round state) skips even
``serve_one``: ``toolcall.py`` runs the same steps with the SDK's own parts.

``take`` decides which requests come here; anything it does not recognise as the plain case goes
to the SDK transport, which is the reference. ``tests/mcp/test_lean_parity.py`` sends each kind
of request both ways and compares the bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import anyio
import orjson
from mcp.server.connection import Connection
from mcp.server.runner import modern_error_data, serve_one
from mcp.shared.dispatcher import CallOptions
from mcp.shared.exceptions import NoBackChannelError
from mcp.shared.inbound import (
    ERROR_CODE_HTTP_STATUS,
    MCP_METHOD_HEADER,
    MCP_NAME_HEADER,
    MCP_PARAM_HEADER_PREFIX,
    MCP_PROTOCOL_VERSION_HEADER,
    InboundLadderRejection,
    classify_inbound_request,
)
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from mcp.shared.message import MessageMetadata, ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp.types import DEFAULT_NEGOTIATED_VERSION, ErrorData, JSONRPCError, JSONRPCResponse
from mcp.types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from starlette.requests import Request

from newledger.appconnect.mcp.call import McpCall
from newledger.appconnect.mcp.server import McpServer
from newledger.appconnect.mcp.toolcall import ToolCalls

__all__ = ["LeanReply", "Taken", "answer", "take"]

# The handshake-era methods the lean path serves; the rest (notifications, logging/setLevel,
# resources, prompts, completion) are rare and go to the SDK transport.
_LEGACY_METHODS = frozenset({"initialize", "ping", "tools/list", "tools/call"})
_PARAM_PREFIX = MCP_PARAM_HEADER_PREFIX.lower().encode()
_ROUTING = tuple(
    (name, name.encode())
    for name in (MCP_PROTOCOL_VERSION_HEADER, MCP_METHOD_HEADER, MCP_NAME_HEADER)
)
# A digit then an exponent marker: a float the encoders may spell differently (or text like it).
_EXPONENT = re.compile(rb"\d[eE]")


@dataclass
class _Exchange:
    """The dispatch context of one HTTP exchange (``mcp.shared.dispatcher.DispatchContext``).

    JSON responses have no wire for server-to-client messages, so, as in the SDK's JSON mode,
    notifications are dropped and requests to the client are refused."""

    transport: TransportContext
    request_id: Any
    message_metadata: MessageMetadata
    can_send_request: bool = False
    _cancel: anyio.Event | None = None

    @property
    def cancel_requested(self) -> anyio.Event:
        # Made when first asked for (a JSON response is never cancelled by the client, and
        # few handlers look): an anyio Event per call costs a look-up of the async backend.
        if self._cancel is None:
            self._cancel = anyio.Event()
        return self._cancel

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> dict[str, Any]:
        raise NoBackChannelError(method)

    async def notify(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> None:
        return None

    async def progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        return None


@dataclass(frozen=True, slots=True)
class LeanReply:
    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Taken:
    modern: bool
    version: str
    client_info: Any = None
    client_capabilities: Any = None


@lru_cache(maxsize=64)
def _accepts_json(accept: bytes | None) -> bool:
    """Whether an ``Accept`` header (``None``: absent) takes JSON. Cached: a client sends the
    same one with every call."""
    if accept is None:
        return False
    types = (t.split(b";")[0].strip().lower() for t in accept.split(b","))
    return any(t in (b"application/json", b"application/*", b"*/*") for t in types)


def take(scope: Mapping[str, Any], message: Any) -> Taken | None:
    """Whether the lean path answers this POST (parsed body ``message``), and in which era."""
    if not isinstance(message, dict) or "id" not in message:
        return None
    method = message.get("method")
    if not isinstance(method, str) or message.get("jsonrpc") != "2.0":
        return None
    headers: dict[bytes, bytes] = {}
    for key, value in scope["headers"]:
        if key in headers or key == b"mcp-session-id" or key.startswith(_PARAM_PREFIX):
            return None  # duplicated headers, sessions and Mcp-Param-* belong to the SDK
        headers[key] = value
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type != b"application/json" or not _accepts_json(headers.get(b"accept")):
        return None
    raw = headers.get(b"mcp-protocol-version")
    version = raw.decode("latin-1") if raw is not None else None
    if version is None or version in HANDSHAKE_PROTOCOL_VERSIONS:
        if method not in _LEGACY_METHODS:
            return None
        return Taken(False, version or DEFAULT_NEGOTIATED_VERSION)
    if version not in MODERN_PROTOCOL_VERSIONS or method == "subscriptions/listen":
        return None
    # The SDK's ladder reads only the routing headers. None is duplicated here: a repeated
    # header of any name went to the SDK transport above, so ``find_duplicated_routing_header``
    # has nothing to find.
    routing = {name: headers[raw].decode("latin-1") for name, raw in _ROUTING if raw in headers}
    verdict = classify_inbound_request(message, headers=routing)
    if isinstance(verdict, InboundLadderRejection):
        return None  # the SDK answers with the right rejection
    return Taken(True, verdict.protocol_version, verdict.client_info, verdict.client_capabilities)


async def answer(
    server: McpServer,
    request: Request,
    message: dict[str, Any],
    taken: Taken,
    call: McpCall,
    tools: ToolCalls | None = None,
) -> LeanReply:
    """The reply to ``message``, by ``tools`` (a plain ``tools/call``, see ``toolcall.py``) or by
    the SDK's ``serve_one``, for ``call`` (the authenticated request)."""
    request_id = message["id"]
    params = message.get("params")
    try:
        if tools is not None and message["method"] == "tools/call" and tools.takes(params):
            result = await tools.answer(taken.version, params, call)
        else:
            result = await _serve_one(server, request, message, taken)
    except Exception as exc:
        if taken.modern:
            error = modern_error_data(exc)
        else:
            error = handler_exception_to_error_data(exc) or ErrorData(code=0, message=str(exc))
        return _error(request_id, error, taken.modern)
    fast = _result_bytes(request_id, result, taken.modern)
    if fast is not None:
        return LeanReply(200, fast)
    reply = JSONRPCResponse(jsonrpc="2.0", id=request_id, result=result)
    if taken.modern:
        return LeanReply(200, _modern_bytes(reply))
    return LeanReply(200, reply.model_dump_json(by_alias=True, exclude_unset=True).encode())


async def _serve_one(
    server: McpServer, request: Request, message: dict[str, Any], taken: Taken
) -> dict[str, Any]:
    connection = Connection.from_envelope(
        taken.version, taken.client_info, taken.client_capabilities
    )
    exchange = _Exchange(
        transport=TransportContext(
            kind="streamable-http", can_send_request=False, headers=request.headers
        ),
        request_id=message["id"],
        message_metadata=ServerMessageMetadata(request_context=request),
    )
    return await serve_one(
        server.kernel,
        exchange,
        message["method"],
        message.get("params"),
        connection=connection,
        lifespan_state=server.lifespan_state,
    )


def _result_bytes(request_id: Any, result: dict[str, Any], modern: bool) -> bytes | None:
    """A success reply by orjson, where it is byte for byte what the SDK writes; else ``None``.

    The SDK encodes with pydantic (2025-11-25) or ``json.dumps`` (2026-07-28) a result that is
    already JSON-mode data. orjson writes the same bytes for it, except that ``json.dumps``
    escapes non-ASCII characters, and that the three spell some exponent floats differently
    (``1e-07``, ``1e-7``). So a reply with either, an id that is not a plain ``int``/``str``
    (the SDK's model checks those) or anything orjson refuses (integers past 64 bits) takes
    the SDK's own encoding. ``tests/mcp/test_lean_parity.py`` compares the two.
    """
    if type(request_id) not in (int, str):
        return None
    try:
        body = orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})
    except (orjson.JSONEncodeError, TypeError):
        return None
    if _EXPONENT.search(body) is not None or (modern and not body.isascii()):
        return None
    return body


def _error(request_id: Any, error: ErrorData, modern: bool) -> LeanReply:
    reply = JSONRPCError(jsonrpc="2.0", id=request_id, error=error)
    if modern:
        return LeanReply(ERROR_CODE_HTTP_STATUS.get(error.code, 200), _modern_bytes(reply))
    return LeanReply(200, reply.model_dump_json(by_alias=True, exclude_unset=True).encode())


def _modern_bytes(reply: JSONRPCResponse | JSONRPCError) -> bytes:
    body = reply.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(body, separators=(",", ":")).encode()
