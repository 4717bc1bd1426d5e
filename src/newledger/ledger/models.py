"""Ledger tables. Every table carries ``company_id`` and every query filters by it.

Amounts are integer minor units of the row's currency. Journal line amounts are signed:
debit positive, credit negative, so a balanced entry sums to zero per currency.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, composite, declared_attr, mapped_column, relationship

from newledger.db import Base, UTCDateTime, utcnow
from newledger.ledger.addresses import ADDRESS_LIMITS, Address
from newledger.money import MAX_MINOR

__all__ = [
    "DAILY_BALANCE_MAX",
    "Account",
    "AccountBalance",
    "AccountDailyBalance",
    "BankAccount",
    "BankTransaction",
    "CategorizationDraft",
    "Contact",
    "CreditAllocation",
    "CreditNote",
    "CreditNoteLine",
    "Expense",
    "ExpenseLine",
    "Invoice",
    "InvoiceLine",
    "Item",
    "JournalEntry",
    "JournalLine",
    "Payment",
    "PaymentDraft",
    "TaxRate",
]

# A daily total is the sum of one account's bounded lines on one day; this cap (below 2**63)
# keeps it a 64-bit integer on both databases. SQLite turns an overflowing sum into REAL, which
# fails the check too, so a daily balance can never silently become non-integer.
DAILY_BALANCE_MAX = 9 * 10**18


def bounded(column: str) -> CheckConstraint:
    """``column`` stays within ±MAX_MINOR minor units, the bound every edge enforces."""
    return CheckConstraint(
        f"{column} > -{MAX_MINOR} AND {column} < {MAX_MINOR}", name=f"{column}_bounded"
    )


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    # asset | liability | equity | income | expense
    type: Mapped[str] = mapped_column(String(16))
    # bank | accounts_receivable | accounts_payable | current_asset | fixed_asset |
    # current_liability | tax | equity | retained_earnings | income | other_income |
    # cost_of_sales | expense | other_expense
    subtype: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(400), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class BankAccount(Base):
    __tablename__ = "bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str] = mapped_column(String(200), default="")
    last4: Mapped[str] = mapped_column(String(4), default="")
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship()


def _address(prefix: str) -> Any:
    """An ``Address`` kept in six columns ``{prefix}_line1`` … ``{prefix}_country``."""
    return composite(
        Address,
        *(
            mapped_column(f"{prefix}_{name}", String(limit), default="")
            for name, limit in ADDRESS_LIMITS.items()
        ),
    )


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_company_updated", "company_id", "updated_at"),
        # The CRM's (or any other system's) id: one contact per id in a company, so an
        # upsert by it finds or makes exactly one. NULLs (no external id) never collide.
        UniqueConstraint("company_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # customer | vendor | both
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    tax_id: Mapped[str] = mapped_column(String(64), default="")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    default_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(100))
    billing_address: Mapped[Address] = _address("billing")
    shipping_address: Mapped[Address] = _address("shipping")
    # The ETag: bumped by every change, and every UPDATE is a compare-and-set on it (as for
    # invoices), so an upsert or update racing another cannot silently overwrite it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class _DocumentSource:
    """Where a draft came from: the UI, an API credential app, an OAuth connection, the demo."""

    source: Mapped[str] = mapped_column(String(16), default="ui")  # ui | api | mcp | demo | import
    source_app_id: Mapped[int | None] = mapped_column(Integer)
    source_connection_id: Mapped[int | None] = mapped_column(Integer)
    source_label: Mapped[str] = mapped_column(String(200), default="")


class Invoice(_DocumentSource, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        Index("ix_invoices_company_status_due", "company_id", "status", "due_date"),
        Index("ix_invoices_company_updated", "company_id", "updated_at"),
        bounded("total"),
        bounded("amount_paid"),
        bounded("amount_credited"),
        bounded("subtotal"),
        bounded("tax_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    # draft | approved | partially_paid | paid | voided | rejected
    status: Mapped[str] = mapped_column(String(16), default="draft")
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    # What credit notes applied to it took off: due = total - amount_paid - amount_credited.
    amount_credited: Mapped[int] = mapped_column(BigInteger, default=0)
    # exclusive: line amounts are net and tax comes on top | inclusive: amounts include tax.
    tax_mode: Mapped[str] = mapped_column(String(16), default="exclusive")
    # subtotal (net) + tax_total = total, which stays what is owed.
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    memo: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rejected_reason: Mapped[str] = mapped_column(Text, default="")
    journal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    void_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    contact: Mapped[Contact] = relationship()

    # Every UPDATE and DELETE is a compare-and-set on the version the writer read (the code
    # bumps ``version`` itself), so a lost race fails instead of overwriting.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (bounded("unit_price"), bounded("amount"), bounded("tax_amount"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    # The line's tax (minor units, within ``amount`` when the document is tax-inclusive).
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Expense(_DocumentSource, Base):
    """An expense paid at once from a bank account, or a bill owed to a vendor (AP)."""

    __tablename__ = "expenses"
    __table_args__ = (
        Index("ix_expenses_company_status_due", "company_id", "status", "due_date"),
        Index("ix_expenses_company_updated", "company_id", "updated_at"),
        bounded("total"),
        bounded("amount_paid"),
        bounded("amount_credited"),
        bounded("subtotal"),
        bounded("tax_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # expense (paid from payment_account_id) | bill (owed, posts to AP)
    kind: Mapped[str] = mapped_column(String(16), default="expense")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    payment_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    currency: Mapped[str] = mapped_column(String(3))
    # draft | approved | partially_paid | paid | voided | rejected
    status: Mapped[str] = mapped_column(String(16), default="draft")
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    # What credit notes applied to it took off: due = total - amount_paid - amount_credited.
    amount_credited: Mapped[int] = mapped_column(BigInteger, default=0)
    # exclusive: line amounts are net and tax comes on top | inclusive: amounts include tax.
    tax_mode: Mapped[str] = mapped_column(String(16), default="exclusive")
    # subtotal (net) + tax_total = total, which stays what is owed.
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str] = mapped_column(String(500), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rejected_reason: Mapped[str] = mapped_column(Text, default="")
    journal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    void_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[ExpenseLine]] = relationship(
        back_populates="expense", cascade="all, delete-orphan", order_by="ExpenseLine.position"
    )
    contact: Mapped[Contact | None] = relationship()

    # Every UPDATE and DELETE is a compare-and-set on the version the writer read (the code
    # bumps ``version`` itself), so a lost race fails instead of overwriting.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ExpenseLine(Base):
    __tablename__ = "expense_lines"
    __table_args__ = (bounded("amount"), bounded("tax_amount"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    expense_id: Mapped[int] = mapped_column(
        ForeignKey("expenses.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(500), default="")
    amount: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    # The line's tax (minor units, within ``amount`` when the document is tax-inclusive).
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))

    expense: Mapped[Expense] = relationship(back_populates="lines")


class CreditNote(_DocumentSource, Base):
    """A credit note: what a company owes back to a customer (``kind`` sales, numbered
    ``CN-00001``, against receivables) or is owed back by a vendor (``kind`` purchase, a vendor
    credit numbered ``VC-00001``, against payables). draft → approved → applied (nothing left:
    all allocated to invoices or bills, or refunded); draft → rejected; approved → voided.

    Its lines are priced like invoice lines (quantity x unit price, tax per line). Approval
    posts the mirror of an invoice (sales) or a bill (purchase): income or expense and tax come
    back, and receivables or payables go down by the total."""

    __tablename__ = "credit_notes"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        Index("ix_credit_notes_company_kind_status", "company_id", "kind", "status"),
        Index("ix_credit_notes_company_updated", "company_id", "updated_at"),
        bounded("total"),
        bounded("amount_allocated"),
        bounded("amount_refunded"),
        bounded("subtotal"),
        bounded("tax_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # sales | purchase
    number: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    # draft | approved | applied | voided | rejected
    status: Mapped[str] = mapped_column(String(16), default="draft")
    tax_mode: Mapped[str] = mapped_column(String(16), default="exclusive")
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    # remaining = total - amount_allocated - amount_refunded
    amount_allocated: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    reference: Mapped[str] = mapped_column(String(100), default="")
    memo: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rejected_reason: Mapped[str] = mapped_column(Text, default="")
    journal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    void_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[CreditNoteLine]] = relationship(
        back_populates="credit_note",
        cascade="all, delete-orphan",
        order_by="CreditNoteLine.position",
    )
    allocations: Mapped[list[CreditAllocation]] = relationship(
        back_populates="credit_note",
        cascade="all, delete-orphan",
        order_by="CreditAllocation.id",
    )
    contact: Mapped[Contact] = relationship()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def remaining(self) -> int:
        return self.total - self.amount_allocated - self.amount_refunded


class CreditNoteLine(Base):
    __tablename__ = "credit_note_lines"
    __table_args__ = (bounded("unit_price"), bounded("amount"), bounded("tax_amount"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    credit_note_id: Mapped[int] = mapped_column(
        ForeignKey("credit_notes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")


class CreditAllocation(Base):
    """Part of a credit note set against one invoice (sales) or one bill (purchase).

    ``proposed`` allocations ride on a draft credit note and are applied when it is approved
    (checked again then); ``applied`` ones count in the credit note's ``amount_allocated`` and
    the document's ``amount_credited``. Allocating moves nothing in the ledger: the credit
    note's posting already took the receivable or payable down for the contact."""

    __tablename__ = "credit_allocations"
    __table_args__ = (bounded("amount"), CheckConstraint("amount > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    credit_note_id: Mapped[int] = mapped_column(
        ForeignKey("credit_notes.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="applied")  # proposed | applied
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    credit_note: Mapped[CreditNote] = relationship(back_populates="allocations")


class TaxRate(Base):
    """A sales tax or VAT rate: ``rate`` percent, charged on sales, paid on purchases or both,
    posted to ``account_id`` (a liability for tax collected, an asset for input tax)."""

    __tablename__ = "tax_rates"
    __table_args__ = (
        UniqueConstraint("company_id", "name"),
        Index("ix_tax_rates_company_updated", "company_id", "updated_at"),
        CheckConstraint("rate >= 0 AND rate < 100", name="rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    kind: Mapped[str] = mapped_column(String(16), default="sales")  # sales | purchase | both
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Item(Base):
    """A product or service whose defaults fill an invoice or bill line that names it."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("company_id", "code"),
        Index("ix_items_company_updated", "company_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    # A decimal price, applied in the document's currency (so no currency of its own).
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    income_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    expense_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Payment(Base):
    """Money received from a customer or paid to a vendor, applied to one invoice or bill; or a
    refund of what is left on one credit note (paid to the customer, or received from the
    vendor)."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_company_updated", "company_id", "updated_at"),
        bounded("amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # received | made
    direction: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"), index=True)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(100), default="")
    journal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class BankTransaction(Base):
    """An imported bank statement line. Amount is signed: money in positive, money out negative."""

    __tablename__ = "bank_transactions"
    __table_args__ = (
        Index("ix_bank_transactions_company_status", "company_id", "status"),
        Index("ix_bank_transactions_account_date", "bank_account_id", "date"),
        UniqueConstraint("bank_account_id", "external_id"),
        bounded("amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # uncategorized | categorized | matched
    status: Mapped[str] = mapped_column(String(16), default="uncategorized")
    category_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    journal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class _Reviewed(_DocumentSource):
    """A proposal waiting in the review queue: draft → approved | rejected. Only a person holding
    ``ledger:post`` decides it; approval is what writes to the ledger, through the service that
    does the same for a person's own input."""

    # draft | approved | rejected
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rejected_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PaymentDraft(_Reviewed, Base):
    """A proposed payment against one invoice (received) or one bill (made). Approval records
    it through ``ledger.payments.record_payment`` and links the ``Payment`` it made."""

    __tablename__ = "payment_drafts"
    __table_args__ = (
        Index("ix_payment_drafts_company_status", "company_id", "status"),
        Index("ix_payment_drafts_company_updated", "company_id", "updated_at"),
        bounded("amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # received | made
    direction: Mapped[str] = mapped_column(String(16))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"), index=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(100), default="")
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))

    version: Mapped[int] = mapped_column(Integer, default=1)

    # Every UPDATE and DELETE is a compare-and-set on the version the writer read.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class CategorizationDraft(_Reviewed, Base):
    """A proposed account for one uncategorized bank transaction, with the hint behind it.
    Approval categorizes the transaction through ``ledger.bank.categorize_transaction``.

    At most one proposal per transaction is open (status ``draft``) at a time: a second is
    refused while the first waits, so a reviewer never sees one replaced under their eyes."""

    __tablename__ = "categorization_drafts"
    __table_args__ = (
        Index("ix_categorization_drafts_company_status", "company_id", "status"),
        Index("ix_categorization_drafts_company_updated", "company_id", "updated_at"),
        Index(
            "uq_categorization_drafts_open",
            "bank_transaction_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    bank_transaction_id: Mapped[int] = mapped_column(ForeignKey("bank_transactions.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    # The hint: how sure its maker was (0 to 1), why, and whose it is: ``history`` (NewLedger's
    # own hint from the company's approved history) or ``app`` (the proposing app's reasoning).
    confidence: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    evidence: Mapped[str] = mapped_column(String(1000), default="")
    hint_origin: Mapped[str] = mapped_column(String(16), default="app")

    version: Mapped[int] = mapped_column(Integer, default=1)

    # Every UPDATE and DELETE is a compare-and-set on the version the writer read.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class JournalEntry(Base):
    """A posted entry. Immutable once written; corrections are reversing entries."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        Index("ix_journal_entries_company_date", "company_id", "date"),
        Index("ix_journal_entries_company_created", "company_id", "created_at"),
        # One original posting per source document (invoice, expense, payment, bank line):
        # whoever races an approval, the second posting cannot be written.
        Index(
            "uq_journal_entries_source",
            "company_id",
            "source_type",
            "source_id",
            unique=True,
            sqlite_where=text("reverses_entry_id IS NULL AND source_id IS NOT NULL"),
            postgresql_where=text("reverses_entry_id IS NULL AND source_id IS NOT NULL"),
        ),
        # And one reversal per entry (a void cannot be posted twice).
        Index("uq_journal_entries_reverses_entry_id", "reverses_entry_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    memo: Mapped[str] = mapped_column(String(500), default="")
    # manual | invoice | expense | credit_note | payment | bank | void | opening
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int | None] = mapped_column(Integer)
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    posted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="entry", order_by="JournalLine.id"
    )


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        Index("ix_journal_lines_company_account_date", "company_id", "account_id", "date"),
        Index("ix_journal_lines_entry", "entry_id"),
        bounded("amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    # Denormalised from the entry so reports read one table.
    date: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(500), default="")

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")


class _AccountTotals:
    """What the daily and the all-time totals share: the key's company, account and currency
    (first, in that order), and bounded debit and credit sums (last)."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[CheckConstraint, ...]:
        return (
            CheckConstraint(f"debit >= 0 AND debit <= {DAILY_BALANCE_MAX}", name="debit_bounded"),
            CheckConstraint(
                f"credit >= 0 AND credit <= {DAILY_BALANCE_MAX}", name="credit_bounded"
            ),
        )

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True, sort_order=-3
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id"), primary_key=True, sort_order=-2
    )
    currency: Mapped[str] = mapped_column(String(3), primary_key=True, sort_order=-1)
    debit: Mapped[int] = mapped_column(BigInteger, default=0, sort_order=1)
    credit: Mapped[int] = mapped_column(BigInteger, default=0, sort_order=1)


class AccountDailyBalance(_AccountTotals, Base):
    """Per-account, per-day totals of journal lines, kept in the posting transaction.

    Reports sum this table instead of scanning every line, so their cost follows the number of
    accounts and days, not the number of lines. It is derived data: ``rebuild_daily_balances``
    recomputes it from journal lines, and a test checks the two agree.
    """

    __tablename__ = "account_daily_balances"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class AccountBalance(_AccountTotals, Base):
    """Per-account, per-currency totals of journal lines over all dates, kept in the posting
    transaction beside ``account_daily_balances`` (derived data, like them).

    A balance on a day is the total less the daily totals after it, so a report of a recent
    period (cash now, the month to date) reads the days since its start, not years of history.
    ``rebuild_daily_balances`` recomputes both; ``newledger db verify`` checks them against
    the journal lines.
    """

    __tablename__ = "account_balances"
