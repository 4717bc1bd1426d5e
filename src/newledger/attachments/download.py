"""An attachment's bytes as an HTTP response, the same from the REST API and the web pages.

The file is always offered as a download (``Content-Disposition: attachment`` with the cleaned
name, RFC 6266), under the type its bytes showed and ``X-Content-Type-Options: nosniff``, and
with a sandboxing ``Content-Security-Policy``: even a file crafted to look like a page cannot
run as one in the app's origin. The ``ETag`` is the file's SHA-256 (the bytes never change), so
``If-None-Match`` with it answers 304.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from newledger.appconnect.api.deps import etag_matches
from newledger.attachments import storage
from newledger.attachments.models import Attachment
from newledger.attachments.names import content_disposition
from newledger.errors import NotFound

__all__ = ["DOWNLOAD_CSP", "attachment_etag", "file_response"]

log = logging.getLogger(__name__)

DOWNLOAD_CSP = "default-src 'none'; sandbox"


def attachment_etag(row: Attachment) -> str:
    return f'"{row.sha256}"'


def file_response(
    request: Request, row: Attachment, headers: dict[str, str] | None = None
) -> Response:
    """The file of ``row`` (304 when ``If-None-Match`` names its ETag)."""
    tag = attachment_etag(row)
    common = {**(headers or {}), "ETag": tag, "X-Content-Type-Options": "nosniff"}
    wanted = request.headers.get("if-none-match")
    if wanted is not None and etag_matches(wanted, tag):
        return Response(status_code=304, headers=common)
    path = storage.file_path(row.company_id, row.storage_key)
    if not path.is_file():
        log.error("attachment %s: its file %s is missing", row.id, path)
        raise NotFound(
            f"The file of attachment {row.id} is missing from storage",
            code="attachment_file_missing",
        )
    return FileResponse(
        path,
        media_type=row.content_type,
        headers={
            **common,
            "Content-Disposition": content_disposition(row.filename),
            "Content-Security-Policy": DOWNLOAD_CSP,
        },
    )
