"""TOTP secrets encrypted at rest (DESIGN §8). Pure: no database, no request.

A TOTP secret must be read back to check a code, so unlike passwords and recovery codes it
cannot be stored as a digest. It is stored sealed with AES-256-GCM under a key of its own,
derived from the server key (``keys.derive_key("totp-secret")``): a copy of the database, a
backup or the SQLite file alone does not give anyone the second factor.

The stored form is ``base64url(nonce ‖ ciphertext ‖ tag)`` of the secret's 20 raw bytes: 12 +
20 + 16 bytes, exactly 64 characters, so it fits the existing ``String(64)`` column and the
migration changes data only. (Widening the column would rebuild ``users`` on SQLite, and a
rebuild drops the table, which under ``foreign_keys=ON`` cascades to every membership.) The
associated data names the column, so a sealed value means nothing anywhere else.

A value written before encryption (base32 text: ``A-Z2-7``) is still read as it is; the
migration seals every such row, so it only appears in a database that has not been migrated.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from newledger.keys import derive_key

__all__ = ["SealedTotpSecret", "is_sealed", "seal", "unseal"]

_PURPOSE = "totp-secret"
_AAD = b"newledger:users.totp_secret"
_NONCE_BYTES = 12
_SECRET_BYTES = 20  # what identity.totp.new_secret makes (160 bits, RFC 4226 §4)
_PLAIN = re.compile(r"[A-Z2-7]+=*")


def _aead() -> AESGCM:
    return AESGCM(derive_key(_PURPOSE))


def is_sealed(stored: str) -> bool:
    """A plain secret is upper-case base32 (``A-Z2-7``); a sealed value is base64url, which
    also has lower case, ``0189-_`` (64 characters with none of them: odds of 2**-64)."""
    return not _PLAIN.fullmatch(stored)


def seal(secret: str) -> str:
    """The stored form of a base32 TOTP secret."""
    try:
        raw = base64.b32decode(secret)
    except binascii.Error:
        raise ValueError("a TOTP secret is base32 text") from None
    if len(raw) != _SECRET_BYTES:
        raise ValueError(f"a TOTP secret is {_SECRET_BYTES * 8} bits")
    nonce = os.urandom(_NONCE_BYTES)
    return base64.urlsafe_b64encode(nonce + _aead().encrypt(nonce, raw, _AAD)).decode("ascii")


def unseal(stored: str) -> str:
    """The base32 secret back from its stored form; a legacy plain value is returned as it is.

    ``ValueError`` when it does not decrypt: the server key changed, or the value was altered.
    """
    if not is_sealed(stored):
        return stored
    try:
        data = base64.urlsafe_b64decode(stored)
        raw = _aead().decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], _AAD)
    except (binascii.Error, ValueError, InvalidTag):
        raise ValueError(
            "a stored TOTP secret does not decrypt with this server key "
            "(was NEWLEDGER_SECRET_KEY or the data directory's secret.key changed?)"
        ) from None
    return base64.b32encode(raw).decode("ascii")


class SealedTotpSecret(TypeDecorator[str]):
    """The ``users.totp_secret`` column: plain base32 in Python, sealed in the database."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else unseal(str(value))
