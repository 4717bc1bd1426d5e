"""Attachments on the invoice and expense pages and in the review queue, through the real forms
over HTTP: upload, see it listed, download the same bytes, remove it; a refused file is a
message on the page; a viewer can read but not change."""

from __future__ import annotations

import hashlib
import html
import re

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.attachments.models import Attachment
from tests.conftest import LiveServer
from tests.support import files
from tests.support.ledger_pages import make_page_books
from tests.support.workspace import client, csrf, sign_in


def _upload(c: httpx.Client, page_path: str, name: str, data: bytes) -> httpx.Response:
    page = c.get(page_path)
    assert page.status_code == 200, page.text
    return c.post(
        f"{page_path}/attachments",
        data={"csrf_token": csrf(page.text)},
        files={"file": (name, data, "application/octet-stream")},
    )


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Attachment)) or 0)


def test_a_receipt_uploaded_on_the_expense_page_is_listed_and_downloads_the_same_bytes(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    path = f"/expenses/{books.expense_id}"
    data = files.pdf("Printer paper 42.50")
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        assert 'id="attachments-empty"' in c.get(path).text
        sent = _upload(c, path, "paper receipt.pdf", data)
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"{path}#attachments"
        page = c.get(path).text
        links = re.findall(rf'href="({path}/attachments/\d+)" class="attachment-link"', page)
        assert len(links) == 1
        assert "paper receipt.pdf" in page and ">PDF<" in page
        assert f"{len(data)} bytes" in page or "KB" in page
        download = c.get(links[0])
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(data).hexdigest()
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"].startswith(
            'attachment; filename="paper receipt.pdf"'
        )
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
        # The reviewer sees it on the draft's card.
        queue = c.get("/review").text
        card = queue[queue.index(f'id="expense-{books.expense_id}"') :]
        assert "1 file attached" in card and links[0] in card
        # And it can be removed from the page.
        attachment_id = links[0].rsplit("/", 1)[1]
        page = c.get(path).text
        removed = c.post(f"{links[0]}/delete", data={"csrf_token": csrf(page)})
        assert removed.status_code == 303
        assert f'id="attachment-{attachment_id}"' not in c.get(path).text
        assert c.get(links[0]).status_code == 404
    assert _count(sessions) == 0


def test_a_file_of_the_wrong_type_is_a_message_on_the_page_and_nothing_is_kept(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    path = f"/invoices/{books.app_invoice_id}"
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        refused = _upload(c, path, "invoice.pdf", files.HTML)
    assert refused.status_code == 415
    message = html.unescape(refused.text)
    assert 'id="attachment-error"' in refused.text
    assert "send a PDF, PNG, JPEG, GIF, WebP or HEIC file" in message
    assert _count(sessions) == 0


def test_a_viewer_can_download_but_not_upload_or_remove(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    path = f"/invoices/{books.ui_invoice_id}"
    with client(live_server.url) as owner:
        sign_in(owner, books.owner)
        assert _upload(owner, path, "scan.png", files.png()).status_code == 303
    with client(live_server.url) as c:
        sign_in(c, books.viewer)
        page = c.get(path).text
        (link,) = re.findall(rf'href="({path}/attachments/\d+)"', page)
        assert c.get(link).status_code == 200
        assert 'name="file"' not in page and "Remove" not in page
        refused = c.post(
            f"{path}/attachments",
            data={"csrf_token": csrf(page)},
            files={"file": ("x.png", files.png(), "image/png")},
        )
        assert refused.status_code == 403
        assert c.post(f"{link}/delete", data={"csrf_token": csrf(page)}).status_code == 403
    assert _count(sessions) == 1
