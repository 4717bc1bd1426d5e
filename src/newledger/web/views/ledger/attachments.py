"""Files on the invoice and expense pages: upload, download and remove.

The same services as REST API v1 (``attachments.services``) decide everything; these views read
the upload as a stream (``attachments.upload``), show a refused file as a message on the
document's page with the matching status (413, 415, 409, 422), and redirect after a change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from newledger.attachments.download import file_response
from newledger.attachments.services import (
    EXPENSE,
    INVOICE,
    DocumentKind,
    add_attachment,
    check_upload,
    delete_attachment,
    get_attachment,
)
from newledger.attachments.upload import read_upload
from newledger.config import get_settings
from newledger.errors import Conflict, TooLarge, UnsupportedType, ValidationFailed
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.views.ledger.documents import expense_page, invoice_page

__all__ = ["router"]

router = web_router()


@dataclass(frozen=True)
class _Kind:
    kind: DocumentKind
    path: str  # invoices | expenses
    page: Callable[..., Response]  # the document's page, e.g. with an upload's error


def _add_routes(k: _Kind) -> None:
    read = require_permission(k.kind.read)
    draft = require_permission(k.kind.draft, k.kind.read)
    base = f"/{k.path}/{{document_id}}/attachments"

    def back(document_id: int) -> Response:
        return RedirectResponse(f"/{k.path}/{document_id}#attachments", status_code=303)

    @router.post(base, name=f"upload_{k.kind.name}_attachment")
    async def upload(
        request: Request, document_id: int, ctx: WebContext = Depends(draft)
    ) -> Response:
        check_upload(ctx.db, ctx.actor, k.kind, document_id)
        ctx.db.rollback()  # end the read while the file arrives
        try:
            received = await read_upload(
                request.stream(),
                request.headers.get("content-type"),
                get_settings().attachment_max_bytes,
            )
        except (TooLarge, UnsupportedType, ValidationFailed) as exc:
            return await run_in_threadpool(_refused, k, request, ctx, document_id, exc)
        try:
            add_attachment(
                ctx.db, ctx.actor, k.kind, document_id, received.staged, received.filename
            )
            ctx.db.commit()
        except (TooLarge, UnsupportedType, ValidationFailed, Conflict) as exc:
            ctx.db.rollback()
            return await run_in_threadpool(_refused, k, request, ctx, document_id, exc)
        finally:
            received.staged.discard()
        return back(document_id)

    @router.get(f"{base}/{{attachment_id}}", name=f"download_{k.kind.name}_attachment")
    def download(
        request: Request, document_id: int, attachment_id: int, ctx: WebContext = Depends(read)
    ) -> Response:
        row = get_attachment(ctx.db, ctx.actor, k.kind, document_id, attachment_id)
        return file_response(request, row, {"Cache-Control": "no-store"})

    @router.post(f"{base}/{{attachment_id}}/delete", name=f"delete_{k.kind.name}_attachment")
    def delete(document_id: int, attachment_id: int, ctx: WebContext = Depends(draft)) -> Response:
        delete_attachment(ctx.db, ctx.actor, k.kind, document_id, attachment_id)
        ctx.db.commit()
        return back(document_id)


def _refused(
    k: _Kind, request: Request, ctx: WebContext, document_id: int, exc: Exception
) -> Response:
    status = getattr(exc, "status", 422)
    message = getattr(exc, "message", str(exc))
    return k.page(request, ctx, document_id, status=status, attachment_error=message)


_add_routes(_Kind(INVOICE, "invoices", invoice_page))
_add_routes(_Kind(EXPENSE, "expenses", expense_page))
