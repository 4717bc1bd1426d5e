"""Attachment files on disk, kept in step with their rows.

Layout: ``<attachment dir>/<company id>/<random key>`` (default attachment dir:
``Settings.data_dir / "attachments"``). Nothing a client sends (the file's name above all) ever
becomes part of a path.

- An upload is streamed into a private temporary file under ``<attachment dir>/.incoming``
  (``Stager``), counted and hashed as it arrives, and refused as soon as it passes the size
  limit: no body is ever held in memory whole.
- ``place`` moves the finished file to its final name with ``os.replace`` (atomic on one file
  system, which is why the temporary folder is inside the attachment dir), after ``fsync``.
- The row and the file never disagree after a transaction ends (``track``): a file placed in a
  transaction that does not commit is removed, and a file whose row is deleted is removed only
  once that deletion has committed. (A crash between the two steps can leave a file without a
  row, never a row without its file.)
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from newledger.attachments.kinds import SNIFF_BYTES
from newledger.config import get_settings
from newledger.errors import TooLarge

__all__ = ["FileTooLarge", "StagedFile", "Stager", "doom", "file_path", "place"]

_INCOMING = ".incoming"
_PLACED = "attachment_files_placed"
_DOOMED = "attachment_files_doomed"


class FileTooLarge(TooLarge):
    """The upload passed ``limit`` bytes; what was written of it is already removed."""

    code = "file_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than the limit of {limit} bytes.")
        self.limit = limit


def _root() -> Path:
    return get_settings().resolved_attachment_dir


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def file_path(company_id: int, key: str) -> Path:
    """Where the file with ``key`` of ``company_id`` is kept."""
    if not key.isalnum():  # keys are ours (hex); anything else is not a file name we made
        raise ValueError("not an attachment key")
    return _root() / str(int(company_id)) / key


@dataclass
class StagedFile:
    """A complete upload in its temporary file: its size, SHA-256 and first bytes (for
    sniffing its type)."""

    path: Path
    size: int
    sha256: str
    head: bytes

    def discard(self) -> None:
        """Remove the temporary file (nothing happens once ``place`` has moved it)."""
        self.path.unlink(missing_ok=True)


class Stager:
    """Writes an upload's chunks to a temporary file, refusing it past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._digest = hashlib.sha256()
        self._head = bytearray()
        fd, name = tempfile.mkstemp(dir=_private_dir(_root() / _INCOMING), prefix="upload-")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.discard()
            raise FileTooLarge(self.limit)
        if len(self._head) < SNIFF_BYTES:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> StagedFile:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        return StagedFile(self.path, self.size, self._digest.hexdigest(), bytes(self._head))

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def place(session: Session, staged: StagedFile, company_id: int) -> str:
    """Move ``staged`` to its final name and return its key. Should ``session``'s transaction
    not commit, the file is removed again."""
    key = secrets.token_hex(16)
    target = file_path(company_id, key)
    _private_dir(target.parent)
    os.replace(staged.path, target)
    _tracked(session, _PLACED).append(target)
    return key


def doom(session: Session, company_id: int, key: str) -> None:
    """Remove the file once ``session``'s transaction (which deletes its row) has committed."""
    _tracked(session, _DOOMED).append(file_path(company_id, key))


def _tracked(session: Session, name: str) -> list[Path]:
    if not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_transaction_end", _after_transaction_end)
    paths: list[Path] = session.info.setdefault(name, [])
    return paths


def _after_commit(session: Session) -> None:
    session.info.pop(_PLACED, None)  # committed: the rows now own their files
    for path in session.info.pop(_DOOMED, []):
        path.unlink(missing_ok=True)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint or inner transaction: the outcome is decided further out
    # Not committed (rolled back, or closed without a commit): the placed files have no rows,
    # and the doomed ones keep theirs.
    for path in session.info.pop(_PLACED, []):
        path.unlink(missing_ok=True)
    session.info.pop(_DOOMED, None)
