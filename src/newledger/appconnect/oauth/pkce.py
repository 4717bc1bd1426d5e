"""PKCE (RFC 7636), S256 only (OAuth 2.1, DESIGN §5): ``plain`` is refused everywhere."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

__all__ = ["is_valid_challenge", "is_valid_verifier", "s256", "verifier_matches"]

# RFC 7636 §4.1: 43-128 unreserved characters. An S256 challenge is base64url(SHA-256), 43 chars.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def is_valid_verifier(verifier: str) -> bool:
    return _VERIFIER.fullmatch(verifier) is not None


def is_valid_challenge(challenge: str) -> bool:
    """An S256 challenge: 43 base64url characters without padding."""
    return _CHALLENGE.fullmatch(challenge) is not None


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(verifier: str, challenge: str) -> bool:
    """Constant-time check of a ``code_verifier`` against the stored S256 challenge."""
    return is_valid_verifier(verifier) and hmac.compare_digest(s256(verifier), challenge)
