"""A software passkey authenticator for server-level tests, and helpers that drive the real
passkey forms over HTTP the way ``passkeys.js`` does.

``SoftAuthenticator`` makes a P-256 key with ``cryptography`` and answers WebAuthn options with
real authenticator data, client data and ECDSA signatures (attestation format "none"), so the
server checks them exactly as it checks a browser's. Every part it signs can be bent for a
refusal test: another origin, another RP id, an older counter.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, encode_cbor

from tests.support.workspace import Person, csrf

__all__ = [
    "SoftAuthenticator",
    "SoftPasskey",
    "add_passkey_over_http",
    "answer_with_passkey",
    "make_passkey_person",
]

_UP, _UV, _AT = 0x01, 0x04, 0x40
_OPTIONS = re.compile(r'data-options="([^"]+)"')


@dataclass
class SoftPasskey:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    rp_id: str
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return encode_cbor(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class SoftAuthenticator:
    """A platform authenticator with user verification, for ``origin``."""

    origin: str
    passkeys: list[SoftPasskey] = field(default_factory=list)
    # Authenticators without a counter send 0 every time.
    counts: bool = True

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> str:
        """The ``navigator.credentials.create`` answer (JSON) to ``options``."""
        rp_id = options["rp"]["id"]
        passkey = SoftPasskey(
            credential_id=secrets.token_bytes(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            user_handle=base64url_to_bytes(options["user"]["id"]),
            rp_id=rp_id,
        )
        attested = (
            bytes(16)  # AAGUID
            + struct.pack(">H", len(passkey.credential_id))
            + passkey.credential_id
            + passkey.cose_public_key()
        )
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([_UP | _UV | _AT])
            + struct.pack(">I", 0)
            + attested
        )
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data(
            "webauthn.create", options["challenge"], origin or self.origin
        )
        self.passkeys.append(passkey)
        credential_id = bytes_to_base64url(passkey.credential_id)
        return json.dumps(
            {
                "id": credential_id,
                "rawId": credential_id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "attestationObject": bytes_to_base64url(attestation),
                    "transports": ["internal"],
                },
                "clientExtensionResults": {},
            }
        )

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        count: int | None = None,
        passkey: SoftPasskey | None = None,
    ) -> str:
        """The ``navigator.credentials.get`` answer (JSON) to ``options``, signed by
        ``passkey`` (default: the first one the options allow, or the first of all)."""
        allowed = {c["id"] for c in options.get("allowCredentials") or []}
        if passkey is None:
            passkey = next(
                (
                    p
                    for p in self.passkeys
                    if not allowed or bytes_to_base64url(p.credential_id) in allowed
                ),
                self.passkeys[0],
            )
        if count is None:
            if self.counts:
                passkey.sign_count += 1
            count = passkey.sign_count
        auth_data = (
            hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
            + bytes([_UP | _UV])
            + struct.pack(">I", count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin or self.origin)
        signature = passkey.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        credential_id = bytes_to_base64url(passkey.credential_id)
        return json.dumps(
            {
                "id": credential_id,
                "rawId": credential_id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(auth_data),
                    "signature": bytes_to_base64url(signature),
                    "userHandle": bytes_to_base64url(passkey.user_handle),
                },
                "clientExtensionResults": {},
            }
        )


def options_of(response: httpx.Response) -> dict[str, Any]:
    """What a ``webauthn=options`` post answered (the browser's fetch reads the same)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    data: dict[str, Any] = response.json()
    return data


def answer_with_passkey(
    c: httpx.Client,
    path: str,
    data: dict[str, Any],
    authenticator: SoftAuthenticator,
    **bend: Any,
) -> httpx.Response:
    """Post ``data`` to ``path`` confirmed with a passkey, as ``passkeys.js`` does: first with
    ``webauthn=options``, then with the authenticator's answer (``bend``: see ``get``)."""
    options = options_of(c.post(path, data={**data, "webauthn": "options"}))
    answer = authenticator.get(options, **bend)
    return c.post(path, data={**data, "passkey": answer})


def add_passkey_over_http(
    c: httpx.Client,
    authenticator: SoftAuthenticator,
    name: str = "Laptop",
    *,
    step_up: dict[str, str] | None = None,
) -> httpx.Response:
    """Add a passkey on Settings → Security: the name (with ``step_up`` fields, e.g. a code,
    when the person already has a second factor), then the authenticator's answer."""
    token = csrf(c.get("/account/security").text)
    data = {"csrf_token": token, "name": name, **(step_up or {})}
    if step_up is None and authenticator.passkeys:
        page = answer_with_passkey(c, "/account/security/passkeys/new", data, authenticator)
    else:
        page = c.post("/account/security/passkeys/new", data=data)
    assert page.status_code == 200, page.text
    found = _OPTIONS.search(page.text)
    assert found, page.text
    options = json.loads(html.unescape(found.group(1)))
    answer = authenticator.create(options)
    return c.post(
        "/account/security/passkeys",
        data={"csrf_token": csrf(page.text), "name": name, "passkey": answer},
    )


def make_passkey_person(c: httpx.Client, person: Person, origin: str) -> SoftAuthenticator:
    """Give ``person`` (signed in on ``c``, no second factor yet) a first passkey."""
    authenticator = SoftAuthenticator(origin)
    response = add_passkey_over_http(c, authenticator)
    assert response.status_code == 200, response.text  # the recovery codes, shown once
    assert 'id="recovery-codes"' in response.text
    return authenticator
