"""Each token and client credential has exactly one spelling. Lenient base64 let ``T=``,
``T==x``, the standard alphabet, a space inside or spare low bits of ``T`` authenticate as ``T``;
form decoding let ``%41`` stand for ``A`` in a client id or secret. All of them are refused."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.strict_b64 import decode_standard, decode_urlsafe, encode_urlsafe
from tests.conftest import LiveServer
from tests.support.appconnect import Credential, make_app, make_tenant, token_for

_URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _spare_bits(sig: str) -> str:
    """The same bytes with the unused low bits of the last character set (43 characters
    carry 256 bits: the last one has two spare)."""
    return sig[:-1] + _URLSAFE[_URLSAFE.index(sig[-1]) | 0b11]


def _standard_alphabet(token: str) -> str:
    return token.replace("-", "+").replace("_", "/").replace("nlat/", "nlat_", 1)


def _with_sig(change: Callable[[str], str]) -> Callable[[str], str]:
    def respell(token: str) -> str:
        signed, _, sig = token.rpartition(".")
        return signed + "." + change(sig)

    return respell


RESPELLINGS: dict[str, Callable[[str], str]] = {
    "padding": lambda t: t + "=",
    "padding and trailing garbage": lambda t: t + "==x",
    "standard alphabet": _standard_alphabet,
    "space inside": _with_sig(lambda s: s[:10] + " " + s[10:]),
    "spare bits set": _with_sig(_spare_bits),
    "padding inside the payload": lambda t: t.replace(".", "=.", 1),
}


@pytest.fixture
def app_token(live_server: LiveServer, sessions: sessionmaker[Session]) -> str:
    cred = make_app(sessions, make_tenant(sessions), "invoices:read")
    for _ in range(40):  # one whose signature shows the alphabet difference (-/_)
        token = token_for(live_server.url, cred)
        sig = token.rpartition(".")[2]
        if "-" in sig or "_" in sig:
            return token
    raise AssertionError("no token with - or _ in 40 tries")


def _me(base_url: str, token: str) -> httpx.Response:
    return httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_the_token_as_issued_is_accepted(live_server: LiveServer, app_token: str) -> None:
    assert _me(live_server.url, app_token).status_code == 200


@pytest.mark.parametrize("name", list(RESPELLINGS))
def test_another_spelling_of_an_access_token_is_refused(
    live_server: LiveServer, app_token: str, name: str
) -> None:
    respelt = RESPELLINGS[name](app_token)
    assert respelt != app_token
    response = _me(live_server.url, respelt)
    assert response.status_code == 401, (name, response.text)
    assert response.json()["code"] == "invalid_token"


def _basic(raw: str) -> dict[str, str]:
    return {"Authorization": f"Basic {raw}"}


def _token_request(base_url: str, headers: dict[str, str], **form: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials", **form},
        headers=headers,
    )


@pytest.fixture
def cred(live_server: LiveServer, sessions: sessionmaker[Session]) -> Credential:
    return make_app(sessions, make_tenant(sessions), "invoices:read")


def _pair(client_id: str, secret: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_canonical_basic_credentials_are_accepted(
    live_server: LiveServer, cred: Credential
) -> None:
    raw = _pair(cred.client_id, cred.secret)
    assert raw.endswith("=") and not raw.endswith("==")  # the respellings below rely on it
    assert _token_request(live_server.url, _basic(raw)).status_code == 200


def _escape_last(value: str) -> str:
    return value[:-1] + f"%{ord(value[-1]):02X}"


_STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _spare_bits_padded(raw: str) -> str:
    """``xy=`` carries 16 bits in 18: set the last character's two spare bits."""
    return raw[:-2] + _STANDARD[_STANDARD.index(raw[-2]) | 0b11] + "="


BASIC_RESPELLINGS: dict[str, Callable[[Credential], str]] = {
    "extra padding": lambda c: _pair(c.client_id, c.secret) + "=",
    "spare bits set": lambda c: _spare_bits_padded(_pair(c.client_id, c.secret)),
    "escaped client id": lambda c: _pair(_escape_last(c.client_id), c.secret),
    "escaped secret": lambda c: _pair(c.client_id, _escape_last(c.secret)),
}


@pytest.mark.parametrize("name", list(BASIC_RESPELLINGS))
def test_another_spelling_of_basic_client_credentials_is_refused(
    live_server: LiveServer, cred: Credential, name: str
) -> None:
    response = _token_request(live_server.url, _basic(BASIC_RESPELLINGS[name](cred)))
    assert response.status_code == 401, (name, response.text)
    assert response.json()["error"] == "invalid_client"


def test_an_escaped_secret_in_the_form_body_is_refused(
    live_server: LiveServer, cred: Credential
) -> None:
    body = (
        f"grant_type=client_credentials&client_id={cred.client_id}"
        f"&client_secret={_escape_last(cred.secret)}"
    )
    response = httpx.post(
        f"{live_server.url}/oauth/token",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401, response.text
    # ... while the same secret as sent by any form encoder is accepted.
    response = httpx.post(
        f"{live_server.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": cred.client_id,
            "client_secret": cred.secret,
        },
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("text", ["QUJD", "QUI=", "QQ=="])
def test_strict_base64_reads_canonical_values(text: str) -> None:
    assert base64.b64encode(decode_standard(text)).decode() == text
    unpadded = text.rstrip("=")
    assert encode_urlsafe(decode_urlsafe(unpadded)) == unpadded


@pytest.mark.parametrize(
    "text", ["QUI", "QUI==", "QUI=x", "QUJ=", "QR==", "QUJD\n", " QUJD", "QU JD", "QUJD=", "Q"]
)
def test_strict_base64_refuses_every_other_spelling(text: str) -> None:
    with pytest.raises(ValueError):
        decode_standard(text)


@pytest.mark.parametrize("text", ["QUI=", "QUJ", "QR", "QU+D", "QU/D", "QU JD", "Q", "QUJD\n"])
def test_strict_base64url_refuses_every_other_spelling(text: str) -> None:
    with pytest.raises(ValueError):
        decode_urlsafe(text)
