"""TOTP primitives (RFC 6238): pure functions, no database and no request.

Replay rejection is policy and lives in ``identity.twofactor``; this module only says which
time-step a code belongs to.
"""

from __future__ import annotations

import hmac
import time

import pyotp
import segno

__all__ = [
    "ISSUER",
    "STEP_SECONDS",
    "counter_at",
    "current_code",
    "matching_counter",
    "new_secret",
    "normalize_code",
    "provisioning_uri",
    "qr_svg_data_uri",
]

ISSUER = "NewLedger"
STEP_SECONDS = 30
DIGITS = 6
# Accept the previous and next step too: phone clocks drift (RFC 6238 §5.2 recommends one step).
VALID_WINDOW = 1


def new_secret() -> str:
    """A 160-bit base32 secret (RFC 4226 §4 recommends at least 128 bits)."""
    return str(pyotp.random_base32(length=32))


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer))


def qr_svg_data_uri(uri: str) -> str:
    """The QR code as an SVG ``data:`` URI: the CSP allows ``img-src data:``."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def counter_at(at: float) -> int:
    return int(at // STEP_SECONDS)


def normalize_code(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def current_code(secret: str, at: float | None = None) -> str:
    return str(pyotp.TOTP(secret).generate_otp(counter_at(time.time() if at is None else at)))


def matching_counter(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time-step whose code equals ``code`` (within the drift window), else ``None``."""
    code = normalize_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = counter_at(time.time() if at is None else at)
    found: int | None = None
    # Compare every candidate, in constant time, so timing does not reveal which step matched.
    for counter in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(str(totp.generate_otp(counter)), code):
            found = counter
    return found
