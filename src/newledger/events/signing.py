"""Webhook signing secrets and signatures, in the Standard Webhooks format
(https://www.standardwebhooks.com). Pure: no database, no request.

- The secret is ``whsec_`` + base64 of 32 random bytes, shown once when the endpoint is made.
- It must be read back to sign, so it cannot be stored as a digest: it is stored sealed with
  AES-256-GCM under a key of its own (``keys.derive_key("webhook-secret")``), as TOTP secrets
  are (``identity/sealed.py``), so a copy of the database alone cannot forge deliveries.
- Each attempt carries ``webhook-id`` (the message id, the same on every retry),
  ``webhook-timestamp`` (seconds, this attempt) and ``webhook-signature``:
  ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` under the secret's bytes; after a
  rotation, for a while, one such signature per secret, separated by a space. The signature
  comes from the ``standardwebhooks`` package (the specification's reference library: one small
  module, no dependencies), so what receivers verify with it is what is sent.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from standardwebhooks.webhooks import Webhook

from newledger.keys import derive_key

__all__ = ["PREFIX", "new_secret", "seal", "signed_headers", "unseal"]

PREFIX = "whsec_"
_AAD = b"newledger:webhook_endpoints.sealed_secret"
_NONCE_BYTES = 12
_SECRET_BYTES = 32


def _aead() -> AESGCM:
    return AESGCM(derive_key("webhook-secret"))


def new_secret() -> str:
    return PREFIX + base64.b64encode(os.urandom(_SECRET_BYTES)).decode()


def seal(secret: str) -> str:
    raw = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    nonce = os.urandom(_NONCE_BYTES)
    return base64.urlsafe_b64encode(nonce + _aead().encrypt(nonce, raw, _AAD)).decode()


def unseal(stored: str) -> str:
    blob = base64.urlsafe_b64decode(stored)
    raw = _aead().decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _AAD)
    return PREFIX + base64.b64encode(raw).decode()


def signed_headers(
    secrets: Sequence[str], message_id: str, body: str, now: dt.datetime
) -> dict[str, str]:
    """The headers of one attempt, signed with each of ``secrets``: during a rotation's
    overlap the new and the previous secret, space-separated as the specification allows, so a
    receiver holding either one verifies the delivery."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(message_id, now, body) for s in secrets),
    }
