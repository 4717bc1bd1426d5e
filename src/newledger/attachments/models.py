"""The ``attachments`` table: one row per file kept with an invoice or an expense (a receipt).

The bytes live on disk (``attachments.storage``) under a random key; the row names the file by
that key and keeps its SHA-256, so the row and the file can always be checked against each other.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from newledger.db import Base, UTCDateTime, utcnow

__all__ = ["Attachment"]


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (
        # Exactly one document owns each file.
        CheckConstraint("(invoice_id IS NULL) <> (expense_id IS NULL)", name="one_document"),
        CheckConstraint("size > 0", name="size_positive"),
        Index("ix_attachments_company_invoice", "company_id", "invoice_id"),
        Index("ix_attachments_company_expense", "company_id", "expense_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"))
    # The name shown and offered on download, sanitised; never part of the path on disk.
    filename: Mapped[str] = mapped_column(String(255))
    # Sniffed from the bytes (``attachments.kinds``), never the client's claim.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # The file's random name on disk, under the company's folder.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who uploaded it: ui | api | mcp | …, and the app's or person's label (like a draft's source).
    source: Mapped[str] = mapped_column(String(16), default="ui")
    source_label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def document_type(self) -> str:
        return "invoice" if self.invoice_id is not None else "expense"

    @property
    def document_id(self) -> int:
        document_id = self.invoice_id if self.invoice_id is not None else self.expense_id
        assert document_id is not None
        return document_id
