"""The authenticated call a tool runs for: who (``Actor``), on which unit of work, which company.

The endpoint authenticates the request and puts an ``McpCall`` in the ASGI scope; a server
middleware (``server.bind_call``) lifts it into a context variable for the handler, on the lean
path and the SDK transport alike (the SDK's stateless transport runs the handler in a task of its
own, so only the scope travels with the request).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect.refusals import Origin
from newledger.config import get_settings

__all__ = ["SCOPE_KEY", "McpCall", "current_call", "page_url"]

SCOPE_KEY = "newledger.mcp.call"


@dataclass(frozen=True, slots=True)
class McpCall:
    actor: Actor
    session: Session
    company_slug: str
    origin: Origin

    @property
    def company_id(self) -> int:
        assert self.actor.company_id is not None
        return self.actor.company_id


CURRENT: ContextVar[McpCall | None] = ContextVar("newledger_mcp_call", default=None)


def current_call() -> McpCall:
    call = CURRENT.get()
    if call is None:  # a tool reached without the endpoint: a wiring bug, never a client's fault
        raise RuntimeError("MCP tool called outside an authenticated request")
    return call


def page_url(path: str) -> str:
    """The absolute URL of a NewLedger page (``/invoices/7``), for an assistant to link to."""
    return f"{get_settings().issuer}{path}"
