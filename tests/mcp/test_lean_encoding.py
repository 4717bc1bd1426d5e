"""The lean path's orjson encoding of a success reply is the SDK's, byte for byte, or declines.

The SDK writes a 2025-11-25 reply with pydantic (``model_dump_json``) and a 2026-07-28 one with
``json.dumps`` of ``model_dump(mode="json")``; the lean path writes them with orjson when that
gives the same bytes (``lean._result_bytes``), and otherwise uses the SDK's own encoders.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp.types import JSONRPCResponse

from newledger.appconnect.mcp import lean

TRICKY: list[Any] = [
    "plain",
    "Café Zoë, 12 h",
    "\x00\x01\x1f\x7f\u2028\u2029\U0001f600",
    'quote " backslash \\ slash / newline \n tab \t',
    0.1,
    1.0,
    -0.0,
    1e-07,
    1e16,
    1.5e20,
    float("inf"),
    float("nan"),
    2**63 - 1,
    -(2**63),
    2**64,
    None,
    True,
    [],
    {},
    {"nested": [1, "two", None, {"three": 3.5}]},
]


def _sdk(request_id: Any, result: dict[str, Any], modern: bool) -> bytes:
    reply = JSONRPCResponse(jsonrpc="2.0", id=request_id, result=result)
    if modern:
        body = reply.model_dump(mode="json", by_alias=True, exclude_none=True)
        return json.dumps(body, separators=(",", ":")).encode()
    return reply.model_dump_json(by_alias=True, exclude_unset=True).encode()


@pytest.mark.parametrize("modern", [False, True], ids=["2025-11-25", "2026-07-28"])
@pytest.mark.parametrize("value", TRICKY, ids=repr)
@pytest.mark.parametrize("request_id", [1, "req-é"])
def test_a_reply_is_the_sdks_bytes_or_left_to_the_sdk(
    value: Any, modern: bool, request_id: Any
) -> None:
    # What serve_one returns is JSON-mode data: the SDK's own dump of the result.
    result = JSONRPCResponse(jsonrpc="2.0", id=1, result={"v": value}).model_dump(mode="json")[
        "result"
    ]
    fast = lean._result_bytes(request_id, result, modern)
    assert fast is None or fast == _sdk(request_id, result, modern)


def test_plain_ascii_results_take_the_fast_encoding_in_both_eras() -> None:
    result = {"content": [{"type": "text", "text": "Cash: 1250.00 USD"}], "isError": False}
    assert lean._result_bytes(7, result, True) == _sdk(7, result, True)
    assert lean._result_bytes(7, result, False) == _sdk(7, result, False)
