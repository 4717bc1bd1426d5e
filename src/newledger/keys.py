"""Purpose-bound keys derived from the one server secret (``NEWLEDGER_SECRET_KEY``).

Each use gets its own key (token signing, secret digests, recovery-code digests, form tokens, TOTP
secret encryption), so a value made for one purpose can never verify or decrypt for another.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from newledger.config import get_settings

__all__ = ["derive_key", "keyed_digest", "keyed_mac"]


@lru_cache(maxsize=16)
def derive_key(purpose: str, server_key: bytes | None = None) -> bytes:
    """HMAC-SHA256(server key, "newledger:" + purpose)."""
    key = server_key if server_key is not None else get_settings().key()
    return hmac.new(key, b"newledger:" + purpose.encode(), hashlib.sha256).digest()


@lru_cache(maxsize=16)
def _keyed(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)


def keyed_mac(purpose: str, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data`` under the purpose's key. Starts from a copy of an HMAC already
    keyed (cached by key), which skips re-keying on every call: on the token endpoint's hot
    path that was most of an HMAC's cost."""
    mac = _keyed(derive_key(purpose)).copy()
    mac.update(data)
    return mac.digest()


def keyed_digest(purpose: str, value: str) -> str:
    """Hex HMAC-SHA256 of ``value`` under the purpose's key: what is stored instead of a secret."""
    return keyed_mac(purpose, value.encode()).hex()
