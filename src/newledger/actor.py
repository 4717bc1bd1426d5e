"""Who is acting: a signed-in user, an API credential app, an OAuth connection, or the system.

Services take an ``Actor`` to check permissions and to attribute activity rows; adapters (web,
REST, MCP, CLI) build it from the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newledger.errors import PermissionDenied
from newledger.identity.permissions import Permission

__all__ = ["SOURCES", "Actor", "activity_source", "actor_key"]

# How an action came in, as the activity log records it; an actor that does not say takes the
# usual one for its type (a person in the browser, an app over REST, a connection over MCP).
SOURCES = ("web", "api", "mcp", "cli", "demo", "system")
_USUAL_SOURCE = {"user": "web", "app": "api", "connection": "mcp", "system": "system"}


@dataclass(frozen=True)
class Actor:
    type: str  # user | app | connection | system
    company_id: int | None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    user_id: int | None = None
    app_id: int | None = None
    connection_id: int | None = None
    label: str = ""
    ip: str | None = None
    user_agent: str | None = None
    source: str = ""  # one of SOURCES; "" = the usual for ``type``

    @classmethod
    def system(cls, company_id: int | None, label: str = "system", source: str = "") -> Actor:
        return cls("system", company_id, frozenset(Permission), label=label, source=source)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, *permissions: Permission) -> None:
        missing = tuple(p for p in permissions if p not in self.permissions)
        if missing:
            raise PermissionDenied(
                "Missing permission: " + " ".join(missing), required=tuple(permissions)
            )

    def company_scope(self, company_id: int | None = None) -> int:
        """The company this actor works in; asking for another one is refused."""
        if self.company_id is None:
            raise PermissionDenied("This actor is not acting in a company")
        if company_id is not None and company_id != self.company_id:
            raise PermissionDenied("You cannot act in another company's books")
        return self.company_id

    @property
    def is_external(self) -> bool:
        """Apps and connections may read and draft, never post (the governance rule)."""
        return self.type in ("app", "connection")


def actor_key(actor: Actor) -> str:
    """Who is calling, for rate limits and idempotency keys: its app or connection (a grant)."""
    if actor.connection_id is not None:
        return f"connection:{actor.connection_id}"
    if actor.app_id is not None:
        return f"app:{actor.app_id}"
    return f"{actor.type}:{actor.user_id or 0}"


def activity_source(actor: Actor) -> str:
    """How ``actor``'s action came in (one of ``SOURCES``), for the activity log."""
    return actor.source or _USUAL_SOURCE.get(actor.type, "system")
