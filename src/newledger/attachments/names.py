"""An attachment's file name: made safe to show and to offer on download.

The name is only ever a label (the file on disk has a random key), but it is shown in pages,
written into ``Content-Disposition`` and saved by browsers, so it is cleaned: no folders, no
control or reserved characters, no leading dots, a bounded length, and an extension that
matches the type the bytes showed (``receipt.pdf`` that is really a PNG becomes
``receipt.png``, so no download is opened by the wrong program).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from newledger.attachments.kinds import FileKind

__all__ = ["MAX_NAME", "clean_filename", "content_disposition"]

MAX_NAME = 200
_RESERVED = re.compile(r'[\\/:*?"<>|;]')
_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")


def _printable(text: str) -> str:
    # Unicode categories C* are control, format (bidi overrides), surrogate and unassigned.
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))


def clean_filename(raw: str, kind: FileKind) -> str:
    """``raw`` (as a client sent it) as a safe name ending in one of ``kind``'s extensions."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]  # a path's last part: C:\fakepath\x.pdf → x.pdf
    name = _SPACES.sub(" ", _RESERVED.sub("_", _printable(name))).strip().lstrip(". ")
    stem, ext = name, ""
    match = _EXTENSION.search(name)
    if match:
        stem, ext = name[: match.start()], match.group(1).lower()
    if ext not in kind.extensions:
        ext = kind.extension
    stem = stem.rstrip(". ") or "attachment"
    return f"{stem[: MAX_NAME - len(ext) - 1]}.{ext}"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` fallback and the exact name as ``filename*``
    (RFC 6266 §4.3, RFC 8187)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = _printable(ascii_name).replace("\\", "_").replace('"', "_").strip() or "download"
    if ascii_name.startswith("."):
        ascii_name = "download" + ascii_name
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
