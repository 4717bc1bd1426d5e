"""``/invoices/{id}/attachments`` and ``/expenses/{id}/attachments``: files (receipts) kept with
a document.

Files live under their document, so each operation states one permission: reading needs the
document's read permission, uploading and deleting its draft permission (the rules, including
who may remove a file from an approved document, are in ``attachments.services``).

- Upload: ``multipart/form-data`` with the file in the part ``file``. The body is streamed to a
  temporary file and refused past ``NEWLEDGER_ATTACHMENT_MAX_BYTES`` (413); its type is sniffed
  from the bytes (415 unless PDF, PNG, JPEG, GIF, WebP or HEIC). ``Idempotency-Key`` works as
  for every create, keyed on the file's digest and name.
- Download: ``…/content`` answers the bytes with their type, ``Content-Disposition``, and the
  SHA-256 as ``ETag``.
- Delete: ``If-Match`` with the attachment's ``ETag`` (or ``*``), as for every delete.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, etag_matches, requires
from newledger.appconnect.api.etag import IfMatchHeader
from newledger.appconnect.api.idempotency import Created, IdempotencyKeyHeader, run_create
from newledger.appconnect.api.problems import ApiProblem
from newledger.appconnect.api.schemas import MAX_ID, IdPath
from newledger.attachments.download import attachment_etag, file_response
from newledger.attachments.kinds import ALLOWED, allowed_names
from newledger.attachments.models import Attachment
from newledger.attachments.services import (
    EXPENSE,
    INVOICE,
    DocumentKind,
    add_attachment,
    attachment_dict,
    check_upload,
    delete_attachment,
    get_attachment,
    list_attachments,
)
from newledger.attachments.upload import FILE_FIELD, read_upload
from newledger.config import get_settings

__all__ = ["UPLOAD_BODY", "router"]

router = APIRouter(tags=["Attachments"])


class AttachmentOut(BaseModel):
    id: int
    document_type: Literal["invoice", "expense"]
    document_id: int
    filename: str = Field(description="Cleaned: no folders or control characters, and an "
                          "extension that matches `content_type`.")  # fmt: skip
    content_type: str = Field(
        description="Told from the file's bytes, never from its name or the upload's headers.",
        json_schema_extra={"enum": list(ALLOWED)},
    )
    size: int = Field(description="In bytes.")
    sha256: str = Field(description="The SHA-256 of the bytes, hex; also the `ETag`.")
    source: str = Field(description="Who uploaded it: `ui` (a person), `api`, `mcp`, …")
    source_label: str
    created_at: dt.datetime


class AttachmentList(BaseModel):
    """Every file of the document, oldest first (a document holds a bounded number)."""

    data: list[AttachmentOut]


# The smallest PDF a reader takes, as the upload's example (all ASCII, so JSON can carry it).
EXAMPLE_PDF = "%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# The request body, declared by hand: the handler streams it rather than have FastAPI read it.
UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "title": "AttachmentUpload",
                "required": [FILE_FIELD],
                "properties": {
                    FILE_FIELD: {
                        "type": "string",
                        "format": "binary",
                        "description": f"A {allowed_names()} file; its type is read from its "
                        "bytes. The part's `filename` becomes the attachment's name.",
                        "examples": [EXAMPLE_PDF],
                    }
                },
            },
            "encoding": {FILE_FIELD: {"contentType": ", ".join(ALLOWED)}},
        }
    },
}
# The download's answer: one of the allowed types (``application/octet-stream`` is listed for
# generic clients, which read any of them as bytes).
_CONTENT = {"schema": {"type": "string", "format": "binary"}}
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's bytes, as a download named after the attachment.",
        "content": {"application/octet-stream": _CONTENT} | {t: _CONTENT for t in ALLOWED},
        "headers": {
            "Content-Disposition": {
                "description": "`attachment` with `filename` and `filename*` (RFC 6266).",
                "required": True,
                "schema": {"type": "string"},
            },
            "X-Content-Type-Options": {"schema": {"type": "string", "enum": ["nosniff"]}},
        },
    }
}


def _add_routes(kind: DocumentKind, collection: str, noun: str) -> None:
    """The five operations on one kind of document's files."""
    param = f"{kind.name}_id"
    base = f"/{collection}/{{{param}}}/attachments"
    item = f"{base}/{{attachment_id}}"
    # The document's id under its own name in the path (``invoice_id``), as everywhere else.
    document_path = Path(alias=param, ge=1, le=MAX_ID)

    def location(document_id: int, attachment_id: int) -> str:
        return f"/api/v1/{collection}/{document_id}/attachments/{attachment_id}"

    @router.post(
        base,
        operation_id=f"upload{noun}Attachment",
        status_code=201,
        response_model=AttachmentOut,
        summary=f"Attach a file to an {kind.name}",
        openapi_extra={"requestBody": UPLOAD_BODY},
    )
    async def upload(
        document_id: int = document_path,
        idempotency_key: IdempotencyKeyHeader = None,
        ctx: ApiContext = requires(kind.draft),
    ) -> Response:
        """Send the file as `multipart/form-data` in the part `file`. Allowed whatever the
        document's status: a receipt may come after approval."""
        # Refuse what can be refused before receiving the file, then end that read.
        check_upload(ctx.session, ctx.actor, kind, document_id)
        ctx.session.commit()
        request = ctx.request
        upload = await read_upload(
            request.stream(),
            request.headers.get("content-type"),
            get_settings().attachment_max_bytes,
        )
        try:

            def create() -> Created:
                row = add_attachment(
                    ctx.session, ctx.actor, kind, document_id, upload.staged, upload.filename
                )
                headers = {"Location": location(document_id, row.id), "ETag": attachment_etag(row)}
                return 201, attachment_dict(row), headers

            fingerprint = f"{upload.staged.sha256}\n{upload.filename}".encode()
            return await run_create(ctx, idempotency_key, create, payload=fingerprint)
        finally:
            upload.staged.discard()

    @router.get(
        base,
        operation_id=f"list{noun}Attachments",
        response_model=AttachmentList,
        summary=f"The files of an {kind.name}",
    )
    async def list_files(
        document_id: int = document_path, ctx: ApiContext = requires(kind.read)
    ) -> Response:
        rows = list_attachments(ctx.session, ctx.actor, kind, document_id)
        return ctx.respond({"data": [attachment_dict(r) for r in rows]})

    @router.get(
        item,
        operation_id=f"get{noun}Attachment",
        response_model=AttachmentOut,
        summary=f"One file of an {kind.name} (its details)",
    )
    async def get_one(
        attachment_id: IdPath,
        document_id: int = document_path,
        ctx: ApiContext = requires(kind.read),
    ) -> Response:
        """The `ETag` is the file's SHA-256, as on its content."""
        row = get_attachment(ctx.session, ctx.actor, kind, document_id, attachment_id)
        return ctx.respond(attachment_dict(row), headers={"ETag": attachment_etag(row)})

    @router.get(
        f"{item}/content",
        operation_id=f"download{noun}Attachment",
        response_class=Response,
        responses=DOWNLOAD_RESPONSES,
        summary=f"Download a file of an {kind.name}",
    )
    async def download(
        attachment_id: IdPath,
        document_id: int = document_path,
        ctx: ApiContext = requires(kind.read),
    ) -> Response:
        """The bytes, with their type as `Content-Type`, `Content-Disposition: attachment`
        and the SHA-256 as `ETag`."""
        row = get_attachment(ctx.session, ctx.actor, kind, document_id, attachment_id)
        return file_response(ctx.request, row, ctx.headers)

    @router.delete(
        item,
        operation_id=f"delete{noun}Attachment",
        status_code=204,
        summary=f"Remove a file from an {kind.name}",
    )
    async def delete(
        attachment_id: IdPath,
        document_id: int = document_path,
        if_match: IfMatchHeader = None,
        ctx: ApiContext = requires(kind.draft),
    ) -> Response:
        """With `If-Match`: the attachment's `ETag` (or `*`). Once the document is approved,
        only a person can remove its files, in NewLedger."""
        if if_match is None:
            raise ApiProblem(
                428,
                "precondition_required",
                "Send If-Match with the attachment's ETag (or *).",
                errors={"If-Match": "required"},
            )
        sent = if_match

        def unchanged(row: Attachment) -> None:
            if not etag_matches(sent, attachment_etag(row)):
                raise ApiProblem(
                    412,
                    "precondition_failed",
                    "If-Match does not name this attachment's ETag.",
                    headers={"ETag": attachment_etag(row)},
                )

        delete_attachment(
            ctx.session, ctx.actor, kind, document_id, attachment_id, precondition=unchanged
        )
        ctx.session.commit()
        return Response(status_code=204, headers=ctx.headers)


_add_routes(INVOICE, "invoices", "Invoice")
_add_routes(EXPENSE, "expenses", "Expense")
