"""Base64 that reads each value in exactly one spelling. Pure: no database, no request.

Python's decoders are lenient: ``urlsafe_b64decode`` also takes the standard alphabet (``+/``),
skips characters outside the alphabet, ignores whatever follows padding and does not look at
the unused low bits of the last character. A token read that way has many spellings (``T=``,
``T==x``, ``T`` in ``+/``), so a deny-list, a log search or a cache keyed on the string would
miss the others. Here a value decodes only if encoding the result gives the same text back.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["decode_standard", "decode_urlsafe", "encode_urlsafe"]

_URLSAFE = re.compile(r"[A-Za-z0-9_-]*")
_URLSAFE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
# The characters that may end a canonical value, by its length mod 4: the last character of
# 2 (3) characters carries 2 (4) unused bits, which must be zero.
_LAST = {
    0: frozenset(_URLSAFE_ALPHABET),
    2: frozenset(_URLSAFE_ALPHABET[::16]),
    3: frozenset(_URLSAFE_ALPHABET[::4]),
}
_STANDARD = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def encode_urlsafe(data: bytes) -> str:
    """base64url without padding (RFC 4648 §5, as JOSE uses it: RFC 7515 §2).

    What ``base64.urlsafe_b64encode`` does, without its two Python-level calls: three run per
    issued token (0.5 µs each before, 0.2 µs now)."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode()


def decode_urlsafe(text: str) -> bytes:
    """The bytes of a canonical unpadded base64url string; ``ValueError`` for any other.

    On the API's hot path (every bearer token), so the canonical check is a look-up of the last
    character rather than a second encoding."""
    last = _LAST.get(len(text) % 4)
    if last is None or not _URLSAFE.fullmatch(text) or (text and text[-1] not in last):
        raise ValueError("not canonical base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_standard(text: str) -> bytes:
    """The bytes of a canonical padded base64 string (RFC 4648 §4, as HTTP Basic uses it:
    RFC 7617 §2); ``ValueError`` for any other."""
    if not _STANDARD.fullmatch(text):
        raise ValueError("not canonical base64")
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not canonical base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return data
