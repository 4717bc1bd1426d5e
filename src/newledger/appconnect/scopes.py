"""OAuth scopes for MCP clients: the catalogue's delegable permissions, by name (DESIGN §3).

``SCOPES_SUPPORTED`` is what discovery publishes; ``DEFAULT_SCOPES`` is what a resource asks
for when nothing more specific is needed (the ``scope`` of the MCP URL's 401 challenge, and
what an empty ``scope=`` means at the authorization endpoint): reading the books. Drafting
is asked for separately, by a 403 ``insufficient_scope`` step-up.
"""

from __future__ import annotations

from collections.abc import Iterable

from newledger.identity.permissions import DELEGABLE, Permission

__all__ = ["DEFAULT_SCOPES", "SCOPES_SUPPORTED", "known_scopes", "scope_string"]

SCOPES_SUPPORTED: tuple[str, ...] = tuple(sorted(p.value for p in DELEGABLE))
DEFAULT_SCOPES: frozenset[Permission] = frozenset(p for p in DELEGABLE if p.value.endswith(":read"))
_BY_NAME = {p.value: p for p in DELEGABLE}


def known_scopes(requested: str | None) -> frozenset[Permission]:
    """The delegable permissions named in a space-separated scope string. Names outside the
    catalogue (``openid``, ``offline_access``, a typo) are dropped, not an error: RFC 7591 §2
    and RFC 6749 §3.3 let the server grant less than was asked."""
    return frozenset(_BY_NAME[name] for name in (requested or "").split() if name in _BY_NAME)


def scope_string(permissions: Iterable[Permission]) -> str:
    return " ".join(sorted(p.value for p in permissions))
