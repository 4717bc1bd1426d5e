"""Attachments on invoices and expenses (bills included): the rules every adapter shares.

- Reading a document's files needs the document's read permission (``invoices:read`` /
  ``expenses:read``); adding and removing them its draft permission (``invoices:draft`` /
  ``expenses:draft``), so a receipts app that drafts expenses can attach their receipts.
- Files may be added whatever the document's status: a receipt often arrives after the expense
  was approved (Xero and QuickBooks allow it too), and a file changes no amount or posting.
- Removing a file from a document that is no longer a draft is for people only: once approved,
  the files are the books' evidence, and no app or connection may take it away.
- Another company's document, or a file of another document, is "not found".
- The type is sniffed from the bytes (``kinds``); the size and the number of files per document
  are limited (``Settings.attachment_max_bytes`` / ``attachment_max_per_document``).
- Each addition and removal writes its activity row (no file contents, only the name, type,
  size and digest) and a change event on the document (``invoice.attachment_added`` …) in the
  same transaction; files follow their rows (``storage``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.attachments import storage
from newledger.attachments.kinds import allowed_names, sniff
from newledger.attachments.models import Attachment
from newledger.attachments.names import clean_filename
from newledger.attachments.storage import StagedFile
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.config import get_settings
from newledger.errors import Conflict, NotFound, PermissionDenied, UnsupportedType
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.permissions import Permission
from newledger.ledger._common import company_for, company_row, source_fields
from newledger.ledger.models import Expense, Invoice

__all__ = [
    "EXPENSE",
    "INVOICE",
    "DocumentKind",
    "add_attachment",
    "attachment_dict",
    "attachments_by_document",
    "check_upload",
    "delete_attachment",
    "get_attachment",
    "list_attachments",
    "remove_document_attachments",
]


@dataclass(frozen=True)
class DocumentKind:
    """What differs between attaching to an invoice and to an expense."""

    name: str  # invoice | expense: the activity subject and the change event's resource
    model: type[Invoice] | type[Expense]
    read: Permission
    draft: Permission
    added: EventType
    deleted: EventType

    def column(self) -> Any:
        return Attachment.invoice_id if self.model is Invoice else Attachment.expense_id


INVOICE = DocumentKind(
    "invoice",
    Invoice,
    Permission.INVOICES_READ,
    Permission.INVOICES_DRAFT,
    EventType.INVOICE_ATTACHMENT_ADDED,
    EventType.INVOICE_ATTACHMENT_DELETED,
)
EXPENSE = DocumentKind(
    "expense",
    Expense,
    Permission.EXPENSES_READ,
    Permission.EXPENSES_DRAFT,
    EventType.EXPENSE_ATTACHMENT_ADDED,
    EventType.EXPENSE_ATTACHMENT_DELETED,
)


def _document(
    session: Session, actor: Actor, kind: DocumentKind, document_id: int, *, lock: bool = False
) -> Invoice | Expense:
    company = company_for(session, actor)
    return company_row(session, kind.model, company.id, document_id, lock=lock)


def _rows(kind: DocumentKind, document: Invoice | Expense) -> Any:
    return select(Attachment).where(
        Attachment.company_id == document.company_id, kind.column() == document.id
    )


def list_attachments(
    session: Session, actor: Actor, kind: DocumentKind, document_id: int
) -> list[Attachment]:
    """The document's files, oldest first. Needs the document's read permission."""
    actor.require(kind.read)
    document = _document(session, actor, kind, document_id)
    return list(session.scalars(_rows(kind, document).order_by(Attachment.id)))


def get_attachment(
    session: Session, actor: Actor, kind: DocumentKind, document_id: int, attachment_id: int
) -> Attachment:
    """One file of the document. Needs the document's read permission."""
    actor.require(kind.read)
    document = _document(session, actor, kind, document_id)
    return _one(session, kind, document, attachment_id)


def _one(
    session: Session, kind: DocumentKind, document: Invoice | Expense, attachment_id: int
) -> Attachment:
    row: Attachment | None = session.scalar(
        _rows(kind, document).where(Attachment.id == attachment_id)
    )
    if row is None:
        raise NotFound(
            f"Unknown attachment {attachment_id} on {kind.name} {document.id}",
            code="unknown_attachment",
        )
    return row


def _check_room(session: Session, kind: DocumentKind, document: Invoice | Expense) -> None:
    limit = get_settings().attachment_max_per_document
    count = session.scalar(select(func.count()).select_from(_rows(kind, document).subquery()))
    if (count or 0) >= limit:
        raise Conflict(
            f"This {kind.name} already has {limit} attachments, the most it may have; "
            "remove one first",
            code="too_many_attachments",
        )


def check_upload(session: Session, actor: Actor, kind: DocumentKind, document_id: int) -> None:
    """Everything that can be judged before the file is received: the permission, the document
    and room for one more file (``add_attachment`` checks again when the file is there)."""
    actor.require(kind.draft)
    _check_room(session, kind, _document(session, actor, kind, document_id))


def add_attachment(
    session: Session,
    actor: Actor,
    kind: DocumentKind,
    document_id: int,
    staged: StagedFile,
    filename: str,
) -> Attachment:
    """Keep ``staged`` (an upload, already within the size limit) with the document. Refused
    with 415 unless its bytes are one of the allowed types, and with 409 once the document
    holds the most files it may. Needs the document's draft permission."""
    actor.require(kind.draft)
    # Locked, so two uploads at once cannot both take the last free place.
    document = _document(session, actor, kind, document_id, lock=True)
    file_kind = sniff(staged.head)
    if file_kind is None:
        raise UnsupportedType(
            f"The file is not an allowed type: send a {allowed_names()} file.",
            code="unsupported_file_type",
        )
    _check_room(session, kind, document)
    source = source_fields(actor)
    row = Attachment(
        company_id=document.company_id,
        filename=clean_filename(filename, file_kind),
        content_type=file_kind.mime,
        size=staged.size,
        sha256=staged.sha256,
        storage_key=storage.place(session, staged, document.company_id),
        created_by_user_id=actor.user_id,
        source=source["source"],
        source_label=source["source_label"],
    )
    if kind is INVOICE:
        row.invoice_id = document.id
    else:
        row.expense_id = document.id
    session.add(row)
    session.flush()
    record(
        session,
        Event.ATTACHMENT_ADDED,
        actor,
        subject_type=kind.name,
        subject_id=document.id,
        details=_details(row),
    )
    emit(session, document.company_id, kind.added, document.id)
    return row


def delete_attachment(
    session: Session,
    actor: Actor,
    kind: DocumentKind,
    document_id: int,
    attachment_id: int,
    *,
    precondition: Callable[[Attachment], None] | None = None,
) -> None:
    """Remove a file: its row now, the file once that commits. Needs the document's draft
    permission; once the document is no longer a draft, only a person may. ``precondition``
    (REST: the ``If-Match`` check) sees the row under the document's lock and may refuse."""
    actor.require(kind.draft)
    document = _document(session, actor, kind, document_id, lock=True)
    row = _one(session, kind, document, attachment_id)
    if precondition is not None:
        precondition(row)
    if document.status != "draft" and actor.is_external:
        raise PermissionDenied(
            f"The {kind.name} is {document.status}: only a person can remove its files in "
            "NewLedger",
            required=(kind.draft,),
            code="external_cannot_remove_evidence",
        )
    record(
        session,
        Event.ATTACHMENT_DELETED,
        actor,
        subject_type=kind.name,
        subject_id=document.id,
        details=_details(row),
    )
    session.delete(row)
    session.flush()
    storage.doom(session, row.company_id, row.storage_key)
    emit(session, document.company_id, kind.deleted, document.id)


def remove_document_attachments(
    session: Session, kind: DocumentKind, company_id: int, document_id: int
) -> int:
    """Drop every file of a draft that is being deleted (the caller checked the rights and
    records the deletion); returns how many there were."""
    column = kind.column()
    keys = list(
        session.scalars(
            select(Attachment.storage_key).where(
                Attachment.company_id == company_id, column == document_id
            )
        )
    )
    if keys:
        session.execute(
            delete(Attachment).where(Attachment.company_id == company_id, column == document_id)
        )
        for key in keys:
            storage.doom(session, company_id, key)
    return len(keys)


def attachments_by_document(
    session: Session, company_id: int, invoice_ids: Iterable[int], expense_ids: Iterable[int]
) -> dict[tuple[str, int], list[Attachment]]:
    """The files of many documents at once (the review queue), keyed ``("invoice", id)`` or
    ``("expense", id)``, in one query. The caller has checked the read permissions."""
    invoices, expenses = list(invoice_ids), list(expense_ids)
    if not invoices and not expenses:
        return {}
    rows = session.scalars(
        select(Attachment)
        .where(
            Attachment.company_id == company_id,
            Attachment.invoice_id.in_(invoices) | Attachment.expense_id.in_(expenses),
        )
        .order_by(Attachment.id)
    )
    out: dict[tuple[str, int], list[Attachment]] = {}
    for row in rows:
        out.setdefault((row.document_type, row.document_id), []).append(row)
    return out


def _details(row: Attachment) -> dict[str, Any]:
    return {
        "attachment_id": row.id,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
    }


def attachment_dict(row: Attachment) -> dict[str, Any]:
    """An attachment as JSON-ready data (the REST representation)."""
    return {
        "id": row.id,
        "document_type": row.document_type,
        "document_id": row.document_id,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "source": row.source,
        "source_label": row.source_label,
        "created_at": row.created_at.isoformat(),
    }
