"""Attachments below HTTP: the type told from the bytes, safe names, the streamed upload's limits,
and files that follow their rows through commits, rollbacks and failed writes (real database,
real files)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from newledger.attachments.kinds import ALLOWED, sniff
from newledger.attachments.models import Attachment
from newledger.attachments.names import clean_filename, content_disposition
from newledger.attachments.services import (
    EXPENSE,
    INVOICE,
    add_attachment,
    delete_attachment,
    list_attachments,
)
from newledger.attachments.storage import FileTooLarge, StagedFile, Stager, file_path
from newledger.attachments.upload import BadUpload, NotMultipart, read_upload
from newledger.config import get_settings
from newledger.errors import Conflict, NotFound, PermissionDenied, UnsupportedType
from newledger.identity.permissions import Permission
from newledger.ledger.expenses import approve_expense, create_draft_expense
from newledger.ledger.invoices import delete_draft_invoice
from tests.support import files
from tests.support.books import Books, make_books


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The attachment directory, in a folder of this test's own."""
    folder = tmp_path / "attachments"
    monkeypatch.setenv("NEWLEDGER_ATTACHMENT_DIR", str(folder))
    monkeypatch.setenv("NEWLEDGER_ATTACHMENT_MAX_PER_DOCUMENT", "2")
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.fixture
def books(sessions: sessionmaker[Session]) -> Books:
    return make_books(sessions, invoices=2)


def stage(data: bytes) -> StagedFile:
    stager = Stager(get_settings().attachment_max_bytes)
    stager.write(data)
    return stager.finish()


def stored(folder: Path) -> list[Path]:
    """The files kept, leaving out the (empty) temporary folder."""
    return [p for p in files.files_under(folder) if ".incoming" not in p.parts]


# -- types and names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (files.pdf(), "application/pdf"),
        (files.png(), "image/png"),
        (files.JPEG_HEAD, "image/jpeg"),
        (files.GIF, "image/gif"),
        (files.WEBP_HEAD, "image/webp"),
        (files.HEIC_HEAD, "image/heic"),
    ],
)
def test_each_allowed_type_is_told_from_its_bytes(data: bytes, mime: str) -> None:
    kind = sniff(data)
    assert kind is not None and kind.mime == mime
    assert mime in ALLOWED


@pytest.mark.parametrize("data", [files.EXE, files.HTML, files.ZIP, b"", b"plain text, 42.50"])
def test_executables_pages_archives_and_text_are_not_allowed(data: bytes) -> None:
    assert sniff(data) is None


def test_names_are_cleaned_and_end_in_the_extension_of_the_sniffed_type() -> None:
    pdf, png = ALLOWED["application/pdf"], ALLOWED["image/png"]
    assert clean_filename("C:\\fakepath\\Receipt March.pdf", pdf) == "Receipt March.pdf"
    assert clean_filename("../../etc/passwd", pdf) == "passwd.pdf"
    assert clean_filename("scan.PDF", pdf) == "scan.pdf"
    assert clean_filename("receipt.pdf", png) == "receipt.png"  # what the bytes are
    assert clean_filename("in\u202eexe.pdf", pdf) == "inexe.pdf"  # no bidi override
    assert clean_filename('a"b<c>\r\nd.pdf', pdf) == "a_b_c_d.pdf"
    assert clean_filename("", pdf) == "attachment.pdf"
    assert clean_filename("...", pdf) == "attachment.pdf"
    assert clean_filename(".htaccess", pdf) == "htaccess.pdf"
    long = clean_filename("x" * 500 + ".jpeg", ALLOWED["image/jpeg"])
    assert len(long) == 200 and long.endswith(".jpeg")


def test_the_download_name_has_an_ascii_fallback_and_the_exact_name() -> None:
    header = content_disposition("Reçu café 10€.pdf")
    assert header == (
        'attachment; filename="Recu cafe 10.pdf"; '
        "filename*=UTF-8''Re%C3%A7u%20caf%C3%A9%2010%E2%82%AC.pdf"
    )
    assert content_disposition("収据.pdf").startswith('attachment; filename="download.pdf";')


# -- the streamed upload -----------------------------------------------------------------------

BOUNDARY = "nl-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: tuple[str, str | None, bytes], close: bool = True) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += data + b"\r\n"
    return out + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


async def chunks(body: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def read(
    body: bytes, limit: int, content_type: str = MULTIPART
) -> tuple[bytes, str, dict[str, str]]:
    async def run() -> tuple[bytes, str, dict[str, str]]:
        upload = await read_upload(chunks(body), content_type, limit)
        try:
            return upload.staged.path.read_bytes(), upload.filename, upload.fields
        finally:
            upload.staged.discard()

    return anyio.run(run)


def test_an_upload_is_streamed_to_a_file_with_its_digest(store: Path) -> None:
    data = files.pdf()
    body = multipart(("csrf_token", None, b"abc"), ("file", "r.pdf", data))

    async def run() -> None:
        upload = await read_upload(chunks(body, 7), MULTIPART, 1_000_000)
        assert upload.staged.path.read_bytes() == data
        assert upload.staged.sha256 == hashlib.sha256(data).hexdigest()
        assert upload.staged.size == len(data)
        assert upload.filename == "r.pdf" and upload.fields == {"csrf_token": "abc"}
        upload.staged.discard()

    anyio.run(run)
    assert files.files_under(store) == []


def test_an_upload_past_the_limit_is_stopped_and_leaves_nothing(store: Path) -> None:
    body = multipart(("file", "big.png", files.big_png(5000)))
    with pytest.raises(FileTooLarge):
        read(body, 4000)
    assert files.files_under(store) == []
    stager = Stager(10)
    with pytest.raises(FileTooLarge):
        stager.write(b"x" * 11)
    assert not stager.path.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (multipart(("note", None, b"hello")), MULTIPART, BadUpload),  # no file part
        (multipart(("file", "a.pdf", files.pdf()), close=False), MULTIPART, BadUpload),
        (multipart(("file", "a.pdf", b"")), MULTIPART, BadUpload),  # empty
        (
            multipart(("file", "a.pdf", files.pdf()), ("file", "b.pdf", files.pdf())),
            MULTIPART,
            BadUpload,
        ),
        (files.pdf(), "application/pdf", NotMultipart),
        (files.pdf(), "multipart/form-data", NotMultipart),  # no boundary
    ],
)
def test_malformed_uploads_are_refused_and_leave_nothing(
    store: Path, body: bytes, content_type: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        read(body, 1_000_000, content_type)
    assert files.files_under(store) == []


# -- files follow their rows -------------------------------------------------------------------


def test_a_committed_upload_keeps_its_file_and_digest(
    store: Path, sessions: sessionmaker[Session], books: Books
) -> None:
    data = files.pdf("kept")
    with sessions() as s:
        row = add_attachment(s, books.actor, INVOICE, books.invoice_ids[0], stage(data), "r.pdf")
        s.commit()
        path = file_path(row.company_id, row.storage_key)
    assert path.read_bytes() == data
    assert stored(store) == [path]
    with sessions() as s:
        (listed,) = list_attachments(s, books.actor, INVOICE, books.invoice_ids[0])
        assert listed.sha256 == files.sha256(data) and listed.size == len(data)
        assert listed.content_type == "application/pdf" and listed.filename == "r.pdf"


def test_a_failed_database_write_removes_the_placed_file(
    store: Path, sessions: sessionmaker[Session], books: Books
) -> None:
    with sessions() as s:
        row = add_attachment(s, books.actor, INVOICE, books.invoice_ids[0], stage(files.png()), "p")
        assert len(stored(store)) == 1
        # The same transaction then fails in the database (a second row with the same key).
        values = {
            c.name: getattr(row, c.key) for c in Attachment.__table__.columns if c.name != "id"
        }
        with pytest.raises(IntegrityError):
            s.execute(insert(Attachment).values(**values))
        s.rollback()
    assert stored(store) == []
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_refused_file_is_never_placed(
    store: Path, sessions: sessionmaker[Session], books: Books
) -> None:
    with sessions() as s:
        staged = stage(files.HTML)
        with pytest.raises(UnsupportedType) as refused:
            add_attachment(s, books.actor, INVOICE, books.invoice_ids[0], staged, "x.pdf")
        assert "PDF, PNG, JPEG, GIF, WebP or HEIC" in refused.value.message
        staged.discard()
        s.rollback()
    assert files.files_under(store) == []


def test_deleting_removes_the_file_only_once_the_row_deletion_commits(
    store: Path, sessions: sessionmaker[Session], books: Books
) -> None:
    with sessions() as s:
        row = add_attachment(s, books.actor, INVOICE, books.invoice_ids[0], stage(files.png()), "p")
        s.commit()
        row_id, path = row.id, file_path(row.company_id, row.storage_key)
    with sessions() as s:
        delete_attachment(s, books.actor, INVOICE, books.invoice_ids[0], row_id)
        s.rollback()  # changed its mind: row and file both stay
    assert path.exists()
    with sessions() as s:
        delete_attachment(s, books.actor, INVOICE, books.invoice_ids[0], row_id)
        assert path.exists()  # not before the commit
        s.commit()
    assert not path.exists()
    with sessions() as s:
        assert list_attachments(s, books.actor, INVOICE, books.invoice_ids[0]) == []


def test_deleting_a_draft_deletes_its_files(
    store: Path, sessions: sessionmaker[Session], books: Books
) -> None:
    with sessions() as s:
        add_attachment(s, books.actor, INVOICE, books.invoice_ids[0], stage(files.png()), "a")
        add_attachment(s, books.actor, INVOICE, books.invoice_ids[1], stage(files.pdf()), "b")
        s.commit()
    with sessions() as s:
        delete_draft_invoice(s, books.actor, books.invoice_ids[0])
        s.commit()
    (left,) = stored(store)
    with sessions() as s:
        (row,) = s.scalars(select(Attachment))
        assert row.invoice_id == books.invoice_ids[1]
        assert file_path(row.company_id, row.storage_key) == left


def test_the_count_limit_and_other_documents(
    store: Path, sessions: sessionmaker[Session], books: Books
) -> None:
    other = make_books(sessions, invoices=1)
    with sessions() as s:
        for n in range(2):
            add_attachment(
                s, books.actor, INVOICE, books.invoice_ids[0], stage(files.png(seed=n)), ""
            )
        s.commit()
        with pytest.raises(Conflict) as full:
            add_attachment(s, books.actor, INVOICE, books.invoice_ids[0], stage(files.png()), "")
        assert full.value.code == "too_many_attachments"
        s.rollback()
        with pytest.raises(NotFound):  # another company's invoice
            add_attachment(s, books.actor, INVOICE, other.invoice_ids[0], stage(files.png()), "")
        s.rollback()
        with pytest.raises(PermissionDenied):  # reading is not drafting
            reader = books.app(Permission.INVOICES_READ)
            add_attachment(s, reader, INVOICE, books.invoice_ids[1], stage(files.png()), "")
    assert len(stored(store)) == 2


def test_files_stay_with_an_approved_expense_and_only_a_person_removes_them(
    store: Path, sessions: sessionmaker[Session], books: Books
) -> None:
    bot = books.app()
    with sessions() as s:
        expense = create_draft_expense(
            s, bot, date="2025-03-02", lines=[{"amount": "42.50", "account_id": books.acct("6500")}]
        )
        row = add_attachment(s, bot, EXPENSE, expense.id, stage(files.pdf()), "receipt.pdf")
        s.commit()
        expense_id, row_id = expense.id, row.id
    with sessions() as s:
        approved = approve_expense(s, books.actor, expense_id)
        assert approved.id == expense_id and approved.status == "paid"  # paid at once
        s.commit()
    with sessions() as s:
        (kept,) = list_attachments(s, bot, EXPENSE, expense_id)
        assert kept.id == row_id
        # A late receipt may still be attached by the app …
        add_attachment(s, bot, EXPENSE, expense_id, stage(files.png()), "late.png")
        s.commit()
        # … but not taken away from the approved expense.
        with pytest.raises(PermissionDenied) as refused:
            delete_attachment(s, bot, EXPENSE, expense_id, row_id)
        assert refused.value.code == "external_cannot_remove_evidence"
        s.rollback()
        delete_attachment(s, books.actor, EXPENSE, expense_id, row_id)
        s.commit()
        assert [a.filename for a in list_attachments(s, bot, EXPENSE, expense_id)] == ["late.png"]
