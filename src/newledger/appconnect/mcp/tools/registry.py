"""The tool catalogue: each tool's name, permissions and annotations, declared once beside its
function and registered on the SDK's ``MCPServer`` (which derives the input and output schemas).

``required`` is what the endpoint checks before a ``tools/call`` reaches the tool: a token
lacking any of a tool's permissions gets HTTP 403 ``insufficient_scope`` naming all of them
(MCP 2025-11-25 authorization, "Scope Challenge Handling"). A tool whose permission depends on
an argument (``list_credit_notes``: ``invoices:read`` for ``kind`` sales, ``expenses:read`` for
purchase) declares ``per_call``, which names them from the call's arguments. The services
check the same permissions again inside, so no path skips them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from newledger.identity.permissions import Permission

__all__ = ["REQUIRED", "TOOLS", "PerCall", "ToolSpec", "register_all", "required", "tool"]

F = TypeVar("F", bound=Callable[..., Any])
# The permissions one call needs, from its arguments (as sent: not yet validated).
PerCall = Callable[[Mapping[str, Any]], tuple[Permission, ...]]


@dataclass(frozen=True)
class ToolSpec:
    fn: Callable[..., Any]
    name: str
    title: str
    permissions: tuple[Permission, ...]
    annotations: ToolAnnotations


TOOLS: list[ToolSpec] = []
REQUIRED: dict[str, tuple[Permission, ...] | PerCall] = {}


def required(name: str, arguments: Any) -> tuple[Permission, ...]:
    """The permissions a call of tool ``name`` with ``arguments`` needs (none for an unknown
    tool: the SDK answers that it does not exist)."""
    needed = REQUIRED.get(name, ())
    if callable(needed):
        return needed(arguments if isinstance(arguments, Mapping) else {})
    return needed


def tool(
    name: str,
    title: str,
    *permissions: Permission,
    writes: bool = False,
    per_call: PerCall | None = None,
) -> Callable[[F], F]:
    """Declare a tool. Reads are read-only and idempotent; writes create a *draft* (or a
    contact), never change or delete anything, and take an idempotency key, so a retry is
    harmless: idempotent, not destructive. No tool reaches outside the company's books
    (``openWorldHint`` false). ``per_call``, instead of ``permissions``, names what a call
    needs from its arguments."""

    def decorate(fn: F) -> F:
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=not writes,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        )
        TOOLS.append(ToolSpec(fn, name, title, permissions, annotations))
        REQUIRED[name] = per_call if per_call is not None else permissions
        return fn

    return decorate


def register_all(server: MCPServer[Any]) -> None:
    # Importing the modules runs their ``@tool`` declarations.
    from newledger.appconnect.mcp.tools import books, credit_drafts, drafts, reports  # noqa: F401

    for spec in TOOLS:
        server.add_tool(
            spec.fn,
            name=spec.name,
            title=spec.title,
            description=(spec.fn.__doc__ or "").strip(),
            annotations=spec.annotations,
            structured_output=True,
        )
