"""Prefixed, checksummed random secrets and their digests (DESIGN §4). Pure: no database.

A secret looks like ``nlcs_<43 base62 chars of 32 random bytes><6-char checksum>``:

- the prefix lets secret scanners and people tell a client secret (``nlcs_``), an access token
  (``nlat_``) and a refresh token (``nlrt_``) apart;
- the checksum (CRC32 of prefix + body, base62) rejects a mistyped or truncated secret before any
  database look-up, as GitHub's token format does.

Only digests are stored: HMAC-SHA256 under a key derived from the server secret. The secrets are
server-generated with 256 bits of entropy, so a slow password hash would buy nothing and cost the
token endpoint its throughput (ory/hydra dropped bcrypt for exactly this reason).
"""

from __future__ import annotations

import hmac
import re
import secrets as _random
import zlib
from functools import lru_cache

from newledger.keys import derive_key, keyed_digest

__all__ = [
    "ACCESS_TOKEN_PREFIX",
    "AUTHORIZATION_CODE_PREFIX",
    "CLIENT_ID_PREFIX",
    "CLIENT_SECRET_PREFIX",
    "OAUTH_CLIENT_ID_PREFIX",
    "REFRESH_TOKEN_PREFIX",
    "derive_key",
    "digest",
    "digest_matches",
    "digest_matches_digest",
    "generate",
    "generate_client_id",
    "has_valid_checksum",
]

CLIENT_ID_PREFIX = "nlci_"
CLIENT_SECRET_PREFIX = "nlcs_"  # noqa: S105 (a prefix, not a secret)
ACCESS_TOKEN_PREFIX = "nlat_"  # noqa: S105
REFRESH_TOKEN_PREFIX = "nlrt_"  # noqa: S105
AUTHORIZATION_CODE_PREFIX = "nlac_"
OAUTH_CLIENT_ID_PREFIX = "nloc_"

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LEN = 43  # 62**43 > 2**256
_CHECK_LEN = 6  # 62**6 > 2**32
_BASE62 = re.compile(r"[0-9A-Za-z]+")


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


@lru_cache(maxsize=1)
def _pairs() -> tuple[str, ...]:
    # All 62*62 two-character base62 strings: three look-ups encode a 32-bit checksum.
    return tuple(a + b for a in _ALPHABET for b in _ALPHABET)


def _checksum(text: str) -> str:
    """Six base62 characters of CRC-32 (the same as ``_base62(crc, 6)``, three steps, not six:
    it runs on every token request)."""
    pairs = _pairs()
    high, low = divmod(zlib.crc32(text.encode()), 3844)
    mid, low2 = divmod(high, 3844)
    return pairs[mid] + pairs[low2] + pairs[low]


def generate(prefix: str) -> str:
    """A new secret: prefix + 256 random bits in base62 + checksum."""
    body = prefix + _base62(int.from_bytes(_random.token_bytes(32), "big"), _BODY_LEN)
    return body + _checksum(body)


def has_valid_checksum(value: str, prefix: str) -> bool:
    """Cheap shape check: right prefix, right length, checksum matches."""
    if len(value) != len(prefix) + _BODY_LEN + _CHECK_LEN or not value.startswith(prefix):
        return False
    if not _BASE62.fullmatch(value, len(prefix)):  # one spelling: base62 after the prefix
        return False
    body, check = value[:-_CHECK_LEN], value[-_CHECK_LEN:]
    return hmac.compare_digest(_checksum(body), check)


def generate_client_id(prefix: str = CLIENT_ID_PREFIX) -> str:
    """Client ids are public identifiers; 96 random bits keep them unguessable all the same.
    ``nlci_`` names an API credential app, ``nloc_`` an OAuth client."""
    return prefix + _base62(int.from_bytes(_random.token_bytes(12), "big"), 17)


def digest(secret: str) -> str:
    """The stored form of a secret: hex HMAC-SHA256 under the server's digest key."""
    return keyed_digest("secret-digest", secret)


def digest_matches(secret: str, stored: str | None) -> bool:
    """Constant-time comparison of a presented secret against a stored digest."""
    if not stored:
        return False
    return hmac.compare_digest(digest(secret), stored)


def digest_matches_digest(presented_digest: str, stored: str | None) -> bool:
    """Constant-time comparison of two digests (compute the presented one once, compare twice)."""
    if not stored:
        return False
    return hmac.compare_digest(presented_digest, stored)
