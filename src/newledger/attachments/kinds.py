"""The file types an attachment may be, told by their bytes (magic numbers), never by the name or
the ``Content-Type`` a client declares.

Receipts and invoices arrive as PDFs or photos, so those are the types: PDF, PNG, JPEG, GIF,
WebP and HEIC (iPhone photos). Plain text and CSV are not accepted: no signature tells such a
file from HTML, SVG or a script, so their safety could not be checked from the bytes.

``filetype`` (pure Python, no dependencies) holds one deterministic matcher per format. The file
is judged by the *first* format of its whole catalogue that matches, and that format must be on
the list: a file that is first of all something else (an executable, an archive) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import filetype

__all__ = ["ALLOWED", "SNIFF_BYTES", "FileKind", "allowed_names", "sniff"]


@dataclass(frozen=True)
class FileKind:
    mime: str
    name: str  # what people call it, for messages
    extensions: tuple[str, ...]  # the first is the one a download name is given

    @property
    def extension(self) -> str:
        return self.extensions[0]


# The allowed list, stated once: uploads, the OpenAPI document and the UI all read it.
ALLOWED: dict[str, FileKind] = {
    kind.mime: kind
    for kind in (
        FileKind("application/pdf", "PDF", ("pdf",)),
        FileKind("image/png", "PNG", ("png",)),
        FileKind("image/jpeg", "JPEG", ("jpg", "jpeg", "jpe")),
        FileKind("image/gif", "GIF", ("gif",)),
        FileKind("image/webp", "WebP", ("webp",)),
        FileKind("image/heic", "HEIC", ("heic", "heif")),
    )
}
# Enough of the start of a file for every matcher above (HEIC reads its ``ftyp`` box).
SNIFF_BYTES = 8192


def allowed_names() -> str:
    """``PDF, PNG, JPEG, GIF, WebP or HEIC``."""
    names = [kind.name for kind in ALLOWED.values()]
    return ", ".join(names[:-1]) + " or " + names[-1]


def sniff(head: bytes) -> FileKind | None:
    """The allowed kind the file's first bytes show, or ``None`` (unknown or not allowed)."""
    guess = filetype.guess(head) if head else None
    if guess is None:
        return None
    return ALLOWED.get(guess.mime)
