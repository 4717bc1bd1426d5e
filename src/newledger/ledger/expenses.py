"""Expenses and bills (accounts payable): draft → approved → partially_paid → paid; draft →
rejected; approved → voided.

``kind="expense"``: paid at once from a bank account. Approval posts Dr each line's expense
account / Cr the payment (bank) account, and the expense is ``paid``.
``kind="bill"``: owed to a vendor. Approval posts Dr each line / Cr AP (the vendor); payments
(see ``payments.record_payment``) then make it partially_paid / paid.

Drafts may come from apps and connections (``expenses:draft``); only a person holding
``ledger:post`` approves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from newledger.actor import Actor
from newledger.attachments.services import EXPENSE, remove_document_attachments
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import InvalidState, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.permissions import Permission
from newledger.ledger._common import (
    check_version,
    company_for,
    company_row,
    flush_versioned,
    load_contact,
    require_draft,
    require_poster,
    source_fields,
)
from newledger.ledger._lifecycle import mark_approved, mark_rejected, post_void, void_note
from newledger.ledger.chart import account_by_subtype
from newledger.ledger.expense_lines import (
    EXPENSE_FIELDS,
    EXPENSE_KINDS,
    VENDOR_KINDS,
    expense_dict,
    validate_expense,
)
from newledger.ledger.models import Expense, ExpenseLine
from newledger.ledger.posting import LineSpec, post_entry
from newledger.ledger.tax_rates import tax_postings
from newledger.money import format_minor

__all__ = [
    "EXPENSE_KINDS",
    "approve_expense",
    "create_draft_expense",
    "delete_draft_expense",
    "expense_dict",
    "expense_version",
    "get_expense",
    "reject_expense",
    "update_draft_expense",
    "void_expense",
    "void_note",
]


def create_draft_expense(
    session: Session,
    actor: Actor,
    *,
    date: dt.date | str,
    lines: list[dict[str, Any]],
    kind: str = "expense",
    contact_id: int | None = None,
    due_date: dt.date | str | None = None,
    payment_account_id: int | None = None,
    currency: str | None = None,
    description: str = "",
    reference: str = "",
    tax_mode: str | None = None,
    company_id: int | None = None,
) -> Expense:
    """Create a draft expense or bill.

    ``lines``: ``[{"description": str, "amount": "42.50", "account_id": int,
    "tax_rate_id": int}]`` (expense accounts, positive decimal strings; a purchase tax rate,
    or none). ``tax_mode``: ``exclusive`` (default: amounts are net, tax comes on top) or
    ``inclusive`` (amounts as on a receipt, tax included). A bill needs ``contact_id`` (a
    vendor); its ``due_date`` defaults to ``date`` plus the vendor's terms. An expense is paid from
    ``payment_account_id`` (a bank account's GL account id; default the first bank account).
    ``currency`` defaults to the home currency. Needs ``expenses:draft``.
    """
    actor.require(Permission.EXPENSES_DRAFT)
    company = company_for(session, actor, company_id)
    values = validate_expense(
        session,
        company,
        {
            "kind": kind,
            "contact_id": contact_id,
            "date": date,
            "due_date": due_date,
            "payment_account_id": payment_account_id,
            "currency": currency,
            "description": description,
            "reference": reference,
            "lines": lines,
            "tax_mode": tax_mode,
        },
    )
    line_values = values.pop("lines")
    expense = Expense(
        company_id=company.id,
        status="draft",
        amount_paid=0,
        version=1,
        created_by_user_id=actor.user_id,
        lines=[ExpenseLine(**lv) for lv in line_values],
        **values,
        **source_fields(actor),
    )
    session.add(expense)
    session.flush()
    record(
        session,
        Event.EXPENSE_DRAFTED,
        actor,
        subject_type="expense",
        subject_id=expense.id,
        details={
            "kind": expense.kind,
            "total": format_minor(expense.total, expense.currency),
            "currency": expense.currency,
        },
    )
    emit(session, company.id, EventType.EXPENSE_DRAFTED, expense.id)
    return expense


def _load(session: Session, company_id: int, expense_id: int, *, lock: bool = False) -> Expense:
    return company_row(
        session, Expense, company_id, expense_id, lock=lock, options=[selectinload(Expense.lines)]
    )


def update_draft_expense(
    session: Session,
    actor: Actor,
    expense_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> Expense:
    """Edit a draft: any of kind, contact_id, date, due_date, payment_account_id, currency,
    description, reference, lines (``lines`` replaces every line). A stale ``expected_version``
    raises ``Conflict("version_mismatch")``; a non-draft ``InvalidState``. Needs
    ``expenses:draft``."""
    actor.require(Permission.EXPENSES_DRAFT)
    company = company_for(session, actor, company_id)
    expense = _load(session, company.id, expense_id, lock=True)
    require_draft(expense, "expense")
    check_version(expense, expected_version)
    unknown = sorted(set(changes) - set(EXPENSE_FIELDS))
    if unknown:
        raise ValidationFailed(
            f"Cannot change {', '.join(unknown)}", errors={k: "not editable" for k in unknown}
        )
    current: dict[str, Any] = {f: getattr(expense, f) for f in EXPENSE_FIELDS if f != "lines"}
    current["lines"] = [
        {
            "description": line.description,
            "amount": format_minor(line.amount, expense.currency),
            "account_id": line.account_id,
            "tax_rate_id": line.tax_rate_id,
            "item_id": line.item_id,
        }
        for line in expense.lines
    ]
    if changes.get("kind", expense.kind) != expense.kind:
        # A change of kind resets the fields only the other kind uses, unless given.
        current["due_date"] = None
        current["payment_account_id"] = None
    values = validate_expense(session, company, {**current, **changes})
    line_values = values.pop("lines")
    for key, value in values.items():
        setattr(expense, key, value)
    expense.lines = [ExpenseLine(**lv) for lv in line_values]
    expense.version += 1
    flush_versioned(session, "expense")
    record(
        session,
        Event.EXPENSE_UPDATED,
        actor,
        subject_type="expense",
        subject_id=expense.id,
        details={"changed": sorted(changes), "version": expense.version},
    )
    emit(session, company.id, EventType.EXPENSE_UPDATED, expense.id)
    return expense


def delete_draft_expense(
    session: Session,
    actor: Actor,
    expense_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> None:
    """Delete a draft (with its lines and attached files). Needs ``expenses:draft``."""
    actor.require(Permission.EXPENSES_DRAFT)
    company = company_for(session, actor, company_id)
    expense = _load(session, company.id, expense_id, lock=True)
    require_draft(expense, "expense")
    check_version(expense, expected_version)
    # Its files go with it (each once the deletion commits).
    files = remove_document_attachments(session, EXPENSE, company.id, expense.id)
    record(
        session,
        Event.EXPENSE_DELETED,
        actor,
        subject_type="expense",
        subject_id=expense.id,
        details={
            "kind": expense.kind,
            "total": format_minor(expense.total, expense.currency),
            "attachments": files,
        },
    )
    session.delete(expense)
    flush_versioned(session, "expense")
    emit(session, company.id, EventType.EXPENSE_DELETED, expense_id)


def approve_expense(
    session: Session,
    actor: Actor,
    expense_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> Expense:
    """Approve a draft and post it on its date: Dr each line's expense account its net and each
    tax rate's account its tax / Cr the payment
    account (kind expense → status paid) or Cr AP for the vendor (kind bill → approved).
    Needs ``ledger:post``; apps and connections can never approve."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    expense = _load(session, company.id, expense_id, lock=True)
    if expense.status != "draft":
        raise InvalidState(
            f"The {expense.kind} is {expense.status}, not a draft awaiting approval",
            code="not_a_draft",
        )
    check_version(expense, expected_version)
    if expense.kind == "bill":
        if expense.contact_id is None:
            raise ValidationFailed("A bill needs a vendor", errors={"contact_id": "required"})
        load_contact(session, company.id, expense.contact_id, kinds=VENDOR_KINDS)
        credit_account = account_by_subtype(session, company.id, "accounts_payable").id
    else:
        if expense.payment_account_id is None:
            raise ValidationFailed(
                "Say which account paid", errors={"payment_account_id": "required"}
            )
        credit_account = expense.payment_account_id
    label = expense.description or expense.reference or f"{expense.kind} #{expense.id}"
    cur, contact_id = expense.currency, expense.contact_id
    net = expense.tax_mode == "inclusive"
    specs = [
        LineSpec(
            line.account_id,
            line.amount - line.tax_amount if net else line.amount,
            cur,
            contact_id,
            line.description,
        )
        for line in expense.lines
        if (line.amount - line.tax_amount if net else line.amount) != 0
    ]
    specs += [
        LineSpec(account_id, tax, cur, contact_id, tax_label)
        for account_id, tax, tax_label in tax_postings(session, company.id, expense.lines)
    ]
    specs.append(LineSpec(credit_account, -expense.total, cur, contact_id, label))
    entry = post_entry(
        session,
        company_id=company.id,
        date=expense.date,
        lines=specs,
        source_type="expense",
        source_id=expense.id,
        memo=f"{expense.kind.capitalize()}: {label}",
        posted_by_user_id=actor.user_id,
    )
    mark_approved(expense, entry, actor)
    if expense.kind == "expense":
        expense.status = "paid"
        expense.amount_paid = expense.total
    flush_versioned(session, "expense")
    record(
        session,
        Event.EXPENSE_APPROVED,
        actor,
        subject_type="expense",
        subject_id=expense.id,
        details={
            "kind": expense.kind,
            "total": format_minor(expense.total, cur),
            "currency": cur,
            "journal_entry_id": entry.id,
            "draft_source": expense.source,
        },
    )
    emit(session, company.id, EventType.EXPENSE_APPROVED, expense.id)
    return expense


def reject_expense(
    session: Session, actor: Actor, expense_id: int, *, reason: str, company_id: int | None = None
) -> Expense:
    """Reject a draft in review, with a reason. Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    expense = _load(session, company.id, expense_id, lock=True)
    reason = mark_rejected(expense, reason)
    flush_versioned(session, "expense")
    record(
        session,
        Event.EXPENSE_REJECTED,
        actor,
        subject_type="expense",
        subject_id=expense.id,
        details={"kind": expense.kind, "reason": reason[:200]},
    )
    emit(session, company.id, EventType.EXPENSE_REJECTED, expense.id)
    return expense


def void_expense(
    session: Session,
    actor: Actor,
    expense_id: int,
    *,
    date: dt.date | str | None = None,
    reason: str = "",
    company_id: int | None = None,
) -> Expense:
    """Void an approved expense, or a bill with no payments, with a reversing entry (dated
    ``date``, default the original's date). Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    expense = _load(session, company.id, expense_id, lock=True)
    entry = post_void(session, expense, actor, date=date, reason=reason)
    flush_versioned(session, "expense")
    record(
        session,
        Event.EXPENSE_VOIDED,
        actor,
        subject_type="expense",
        subject_id=expense.id,
        details={"kind": expense.kind, "reason": reason[:200], "journal_entry_id": entry.id},
    )
    emit(session, company.id, EventType.EXPENSE_VOIDED, expense.id)
    return expense


def get_expense(
    session: Session, actor: Actor, expense_id: int, *, company_id: int | None = None
) -> Expense:
    """One expense or bill with its lines. Needs ``expenses:read``."""
    actor.require(Permission.EXPENSES_READ)
    company = company_for(session, actor, company_id)
    return _load(session, company.id, expense_id)


def expense_version(
    session: Session, actor: Actor, expense_id: int, *, company_id: int | None = None
) -> int | None:
    """The stored version of one of the company's expenses (``None``: no such expense), which
    a draft update or delete compares with ``If-Match``. Needs ``expenses:draft``."""
    actor.require(Permission.EXPENSES_DRAFT)
    return session.scalar(
        select(Expense.version).where(
            Expense.company_id == actor.company_scope(company_id), Expense.id == expense_id
        )
    )
