"""Bank accounts and their imported transactions: uncategorized → categorized | matched.

Categorizing posts (source_type ``bank``) the bank account's GL against the chosen account:
money in (amount > 0) is Dr bank / Cr category; money out is Dr category / Cr bank.
Matching links a transaction to a payment already posted, so it posts nothing. Both emit a
``bank_transaction`` change event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import InvalidState, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.permissions import Permission
from newledger.ledger._common import (
    company_for,
    company_row,
    load_account,
    load_bank_account,
    parse_date,
    readable_row,
    require_poster,
)
from newledger.ledger.models import BankAccount, BankTransaction, Payment
from newledger.ledger.posting import LineSpec, post_entry
from newledger.money import format_minor, parse_amount
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "BANK_ACCOUNT_ORDERS",
    "TRANSACTION_ORDERS",
    "ImportResult",
    "TransactionFilters",
    "categorize_transaction",
    "count_transactions",
    "get_transaction",
    "import_transactions",
    "list_bank_accounts",
    "list_transactions",
    "match_transaction",
    "transaction_dict",
]

STATUSES = ("uncategorized", "categorized", "matched")


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0  # already imported (same external_id on this bank account) or repeated
    transactions: list[BankTransaction] = field(default_factory=list)


def import_transactions(
    session: Session,
    actor: Actor,
    bank_account_id: int,
    rows: list[dict[str, Any]],
    *,
    company_id: int | None = None,
) -> ImportResult:
    """Import statement lines ``[{"external_id": str, "date": "2026-01-31",
    "description": str, "amount": "-12.50"}]`` (signed: money in positive). Lines whose
    ``external_id`` this bank account already has, or that repeat one in the batch, are skipped
    and counted. Every row is checked before anything is written. Needs ``ledger:post``
    (statement imports are a person's act, not an app's)."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    bank = load_bank_account(session, company.id, bank_account_id)
    if not isinstance(rows, list):
        raise ValidationFailed("rows must be a list", errors={"rows": "not a list"})
    parsed: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValidationFailed(f"Row {i + 1} is not an object", errors={f"rows[{i}]": "?"})
        external_id = str(row.get("external_id") or "").strip()
        if not external_id or len(external_id) > 100:
            raise ValidationFailed(
                f"Row {i + 1} needs an external_id (at most 100 characters)",
                errors={f"rows[{i}].external_id": "required"},
            )
        amount = parse_amount(row.get("amount", ""), bank.currency, field=f"rows[{i}].amount")
        if amount == 0:
            raise ValidationFailed(
                f"Row {i + 1} has a zero amount", errors={f"rows[{i}].amount": "zero"}
            )
        parsed.append(
            {
                "external_id": external_id,
                "date": parse_date(row.get("date"), f"rows[{i}].date"),
                "description": str(row.get("description") or "").strip()[:500],
                "amount": amount,
            }
        )
    ids = {p["external_id"] for p in parsed}
    seen: set[str] = set()
    for chunk in _chunks(sorted(ids), 500):
        seen.update(
            session.scalars(
                select(BankTransaction.external_id).where(
                    BankTransaction.company_id == company.id,
                    BankTransaction.bank_account_id == bank.id,
                    BankTransaction.external_id.in_(chunk),
                )
            )
        )
    result = ImportResult()
    for p in parsed:
        if p["external_id"] in seen:
            result.skipped += 1
            continue
        seen.add(p["external_id"])
        txn = BankTransaction(
            company_id=company.id,
            bank_account_id=bank.id,
            currency=bank.currency,
            status="uncategorized",
            **p,
        )
        session.add(txn)
        result.transactions.append(txn)
    result.imported = len(result.transactions)
    session.flush()
    record(
        session,
        Event.BANK_TRANSACTION_IMPORTED,
        actor,
        subject_type="bank_account",
        subject_id=bank.id,
        details={"imported": result.imported, "skipped": result.skipped},
    )
    return result


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _load(session: Session, company_id: int, transaction_id: int) -> BankTransaction:
    txn = company_row(session, BankTransaction, company_id, transaction_id, lock=True)
    if txn.status != "uncategorized":
        raise InvalidState(
            f"Bank transaction {txn.id} is already {txn.status}", code="already_reconciled"
        )
    return txn


def categorize_transaction(
    session: Session,
    actor: Actor,
    transaction_id: int,
    account_id: int,
    *,
    contact_id: int | None = None,
    company_id: int | None = None,
) -> BankTransaction:
    """Post an uncategorized transaction against ``account_id`` (e.g. an expense account for
    money out) and mark it categorized. Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    txn = _load(session, company.id, transaction_id)
    bank = load_bank_account(session, company.id, txn.bank_account_id)
    category = load_account(session, company.id, account_id)
    if category.id == bank.account_id:
        raise ValidationFailed(
            "A transaction cannot be categorized to its own bank account",
            errors={"account_id": "the bank account itself"},
        )
    entry = post_entry(
        session,
        company_id=company.id,
        date=txn.date,
        lines=[
            LineSpec(bank.account_id, txn.amount, txn.currency, contact_id, txn.description),
            LineSpec(category.id, -txn.amount, txn.currency, contact_id, txn.description),
        ],
        source_type="bank",
        source_id=txn.id,
        memo=txn.description or f"Bank transaction {txn.external_id}",
        posted_by_user_id=actor.user_id,
    )
    txn.status = "categorized"
    txn.category_account_id = category.id
    txn.journal_entry_id = entry.id
    session.flush()
    record(
        session,
        Event.BANK_TRANSACTION_CATEGORIZED,
        actor,
        subject_type="bank_transaction",
        subject_id=txn.id,
        details={
            "account": f"{category.code} {category.name}",
            "amount": format_minor(txn.amount, txn.currency),
            "journal_entry_id": entry.id,
        },
    )
    emit(session, company.id, EventType.BANK_TRANSACTION_CATEGORIZED, txn.id)
    return txn


def match_transaction(
    session: Session,
    actor: Actor,
    transaction_id: int,
    payment_id: int,
    *,
    company_id: int | None = None,
) -> BankTransaction:
    """Reconcile an uncategorized transaction with a recorded payment on the same bank account
    for the same signed amount (received = money in, made = money out). Posts nothing: the
    payment already moved the cash. Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    txn = _load(session, company.id, transaction_id)
    payment = company_row(session, Payment, company.id, payment_id)
    signed = payment.amount if payment.direction == "received" else -payment.amount
    if payment.bank_account_id != txn.bank_account_id:
        raise ValidationFailed(
            "The payment went through a different bank account",
            errors={"payment_id": "different bank account"},
            code="bank_account_mismatch",
        )
    if signed != txn.amount or payment.currency != txn.currency:
        raise ValidationFailed(
            f"The payment ({format_minor(signed, payment.currency)} {payment.currency}) does not "
            f"equal the transaction ({format_minor(txn.amount, txn.currency)} {txn.currency})",
            errors={"payment_id": "amount differs"},
            code="amount_mismatch",
        )
    taken = session.scalar(
        select(BankTransaction.id).where(
            BankTransaction.company_id == company.id, BankTransaction.payment_id == payment.id
        )
    )
    if taken is not None:
        raise InvalidState(
            f"Payment {payment.id} is already matched to bank transaction {taken}",
            code="payment_already_matched",
        )
    txn.status = "matched"
    txn.payment_id = payment.id
    txn.journal_entry_id = payment.journal_entry_id
    session.flush()
    record(
        session,
        Event.BANK_TRANSACTION_MATCHED,
        actor,
        subject_type="bank_transaction",
        subject_id=txn.id,
        details={"payment_id": payment.id, "amount": format_minor(txn.amount, txn.currency)},
    )
    emit(session, company.id, EventType.BANK_TRANSACTION_MATCHED, txn.id)
    return txn


def get_transaction(
    session: Session, actor: Actor, transaction_id: int, *, company_id: int | None = None
) -> BankTransaction:
    """One bank transaction. Needs ``bank:read``."""
    return readable_row(
        session, actor, Permission.BANK_READ, BankTransaction, transaction_id, company_id=company_id
    )


BANK_ACCOUNT_ORDERS: dict[str, Order] = {
    "changed": Order(BankAccount.updated_at, BankAccount.id),
    "name": Order(BankAccount.name, BankAccount.id),
}
TRANSACTION_ORDERS: dict[str, Order] = {
    "changed": Order(BankTransaction.updated_at, BankTransaction.id),
    "newest": Order(BankTransaction.date, BankTransaction.id, descending=True),
}


@dataclass(frozen=True, slots=True)
class TransactionFilters:
    """Dates are inclusive; ``search`` matches the description or external id, any case."""

    bank_account_id: int | None = None
    status: str | None = None  # uncategorized | categorized | matched
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str | None = None


_BANK_ACCOUNTS = Listing(
    select(BankAccount),
    BankAccount.company_id == bindparam("company_id"),
    BankAccount.updated_at,
    {},
    BANK_ACCOUNT_ORDERS,
    entities=True,
)
_bt = BankTransaction
_TRANSACTIONS = Listing(
    select(_bt),
    _bt.company_id == bindparam("company_id"),
    _bt.updated_at,
    {
        "bank_account_id": lambda v: _bt.bank_account_id == v,
        "status": lambda v: _bt.status == v,
        "date_from": lambda v: _bt.date >= v,
        "date_to": lambda v: _bt.date <= v,
        "pattern": lambda v: or_(
            func.lower(_bt.description).like(v), func.lower(_bt.external_id).like(v)
        ),
    },
    TRANSACTION_ORDERS,
    entities=True,
)


def list_bank_accounts(session: Session, actor: Actor, page: PageRequest) -> Page[BankAccount]:
    """One page of the company's bank accounts. Needs ``bank:read``."""
    actor.require(Permission.BANK_READ)
    company_id = actor.company_scope()
    return _BANK_ACCOUNTS.page(session, company_id, {}, page)


def list_transactions(
    session: Session, actor: Actor, filters: TransactionFilters, page: PageRequest
) -> Page[BankTransaction]:
    """One page of the company's imported bank transactions. Needs ``bank:read``."""
    actor.require(Permission.BANK_READ)
    return _TRANSACTIONS.page(session, actor.company_scope(), _transaction_params(filters), page)


def count_transactions(session: Session, actor: Actor, filters: TransactionFilters) -> int:
    """How many bank transactions the filters keep (a list's total). Needs ``bank:read``."""
    actor.require(Permission.BANK_READ)
    return _TRANSACTIONS.count(session, actor.company_scope(), _transaction_params(filters))


def _transaction_params(filters: TransactionFilters) -> dict[str, Any]:
    if filters.status is not None and filters.status not in STATUSES:
        raise ValidationFailed("Unknown status", errors={"status": "unknown"})
    search = (filters.search or "").strip().lower()
    return {
        "bank_account_id": filters.bank_account_id,
        "status": filters.status,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "pattern": f"%{search}%" if search else None,
    }


def transaction_dict(txn: BankTransaction) -> dict[str, Any]:
    return {
        "id": txn.id,
        "bank_account_id": txn.bank_account_id,
        "external_id": txn.external_id,
        "date": txn.date.isoformat(),
        "description": txn.description,
        "amount": format_minor(txn.amount, txn.currency),
        "currency": txn.currency,
        "status": txn.status,
        "category_account_id": txn.category_account_id,
        "payment_id": txn.payment_id,
        "journal_entry_id": txn.journal_entry_id,
    }
