"""Reading one uploaded file from a ``multipart/form-data`` body as it streams in.

Starlette's own form parser spools files of any size to disk, so an upload's size could only be
judged after the whole body had been received. Here the body is parsed chunk by chunk
(``python-multipart``'s push parser) and the part named ``file`` goes straight into a
``storage.Stager``, which refuses it the moment it passes the limit. Other (text) fields, such
as a web form's ``csrf_token``, are kept, each small and few. The part's own ``Content-Type``
is ignored: the type is sniffed from the bytes afterwards (``kinds.sniff``).

Used by the REST API and the web view alike; each turns the exceptions into its own answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from newledger.attachments.storage import FileTooLarge, StagedFile, Stager
from newledger.errors import UnsupportedType, ValidationFailed

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = [
    "FILE_FIELD",
    "FRAMING_ALLOWANCE",
    "BadUpload",
    "NotMultipart",
    "Upload",
    "boundary_of",
    "read_upload",
]

FILE_FIELD = "file"
# Text fields beside the file: how many, and how long each may be.
_MAX_FIELDS = 16
_MAX_FIELD_BYTES = 8192
# The multipart framing around the file (boundaries, part headers, small fields) on top of the
# file's own limit, before the body as a whole counts as too large.
FRAMING_ALLOWANCE = 64 * 1024


class NotMultipart(UnsupportedType):
    """The body is not ``multipart/form-data`` with a boundary."""


class BadUpload(ValidationFailed):
    """The multipart body is malformed, cut short, or does not hold exactly one ``file``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, errors={FILE_FIELD: message}, code="invalid_upload")


@dataclass
class Upload:
    staged: StagedFile
    filename: str  # as the client sent it; ``names.clean_filename`` makes it safe
    fields: dict[str, str] = field(default_factory=dict)


def boundary_of(content_type: str | None) -> bytes:
    media, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if media != b"multipart/form-data" or not boundary:
        raise NotMultipart("Send the file as multipart/form-data, in a part named `file`.")
    return boundary


class _Parts:
    """The parser's callbacks: collects text fields and streams the file part to ``stager``."""

    def __init__(self, stager: Stager) -> None:
        self.stager = stager
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.file_done = False
        self.ended = False
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._data = bytearray()

    def on_part_begin(self) -> None:
        self._disposition, self._name, self._is_file = b"", "", False
        self._data = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name, self._header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name")
        if name is None:
            raise BadUpload("Each part needs a Content-Disposition with a name.")
        self._name = name.decode("utf-8", "replace")
        self._is_file = self._name == FILE_FIELD
        if self._is_file:
            if self.filename is not None:
                raise BadUpload("Send one file per request.")
            self.filename = options.get(b"filename", b"").decode("utf-8", "replace")
        elif len(self.fields) >= _MAX_FIELDS:
            raise BadUpload("Too many form fields.")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.stager.write(data[start:end])
            return
        self._data += data[start:end]
        if len(self._data) > _MAX_FIELD_BYTES:
            raise BadUpload(f"The field {self._name!r} is too long.")

    def on_part_end(self) -> None:
        if self._is_file:
            self.file_done = True
        else:
            self.fields.setdefault(self._name, self._data.decode("utf-8", "replace"))

    def on_end(self) -> None:
        self.ended = True


async def read_upload(stream: AsyncIterator[bytes], content_type: str | None, limit: int) -> Upload:
    """The ``file`` part of the body, in a temporary file (``Upload.staged``; the caller
    ``discard``s it when done). Raises ``NotMultipart``, ``BadUpload``, or ``FileTooLarge``
    when the file passes ``limit`` bytes (or the body passes it by more than the framing)."""
    boundary = boundary_of(content_type)
    stager = Stager(limit)
    parts = _Parts(stager)
    parser = MultipartParser(boundary, _callbacks(parts))
    received = 0
    try:
        async for chunk in stream:
            received += len(chunk)
            if received > limit + FRAMING_ALLOWANCE:
                raise FileTooLarge(limit)
            parser.write(chunk)
        parser.finalize()
        if not parts.ended or not parts.file_done or parts.filename is None:
            if parts.filename is None and parts.ended:
                raise BadUpload(f"Send the file in a multipart part named `{FILE_FIELD}`.")
            raise BadUpload("The multipart body ended before the file did.")
        if stager.size == 0:
            raise BadUpload("The file is empty.")
    except FormParserError:
        stager.discard()
        raise BadUpload("The multipart body is malformed.") from None
    except BaseException:
        stager.discard()
        raise
    return Upload(stager.finish(), parts.filename, parts.fields)


def _callbacks(parts: _Parts) -> MultipartCallbacks:
    return {
        "on_part_begin": parts.on_part_begin,
        "on_part_data": parts.on_part_data,
        "on_part_end": parts.on_part_end,
        "on_header_field": parts.on_header_field,
        "on_header_value": parts.on_header_value,
        "on_header_end": parts.on_header_end,
        "on_headers_finished": parts.on_headers_finished,
        "on_end": parts.on_end,
    }
