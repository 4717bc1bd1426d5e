"""Attachments through REST API v1 on a running server: upload a receipt, download the same
bytes, and every refusal (type, size, company, permission, count), with nothing half-stored.

The server here runs with a 64 KiB file limit and at most 3 files per document, and its data
directory is the test's, so the files on disk can be checked against the rows."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.attachments.models import Attachment
from newledger.audit.models import Activity
from newledger.identity.services import user_actor
from newledger.ledger.invoices import approve_invoice
from tests.conftest import LiveServer
from tests.support import files
from tests.support.api import Api, api_for
from tests.support.appconnect import server_key
from tests.support.books import Books, make_books

__all__ = ["server_key"]

LIMIT = 64 * 1024
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Path]]:
    data = tmp_path_factory.mktemp("attachments-serve")
    env = {
        "NEWLEDGER_ATTACHMENT_MAX_BYTES": str(LIMIT),
        "NEWLEDGER_ATTACHMENT_MAX_PER_DOCUMENT": "3",
    }
    live = LiveServer(database_url, data, env)
    yield live, data / "attachments"
    live.stop()


@pytest.fixture
def url(server: tuple[LiveServer, Path]) -> str:
    return server[0].url


@pytest.fixture(autouse=True)
def store(server: tuple[LiveServer, Path]) -> Path:
    """The server's attachment directory, emptied like the database before each test."""
    shutil.rmtree(server[1], ignore_errors=True)
    return server[1]


@pytest.fixture
def books(sessions: sessionmaker[Session], server_key: None) -> Books:
    return make_books(sessions, invoices=2)


@pytest.fixture
def api(url: str, sessions: sessionmaker[Session], books: Books) -> Api:
    client, _ = api_for(url, sessions, books, name="Receipt Bot")
    return client


def upload(api: Api, path: str, name: str, data: bytes, **kwargs: Any) -> httpx.Response:
    return api.post(path, files={"file": (name, data, "application/pdf")}, **kwargs)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def nothing_stored(sessions: sessionmaker[Session], store: Path) -> None:
    """No attachment row and no file, not even a temporary one."""
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0
    assert files.files_under(store) == []


def expense_id(api: Api, books: Books) -> int:
    body = {"date": "2025-03-02", "lines": [{"amount": "42.50", "account_id": books.acct("6500")}]}
    created = api.post("/expenses", json=body)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_a_receipt_uploaded_over_http_downloads_with_the_same_digest(
    api: Api, books: Books, sessions: sessionmaker[Session], store: Path
) -> None:
    data = files.pdf("Staples 42.50")
    digest = hashlib.sha256(data).hexdigest()
    expense = expense_id(api, books)
    base = f"/expenses/{expense}/attachments"
    created = upload(api, base, "Reçu mars.pdf", data)
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1{base}/{body['id']}"
    assert created.headers["etag"] == f'"{digest}"'
    assert body["sha256"] == digest and body["size"] == len(data)
    assert body["filename"] == "Reçu mars.pdf" and body["content_type"] == "application/pdf"
    assert body["document_type"] == "expense" and body["document_id"] == expense
    assert body["source"] == "api" and body["source_label"] == "Receipt Bot"

    content = api.get(f"{base}/{body['id']}/content")
    assert content.status_code == 200
    assert hashlib.sha256(content.content).hexdigest() == digest
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["etag"] == f'"{digest}"'
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-disposition"] == (
        "attachment; filename=\"Recu mars.pdf\"; filename*=UTF-8''Re%C3%A7u%20mars.pdf"
    )
    head = api.head(f"{base}/{body['id']}/content")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == content.headers["etag"]
    assert head.headers["content-length"] == str(len(data))
    cached = api.get(f"{base}/{body['id']}/content", headers={"If-None-Match": f'"{digest}"'})
    assert cached.status_code == 304 and cached.content == b""

    assert api.get(f"{base}/{body['id']}").json() == body
    assert api.get(base).json() == {"data": [body]}
    (kept,) = files.files_under(store)
    assert kept.read_bytes() == data and str(books.company_id) == kept.parent.name
    with sessions() as s:
        audit = s.scalar(select(Activity).where(Activity.event == "ledger:attachment:added"))
        assert audit is not None and audit.subject_type == "expense"
        assert audit.subject_id == expense and audit.actor_label == "Receipt Bot"
        assert audit.details["sha256"] == digest and "content" not in audit.details
    changes = api.get("/changes", params={"types": "expense"}).json()["data"]
    assert [c["event"] for c in changes] == ["expense.drafted", "expense.attachment_added"]
    assert changes[-1]["id"] == expense


@pytest.mark.parametrize(
    ("name", "data"),
    [("receipt.pdf", files.HTML), ("receipt.pdf", files.EXE), ("invoice.png", files.ZIP)],
)
def test_a_file_whose_bytes_are_not_allowed_is_415_naming_the_allowed_types(
    api: Api,
    books: Books,
    sessions: sessionmaker[Session],
    store: Path,
    name: str,
    data: bytes,
) -> None:
    refused = upload(api, f"/invoices/{books.invoice_ids[0]}/attachments", name, data)
    body = problem(refused, 415, "unsupported_file_type")
    assert "PDF, PNG, JPEG, GIF, WebP or HEIC" in body["detail"]
    nothing_stored(sessions, store)


def test_a_body_that_is_not_multipart_is_415(api: Api, books: Books) -> None:
    path = f"/invoices/{books.invoice_ids[0]}/attachments"
    problem(api.post(path, json={"file": "x"}), 415, "unsupported_media_type")
    problem(
        api.post(path, content=files.pdf(), headers={"Content-Type": "application/pdf"}),
        415,
        "unsupported_media_type",
    )
    missing = api.post(path, files={"receipt": ("r.pdf", files.pdf(), "application/pdf")})
    assert problem(missing, 422, "invalid_upload")["errors"] == {
        "file": "Send the file in a multipart part named `file`."
    }


def test_an_oversize_file_is_413_and_nothing_is_stored(
    api: Api, books: Books, sessions: sessionmaker[Session], store: Path
) -> None:
    path = f"/invoices/{books.invoice_ids[0]}/attachments"
    # Declared far past the limit: refused before the body is read.
    problem(upload(api, path, "big.png", files.big_png(LIMIT * 3)), 413, "file_too_large")
    nothing_stored(sessions, store)
    # Just past it: counted while it streams in.
    problem(upload(api, path, "big.png", files.big_png(LIMIT + 1)), 413, "file_too_large")
    nothing_stored(sessions, store)
    # Without a length (chunked): counted too.
    request = api.build_request("POST", path, files={"file": ("big.png", files.big_png(LIMIT * 3))})
    body = request.read()

    def chunked() -> Iterator[bytes]:
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    streamed = api.post(
        path, content=chunked(), headers={"Content-Type": request.headers["content-type"]}
    )
    problem(streamed, 413, "file_too_large")
    nothing_stored(sessions, store)
    # At the limit it is taken.
    image = files.big_png(LIMIT - 200)
    assert len(image) <= LIMIT
    assert upload(api, path, "fits.png", image).status_code == 201


def test_another_companys_document_or_file_is_404(
    url: str, api: Api, books: Books, sessions: sessionmaker[Session], store: Path
) -> None:
    other = make_books(sessions, invoices=1)
    theirs = f"/invoices/{other.invoice_ids[0]}/attachments"
    problem(upload(api, theirs, "r.pdf", files.pdf()), 404, "unknown_invoice")
    problem(api.get(theirs), 404, "unknown_invoice")
    nothing_stored(sessions, store)
    mine = upload(api, f"/invoices/{books.invoice_ids[0]}/attachments", "r.pdf", files.pdf())
    attachment = mine.json()["id"]
    # The file is not reachable through another invoice, of this company or the other.
    for path in (
        f"/invoices/{books.invoice_ids[1]}/attachments/{attachment}",
        f"/invoices/{books.invoice_ids[1]}/attachments/{attachment}/content",
        f"/expenses/{books.invoice_ids[0]}/attachments/{attachment}",
    ):
        assert api.get(path).status_code == 404, path
    stranger, _ = api_for(url, sessions, other, name="Stranger")
    own = f"/invoices/{books.invoice_ids[0]}/attachments/{attachment}"
    problem(stranger.get(f"{own}/content"), 404, "unknown_invoice")
    problem(stranger.delete(own, headers={"If-Match": "*"}), 404, "unknown_invoice")


def test_a_token_without_the_documents_permission_is_403(
    url: str, books: Books, sessions: sessionmaker[Session], store: Path
) -> None:
    path = f"/invoices/{books.invoice_ids[0]}/attachments"
    reader, _ = api_for(url, sessions, books, "invoices:read", name="Reader")
    body = problem(upload(reader, path, "r.pdf", files.pdf()), 403, "permission_denied")
    assert body["required"] == ["invoices:draft"]
    nothing_stored(sessions, store)
    drafter, _ = api_for(url, sessions, books, "invoices:draft", name="Drafter")
    created = upload(drafter, path, "r.pdf", files.pdf())
    assert created.status_code == 201
    problem(drafter.get(path), 403, "permission_denied")
    problem(drafter.get(f"{path}/{created.json()['id']}/content"), 403, "permission_denied")
    expenses_only, _ = api_for(url, sessions, books, "expenses:read", "expenses:draft")
    problem(upload(expenses_only, path, "r.pdf", files.pdf()), 403, "permission_denied")
    problem(reader.delete(f"{path}/{created.json()['id']}", headers={"If-Match": "*"}), 403,
            "permission_denied")  # fmt: skip


def test_delete_needs_if_match_and_removes_the_row_and_then_the_file(
    api: Api, books: Books, sessions: sessionmaker[Session], store: Path
) -> None:
    base = f"/invoices/{books.invoice_ids[0]}/attachments"
    created = upload(api, base, "r.pdf", files.pdf())
    one = f"{base}/{created.json()['id']}"
    assert len(files.files_under(store)) == 1
    problem(api.delete(one), 428, "precondition_required")
    stale = api.delete(one, headers={"If-Match": '"0000"'})
    problem(stale, 412, "precondition_failed")
    assert stale.headers["etag"] == created.headers["etag"]
    gone = api.delete(one, headers={"If-Match": created.headers["etag"]})
    assert gone.status_code == 204, gone.text
    nothing_stored(sessions, store)
    problem(api.get(one), 404, "unknown_attachment")
    problem(api.delete(one, headers={"If-Match": "*"}), 404, "unknown_attachment")
    events = [c["event"] for c in api.get("/changes", params={"types": "invoice"}).json()["data"]]
    assert events[-2:] == ["invoice.attachment_added", "invoice.attachment_deleted"]
    with sessions() as s:
        audit = s.scalar(select(Activity).where(Activity.event == "ledger:attachment:deleted"))
        assert audit is not None and audit.details["filename"] == "r.pdf"


def test_attachments_stay_with_a_draft_through_approval(
    api: Api, books: Books, sessions: sessionmaker[Session]
) -> None:
    invoice = books.invoice_ids[0]
    base = f"/invoices/{invoice}/attachments"
    data = files.pdf("signed copy")
    first = upload(api, base, "signed.pdf", data).json()
    with sessions.begin() as s:
        approve_invoice(s, user_actor(s, books.owner, books.company_id), invoice)
    assert api.get(f"/invoices/{invoice}").json()["status"] == "approved"
    assert api.get(base).json()["data"] == [first]
    content = api.get(f"{base}/{first['id']}/content").content
    assert hashlib.sha256(content).hexdigest() == first["sha256"]
    # A file that arrives later may still be added; the app may not take one away now.
    assert upload(api, base, "late.png", files.png()).status_code == 201
    refused = api.delete(f"{base}/{first['id']}", headers={"If-Match": "*"})
    problem(refused, 403, "external_cannot_remove_evidence")
    assert len(api.get(base).json()["data"]) == 2


def test_uploads_are_idempotent_and_a_document_holds_at_most_three_files(
    api: Api, books: Books, sessions: sessionmaker[Session], store: Path
) -> None:
    base = f"/invoices/{books.invoice_ids[0]}/attachments"
    data = files.png(seed=1)
    first = upload(api, base, "a.png", data, headers={"Idempotency-Key": "receipt-1"})
    again = upload(api, base, "a.png", data, headers={"Idempotency-Key": "receipt-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    reused = upload(api, base, "a.png", files.png(seed=2), headers={"Idempotency-Key": "receipt-1"})
    problem(reused, 422, "idempotency_key_reused")
    for n in (3, 4):
        assert upload(api, base, f"{n}.png", files.png(seed=n)).status_code == 201
    full = upload(api, base, "5.png", files.png(seed=5))
    problem(full, 409, "too_many_attachments")
    assert len(files.files_under(store)) == 3
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 3
