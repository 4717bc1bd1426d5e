"""Purpose-bound keys derived from the one server secret (``NEWLEDGER_SECRET_KEY``).

Each use gets its own key (token signing, secret digests, recovery-code digests, form tokens, TOTP
secret encryption), so a value made for one purpose can never verify or decrypt for another.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from newledger.config import get_settings

__all__ = ["derive_key", "keyed_digest"]


@lru_cache(maxsize=16)
def derive_key(purpose: str, server_key: bytes | None = None) -> bytes:
    """HMAC-SHA256(server key, "newledger:" + purpose)."""
    key = server_key if server_key is not None else get_settings().key()
    return hmac.new(key, b"newledger:" + purpose.encode(), hashlib.sha256).digest()


def keyed_digest(purpose: str, value: str) -> str:
    """Hex HMAC-SHA256 of ``value`` under the purpose's key: what is stored instead of a secret."""
    return hmac.digest(derive_key(purpose), value.encode(), "sha256").hex()
