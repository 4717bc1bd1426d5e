"""Checking a whole expense or bill (fields and lines), and its JSON-ready form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.errors import ValidationFailed
from newledger.identity.models import Company
from newledger.ledger._common import (
    document_amounts,
    document_state,
    load_account,
    load_contact,
    parse_date,
    parse_positive_amount,
)
from newledger.ledger.chart import account_by_subtype
from newledger.ledger.items import item_defaults
from newledger.ledger.models import BankAccount, Expense
from newledger.ledger.tax_rates import apply_tax, parse_tax_mode
from newledger.money import check_bounded, format_minor, validate_currency

__all__ = ["EXPENSE_FIELDS", "EXPENSE_KINDS", "VENDOR_KINDS", "expense_dict", "validate_expense"]

EXPENSE_KINDS = ("expense", "bill")
VENDOR_KINDS = ("vendor", "both")
EXPENSE_FIELDS = (
    "kind",
    "contact_id",
    "date",
    "due_date",
    "payment_account_id",
    "currency",
    "description",
    "reference",
    "lines",
    "tax_mode",
)


def validate_expense(session: Session, company: Company, v: dict[str, Any]) -> dict[str, Any]:
    """Check a whole expense (new, or current values merged with changes); returns column
    values (with the tax figures: ``newledger.ledger.tax``) plus ``lines`` as a list of
    ``ExpenseLine`` keyword dicts."""
    kind = v.get("kind") or "expense"
    if kind not in EXPENSE_KINDS:
        raise ValidationFailed("kind must be expense or bill", errors={"kind": "unknown"})
    contact_id = v.get("contact_id")
    if contact_id is not None:
        contact_id = load_contact(session, company.id, contact_id, kinds=VENDOR_KINDS).id
    elif kind == "bill":
        raise ValidationFailed("A bill needs a vendor", errors={"contact_id": "required"})
    day = parse_date(v.get("date"), "date")
    due: dt.date | None = None
    if kind == "bill":
        if v.get("due_date") is not None:
            due = parse_date(v["due_date"], "due_date")
        else:
            terms = load_contact(session, company.id, contact_id, kinds=VENDOR_KINDS)
            due = day + dt.timedelta(days=terms.payment_terms_days)
        if due < day:
            raise ValidationFailed("Due date is before the bill date", errors={"due_date": "early"})
    payment_account_id: int | None = None
    if kind == "expense":
        if v.get("payment_account_id") is None:
            payment_account_id = account_by_subtype(session, company.id, "bank").id
        else:
            paid_from = load_account(
                session, company.id, v["payment_account_id"], field="payment_account_id"
            )
            if paid_from.subtype != "bank":
                raise ValidationFailed(
                    f"Account {paid_from.code} {paid_from.name} is not a bank account",
                    errors={"payment_account_id": "not a bank account"},
                )
            payment_account_id = paid_from.id
    cur = validate_currency(v.get("currency") or company.home_currency)
    if payment_account_id is not None:
        bank_currency = session.scalar(
            select(BankAccount.currency).where(
                BankAccount.company_id == company.id, BankAccount.account_id == payment_account_id
            )
        )
        if bank_currency is not None and bank_currency != cur:
            raise ValidationFailed(
                f"The bank account holds {bank_currency}, not {cur}",
                errors={"payment_account_id": f"not a {cur} account"},
                code="currency_mismatch",
            )
    raw_lines = v.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ValidationFailed("An expense needs at least one line", errors={"lines": "required"})
    lines: list[dict[str, Any]] = []
    for i, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            raise ValidationFailed(f"Line {i + 1} is not an object", errors={f"lines[{i}]": "?"})
        raw = item_defaults(session, company, raw, i, "expense")
        amount = parse_positive_amount(raw.get("amount"), cur, f"lines[{i}].amount")
        account = load_account(
            session,
            company.id,
            raw.get("account_id"),
            types=("expense",),
            field=f"lines[{i}].account_id",
        )
        description = str(raw.get("description") or "").strip()[:500]
        lines.append(
            {
                "company_id": company.id,
                "position": i,
                "description": description,
                "amount": amount,
                "account_id": account.id,
                "tax_rate_id": raw.get("tax_rate_id"),
                "item_id": raw.get("item_id"),
            }
        )
    mode = parse_tax_mode(v.get("tax_mode"))
    figures = apply_tax(session, company, lines, mode, "purchase")
    check_bounded(figures.total, "lines", "The total")
    return {
        "kind": kind,
        "contact_id": contact_id,
        "date": day,
        "due_date": due,
        "payment_account_id": payment_account_id,
        "currency": cur,
        "description": str(v.get("description") or "")[:500],
        "reference": str(v.get("reference") or "")[:100],
        "lines": lines,
        "tax_mode": mode,
        "subtotal": figures.subtotal,
        "tax_total": figures.tax_total,
        "total": figures.total,
    }


def expense_dict(expense: Expense) -> dict[str, Any]:
    """An expense or bill as JSON-ready data; amounts are decimal strings."""
    cur = expense.currency
    return {
        "id": expense.id,
        "kind": expense.kind,
        "contact_id": expense.contact_id,
        "date": expense.date.isoformat(),
        "due_date": expense.due_date.isoformat() if expense.due_date else None,
        "payment_account_id": expense.payment_account_id,
        "currency": cur,
        **document_amounts(expense),
        "description": expense.description,
        "reference": expense.reference,
        **document_state(expense),
        "lines": [
            {
                "description": line.description,
                "amount": format_minor(line.amount, cur),
                "account_id": line.account_id,
                "tax_rate_id": line.tax_rate_id,
                "tax_amount": format_minor(line.tax_amount, cur),
                "item_id": line.item_id,
            }
            for line in expense.lines
        ],
    }
