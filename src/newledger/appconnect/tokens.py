"""Self-contained access tokens (DESIGN §4): issued without a database write, still opaque.

    nlat_<base64url(payload)>.<base64url(HMAC-SHA256(key, "nlat_" + base64url(payload)))>

The payload names the grant (kind ``app`` for API credential apps, ``conn`` for OAuth
connections), the grant's version, the company, the scope, the issue and expiry times, a ``jti``
for one-by-one revocation (RFC 7009) and optionally the resource the token is bound to (RFC 8707).
Clients must treat it as opaque; only this module reads it.

Validation checks the signature and expiry here, then the caller checks the grant's *current*
state with one indexed read (``auth.authenticate_bearer``), so a revoke is seen at once.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from newledger.appconnect.secrets import ACCESS_TOKEN_PREFIX
from newledger.appconnect.strict_b64 import decode_urlsafe, encode_urlsafe
from newledger.config import get_settings
from newledger.errors import AuthenticationFailed
from newledger.identity.permissions import Permission
from newledger.keys import derive_key, keyed_mac

__all__ = [
    "AccessToken",
    "TokenRefused",
    "decode_scope",
    "encode_scope",
    "issue_access_token",
    "parse_access_token",
]

# Bit positions of permissions in the compact scope. APPEND ONLY: reordering would let a token
# issued before a deploy mean something else after it.
_SCOPE_BITS: tuple[Permission, ...] = (
    Permission.COMPANY_READ,
    Permission.ACCOUNTS_READ,
    Permission.CONTACTS_READ,
    Permission.CONTACTS_WRITE,
    Permission.INVOICES_READ,
    Permission.INVOICES_DRAFT,
    Permission.EXPENSES_READ,
    Permission.EXPENSES_DRAFT,
    Permission.PAYMENTS_READ,
    Permission.BANK_READ,
    Permission.JOURNAL_READ,
    Permission.REPORTS_READ,
    Permission.ACTIVITY_READ,
    Permission.PAYMENTS_DRAFT,
    Permission.BANK_DRAFT,
)
_BIT_OF = {p: 1 << i for i, p in enumerate(_SCOPE_BITS)}
_PREFIX_B = ACCESS_TOKEN_PREFIX.encode()
_KINDS = frozenset({"app", "conn"})
_PURPOSE = "access-token"


@lru_cache(maxsize=256)
def encode_scope(scope: frozenset[Permission]) -> int:
    """Only delegable permissions can be in a token; anything else is dropped."""
    mask = 0
    for p in scope:
        mask |= _BIT_OF.get(p, 0)
    return mask


@lru_cache(maxsize=256)
def decode_scope(mask: int) -> frozenset[Permission]:
    return frozenset(p for i, p in enumerate(_SCOPE_BITS) if mask >> i & 1)


@dataclass(frozen=True, slots=True)
class AccessToken:
    kind: str  # app | conn
    grant_id: int
    grant_version: int
    company_id: int
    scope: frozenset[Permission]
    issued_at: int
    expires_at: int
    jti: str
    resource: str = ""

    def payload(self) -> str:
        """What is signed: the fields in order, ``:``-separated (the resource, last, may hold
        colons)."""
        scope = encode_scope(self.scope)
        return (
            f"{self.kind}:{self.grant_id}:{self.grant_version}:{self.company_id}:{scope:x}:"
            f"{self.issued_at}:{self.expires_at}:{self.jti}:{self.resource}"
        )

    @classmethod
    def from_payload(cls, text: str) -> AccessToken:
        """The inverse of ``payload``; ``ValueError`` for anything else."""
        kind, grant_id, version, company_id, mask, iat, exp, jti, resource = text.split(":", 8)
        ids = (int(grant_id), int(version), int(company_id))
        return cls(kind, *ids, decode_scope(int(mask, 16)), int(iat), int(exp), jti, resource)


class _RandomPool:
    """Random bytes from the OS, fetched 4 KiB at a time: a token id needs 12, and a
    ``getrandom`` system call per token showed in the token endpoint's profile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        os.register_at_fork(after_in_child=self._forget)

    def take(self, n: int) -> bytes:
        with self._lock:
            if len(self._buffer) < n:
                self._buffer = os.urandom(4096)
            out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def _forget(self) -> None:
        # A forked child must not hand out the same bytes as its parent.
        self._lock = threading.Lock()
        self._buffer = b""


_POOL = _RandomPool()


def _jti() -> str:
    """A unique token id: 96 random bits, base64url (the length ``token_urlsafe(12)`` gives)."""
    return encode_urlsafe(_POOL.take(12))


def _sign(signed_part: bytes) -> bytes:
    return keyed_mac(_PURPOSE, signed_part)


def issue_access_token(
    *,
    kind: str,
    grant_id: int,
    grant_version: int,
    company_id: int,
    scope: frozenset[Permission],
    resource: str = "",
    ttl_seconds: int | None = None,
    now: int | None = None,
) -> tuple[str, AccessToken]:
    """Return the token string and what it says. No database access."""
    if kind not in _KINDS:
        raise ValueError(f"unknown grant kind {kind!r}")
    issued = int(time.time()) if now is None else now
    ttl = get_settings().access_token_ttl_seconds if ttl_seconds is None else ttl_seconds
    times, jti = (issued, issued + ttl), _jti()
    claims = AccessToken(kind, grant_id, grant_version, company_id, scope, *times, jti, resource)
    signed_part = _PREFIX_B + encode_urlsafe(claims.payload().encode()).encode("ascii")
    return signed_part.decode() + "." + encode_urlsafe(_sign(signed_part)), claims


class TokenRefused(AuthenticationFailed):
    """An access token that cannot be used. ``reason`` is for the activity log; ``company_id``
    is the company the token names (unverified when the signature failed), ``grant_id`` the
    app it names once the signature was verified."""

    def __init__(
        self,
        message: str,
        reason: str,
        *,
        company_id: int | None = None,
        grant_kind: str | None = None,
        grant_id: int | None = None,
    ) -> None:
        super().__init__(message, code="invalid_token")
        self.reason = reason
        self.company_id = company_id
        self.grant_kind = grant_kind
        self.grant_id = grant_id


def _invalid(message: str, reason: str = "malformed") -> TokenRefused:
    return TokenRefused(message, reason)


def _claimed_company(payload: bytes) -> int | None:
    """The company a payload names, read without trusting it (for the record of a refusal)."""
    fields = payload.split(b":", 4)
    return (
        int(fields[3]) if len(fields) > 4 and fields[3].isdigit() and len(fields[3]) < 12 else None
    )


def parse_access_token(token: str, *, now: int | None = None) -> AccessToken:
    """Check prefix, signature and expiry; raise ``AuthenticationFailed(code="invalid_token")``.

    Says nothing about whether the grant is still alive: that needs the database.
    """
    claims = _verified(derive_key(_PURPOSE), token)
    if (int(time.time()) if now is None else now) >= claims.expires_at:
        raise TokenRefused(
            "Access token expired",
            "token_expired",
            company_id=claims.company_id,
            grant_kind=claims.kind,
            grant_id=claims.grant_id,
        )
    return claims


@lru_cache(maxsize=4096)
def _verified(key: bytes, token: str) -> AccessToken:
    """What a token with a good signature under ``key`` says (a refusal raises, so it is never
    cached).

    Cached by key and token: a client sends the same token with every call until it expires,
    and the signature and payload of a string never change, so its base64, HMAC and payload
    were re-done for nothing (a tenth of an MCP call's own work). Whether the grant may still
    use it is not cached: the caller reads that from the database on every request. A new key
    misses the cache, so a rotated server secret refuses old tokens at once.
    """
    if not token.startswith(ACCESS_TOKEN_PREFIX) or len(token) > 1024:
        raise _invalid("Not an access token")
    signed_part, dot, sig = token.rpartition(".")
    if not dot:
        raise _invalid("Malformed access token")
    try:
        # Strict base64url both sides of the dot: one spelling per token (see strict_b64).
        presented = decode_urlsafe(sig)
        payload = decode_urlsafe(signed_part[len(ACCESS_TOKEN_PREFIX) :])
    except ValueError:
        raise _invalid("Malformed access token") from None
    signed = signed_part.encode("ascii")
    if not hmac.compare_digest(_sign(signed), presented):
        raise TokenRefused(
            "Bad access token signature", "bad_signature", company_id=_claimed_company(payload)
        )
    try:
        return AccessToken.from_payload(payload.decode())
    except (ValueError, UnicodeDecodeError):
        # A valid signature over a payload we cannot read means a bug or a key reuse: refuse.
        raise _invalid("Malformed access token") from None
