"""Helpers shared by the ledger services: company scoping, look-ups, input parsing.

Every look-up here filters by ``company_id``: an id from another company is "not found", never
a leak of its existence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.base import ExecutableOption

from newledger.actor import Actor
from newledger.db import Base, begin_write
from newledger.errors import Conflict, InvalidState, NotFound, PermissionDenied, ValidationFailed
from newledger.identity.models import Company
from newledger.identity.permissions import Permission
from newledger.ledger.models import (
    Account,
    BankAccount,
    BankTransaction,
    CategorizationDraft,
    Contact,
    CreditAllocation,
    CreditNote,
    Expense,
    Invoice,
    Item,
    JournalEntry,
    Payment,
    PaymentDraft,
    TaxRate,
)
from newledger.money import format_minor, parse_amount, parse_decimal

__all__ = [
    "DOCUMENT_SOURCES",
    "amount_due",
    "check_version",
    "company_for",
    "company_row",
    "document_amounts",
    "document_state",
    "flush_versioned",
    "for_update",
    "load_account",
    "load_bank_account",
    "load_contact",
    "parse_date",
    "parse_positive_amount",
    "parse_quantity",
    "readable_row",
    "require_draft",
    "require_poster",
    "settled_status",
    "source_fields",
]

_Query = TypeVar("_Query", bound="Select[Any]")

# Actor type → the document's ``source`` column.
DOCUMENT_SOURCES = {"user": "ui", "app": "api", "connection": "mcp"}


def company_for(session: Session, actor: Actor, company_id: int | None = None) -> Company:
    """The company the actor works in; a different ``company_id`` is refused."""
    company = session.get(Company, actor.company_scope(company_id))
    if company is None:
        raise NotFound(f"No company {actor.company_id}")
    return company


def require_poster(actor: Actor) -> None:
    """Posting to the ledger: needs ``ledger:post`` and a person (the governance rule)."""
    if actor.is_external:
        raise PermissionDenied(
            "Apps and connections cannot post to the ledger; a person must approve it in NewLedger",
            required=(Permission.LEDGER_POST,),
            code="external_cannot_post",
        )
    actor.require(Permission.LEDGER_POST)


def source_fields(actor: Actor) -> dict[str, Any]:
    """Where a draft came from: user → ui, app → api, connection → mcp, system → its label
    when that is ``demo``, else ``import``."""
    source = DOCUMENT_SOURCES.get(actor.type) or ("demo" if actor.label == "demo" else "import")
    return {
        "source": source,
        "source_app_id": actor.app_id,
        "source_connection_id": actor.connection_id,
        "source_label": actor.label[:200],
    }


def load_contact(
    session: Session,
    company_id: int,
    contact_id: Any,
    *,
    kinds: Collection[str] = ("customer", "vendor", "both"),
    field: str = "contact_id",
) -> Contact:
    if not isinstance(contact_id, int) or isinstance(contact_id, bool):
        raise ValidationFailed(f"{field} must be an integer", errors={field: "required"})
    contact = company_row(session, Contact, company_id, contact_id)
    if contact.kind not in kinds:
        role = "customer" if "customer" in kinds else "vendor"
        raise ValidationFailed(
            f"Contact {contact.name!r} is not a {role}", errors={field: f"not a {role}"}
        )
    if contact.is_archived:
        raise ValidationFailed(f"Contact {contact.name!r} is archived", errors={field: "archived"})
    return contact


def load_account(
    session: Session,
    company_id: int,
    account_id: Any,
    *,
    types: Collection[str] | None = None,
    field: str = "account_id",
) -> Account:
    """An active account of this company, optionally of one of ``types``."""
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise ValidationFailed(f"{field} must be an integer", errors={field: "required"})
    account = company_row(session, Account, company_id, account_id)
    if not account.is_active:
        raise ValidationFailed(f"Account {account.code} is archived", errors={field: "archived"})
    if types is not None and account.type not in types:
        kind = " or ".join(sorted(types))
        raise ValidationFailed(
            f"Account {account.code} {account.name} is not an {kind} account",
            errors={field: f"not an {kind} account"},
        )
    return account


def load_bank_account(
    session: Session, company_id: int, bank_account_id: Any, field: str = "bank_account_id"
) -> BankAccount:
    if not isinstance(bank_account_id, int) or isinstance(bank_account_id, bool):
        raise ValidationFailed(f"{field} must be an integer", errors={field: "required"})
    return company_row(session, BankAccount, company_id, bank_account_id)


def parse_date(value: Any, field: str) -> dt.date:
    """A ``date`` or an ISO 8601 ``YYYY-MM-DD`` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationFailed(f"{field} must be a date (YYYY-MM-DD)", errors={field: "invalid date"})


def parse_positive_amount(value: Any, currency: str, field: str) -> int:
    if value is None or value == "":
        raise ValidationFailed(f"{field} is required", errors={field: "required"})
    minor = parse_amount(value, currency, field=field)
    if minor <= 0:
        raise ValidationFailed(f"{field} must be more than zero", errors={field: "must be > 0"})
    return minor


def parse_quantity(value: Any, field: str) -> Decimal:
    """A positive decimal with at most four decimals (the column's scale)."""
    qty = parse_decimal(value, field, "a number")
    if qty <= 0:
        raise ValidationFailed(f"{field} must be more than zero", errors={field: "must be > 0"})
    if qty != qty.quantize(Decimal("0.0001")) or qty >= Decimal(10) ** 14:
        raise ValidationFailed(
            f"{field} allows at most 4 decimals", errors={field: "at most 4 decimals"}
        )
    return qty


def for_update(session: Session, query: _Query) -> _Query:
    """``query`` for rows this unit of work is about to change, read so that no other writer can
    act on the same state: the write lock first on SQLite (``begin_write``), ``FOR UPDATE`` on
    PostgreSQL, and always fresh from the database (an object loaded earlier in the session is
    overwritten, so a stale ``draft`` in memory cannot decide anything)."""
    begin_write(session)
    return query.with_for_update().execution_options(populate_existing=True)


_Owned = TypeVar("_Owned", bound=Base)

# What a missing row of each model is called in ``NotFound``: the message's noun and the code.
_UNKNOWN: dict[type[Any], tuple[str, str]] = {
    Account: ("account", "unknown_account"),
    BankAccount: ("bank account", "unknown_bank_account"),
    BankTransaction: ("bank transaction", "unknown_transaction"),
    CategorizationDraft: ("categorization draft", "unknown_categorization_draft"),
    Contact: ("contact", "unknown_contact"),
    CreditNote: ("credit note", "unknown_credit_note"),
    CreditAllocation: ("credit allocation", "unknown_allocation"),
    Expense: ("expense", "unknown_expense"),
    Invoice: ("invoice", "unknown_invoice"),
    JournalEntry: ("journal entry", "unknown_entry"),
    Payment: ("payment", "unknown_payment"),
    PaymentDraft: ("payment draft", "unknown_payment_draft"),
    TaxRate: ("tax rate", "unknown_tax_rate"),
    Item: ("item", "unknown_item"),
}


def company_row(
    session: Session,
    model: type[_Owned],
    company_id: int,
    row_id: Any,
    *,
    lock: bool = False,
    options: Sequence[ExecutableOption] = (),
) -> _Owned:
    """Row ``row_id`` of ``model`` if it belongs to this company, else ``NotFound`` (see
    ``_UNKNOWN``): another company's row is as unknown as a missing one. ``lock``: read it
    ``for_update``."""
    columns = model.__table__.c
    query = select(model).where(columns.company_id == company_id, columns.id == row_id)
    if lock:
        query = for_update(session, query)
    row = session.scalar(query.options(*options))
    if row is None:
        noun, code = _UNKNOWN[model]
        raise NotFound(f"Unknown {noun} {row_id}", code=code)
    return row


def readable_row(
    session: Session,
    actor: Actor,
    permission: Permission,
    model: type[_Owned],
    row_id: Any,
    *,
    company_id: int | None = None,
    options: Sequence[ExecutableOption] = (),
) -> _Owned:
    """A service's "get one": ``permission`` required, then ``company_row`` in the actor's
    company (``company_for``)."""
    actor.require(permission)
    company = company_for(session, actor, company_id)
    return company_row(session, model, company.id, row_id, options=options)


def flush_versioned(session: Session, what: str) -> None:
    """Flush a versioned document's change: its UPDATE or DELETE is a compare-and-set on
    ``version`` (the mapper's ``version_id_col``), so a writer that lost a race gets 409."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            f"The {what} was changed by someone else at the same time; reload and retry",
            code="concurrent_update",
        ) from None


def check_version(document: Any, expected_version: int | None) -> None:
    """Optimistic concurrency for draft edits: the REST layer maps this Conflict to 412."""
    if expected_version is not None and document.version != expected_version:
        raise Conflict(
            f"This {type(document).__name__.lower()} changed since you loaded it "
            f"(version {document.version}, you sent {expected_version}); reload and retry",
            code="version_mismatch",
        )


def require_draft(document: Any, what: str) -> None:
    if document.status != "draft":
        raise InvalidState(
            f"Only draft {what}s can be changed; this one is {document.status}",
            code="not_a_draft",
        )


def amount_due(document: Invoice | Expense) -> int:
    """What is still owed on an invoice or bill: its total less payments and applied credits."""
    return document.total - document.amount_paid - document.amount_credited


def settled_status(document: Invoice | Expense) -> str:
    """The status an approved invoice or bill has from what settled it (payments and credits):
    approved (nothing yet), partially_paid, or paid (nothing left due)."""
    settled = document.amount_paid + document.amount_credited
    if settled == 0:
        return "approved"
    return "paid" if settled == document.total else "partially_paid"


def document_amounts(document: Invoice | Expense) -> dict[str, Any]:
    """An invoice's or expense's status and amounts as JSON-ready data (decimal strings)."""
    cur = document.currency
    return {
        "status": document.status,
        "total": format_minor(document.total, cur),
        "amount_paid": format_minor(document.amount_paid, cur),
        "amount_credited": format_minor(document.amount_credited, cur),
        "amount_due": format_minor(amount_due(document), cur),
        "tax_mode": document.tax_mode,
        "subtotal": format_minor(document.subtotal, cur),
        "tax_total": format_minor(document.tax_total, cur),
    }


def document_state(document: Invoice | Expense) -> dict[str, Any]:
    """An invoice's or expense's version, where it came from, its entry and any rejection."""
    return {
        "version": document.version,
        "source": document.source,
        "source_label": document.source_label,
        "journal_entry_id": document.journal_entry_id,
        "rejected_reason": document.rejected_reason,
    }
