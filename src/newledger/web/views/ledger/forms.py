"""The draft edit forms: plain HTML forms (no JavaScript) with numbered line rows.

A line's fields are named ``lines-<n>-<field>``. Rows left entirely blank are dropped, so the
form can offer spare rows for new lines; the remaining rows are renumbered in order, and the
service's per-line errors (``lines[0].amount``) then point at the rows as re-displayed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.datastructures import FormData

from newledger.ledger.models import Expense, Invoice
from newledger.money import format_minor

__all__ = [
    "EXPENSE_LINE_FIELDS",
    "INVOICE_LINE_FIELDS",
    "SPARE_ROWS",
    "DraftForm",
    "expense_changes",
    "expense_form",
    "field_label",
    "invoice_changes",
    "invoice_form",
]

INVOICE_LINE_FIELDS = ("description", "quantity", "unit_price", "account_id")
EXPENSE_LINE_FIELDS = ("description", "amount", "account_id")
SPARE_ROWS = 2
_LINE_KEY = re.compile(r"^lines-(\d{1,3})-([a-z_]+)$")


@dataclass
class DraftForm:
    """What the edit page shows: field values as strings, line rows, and errors by field."""

    values: dict[str, str]
    lines: list[dict[str, str]]
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None

    def error_list(self) -> list[tuple[str, str]]:
        """The errors as (label a person reads, message): ``lines[0].amount`` is "Line 1 amount"."""
        return [(field_label(key), message) for key, message in self.errors.items()]

    def with_spare_rows(self, fields: tuple[str, ...]) -> DraftForm:
        blank = [dict.fromkeys(fields, "") for _ in range(SPARE_ROWS)]
        return DraftForm(self.values, self.lines + blank, self.errors, self.message)


_LABELS = {
    "contact_id": "Customer or vendor",
    "payment_account_id": "Paid from",
    "account_id": "account",
    "unit_price": "unit price",
}
_ERROR_KEY = re.compile(r"^lines\[(\d+)\]\.([a-z_]+)$")


def field_label(key: str) -> str:
    if (m := _ERROR_KEY.match(key)) is not None:
        name = m.group(2)
        return f"Line {int(m.group(1)) + 1} {_LABELS.get(name, name.replace('_', ' '))}"
    return _LABELS.get(key, key.replace("_", " ").capitalize())


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _rows(form: FormData, fields: tuple[str, ...]) -> list[dict[str, str]]:
    indices = sorted({int(m.group(1)) for key in form if (m := _LINE_KEY.match(key)) is not None})
    rows = [{f: _text(form, f"lines-{i}-{f}") for f in fields} for i in indices]
    return [row for row in rows if any(row.values())]


def _int_or_text(value: str) -> int | str | None:
    """Ids from <select>s: an int when it is one; anything else goes to the service as is,
    which reports it as invalid for that field."""
    if not value:
        return None
    return int(value) if value.isdigit() else value


def invoice_form(invoice: Invoice) -> DraftForm:
    cur = invoice.currency
    return DraftForm(
        values={
            "contact_id": str(invoice.contact_id),
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "memo": invoice.memo,
            "version": str(invoice.version),
        },
        lines=[
            {
                "description": line.description,
                "quantity": format(Decimal(line.quantity).normalize(), "f"),
                "unit_price": format_minor(line.unit_price, cur),
                "account_id": str(line.account_id),
            }
            for line in invoice.lines
        ],
    )


def invoice_changes(form: FormData) -> tuple[DraftForm, dict[str, Any]]:
    """The submitted form (to re-display on error) and the changes for the service."""
    values = {
        k: _text(form, k) for k in ("contact_id", "issue_date", "due_date", "memo", "version")
    }
    rows = _rows(form, INVOICE_LINE_FIELDS)
    changes: dict[str, Any] = {
        "contact_id": _int_or_text(values["contact_id"]),
        "issue_date": values["issue_date"],
        "due_date": values["due_date"],
        "memo": values["memo"],
        "lines": [
            {
                "description": row["description"],
                "quantity": row["quantity"] or "1",
                "unit_price": row["unit_price"],
                "account_id": _int_or_text(row["account_id"]),
            }
            for row in rows
        ],
    }
    return DraftForm(values, rows), changes


def expense_form(expense: Expense) -> DraftForm:
    cur = expense.currency
    return DraftForm(
        values={
            "kind": expense.kind,
            "contact_id": str(expense.contact_id or ""),
            "date": expense.date.isoformat(),
            "due_date": expense.due_date.isoformat() if expense.due_date else "",
            "payment_account_id": str(expense.payment_account_id or ""),
            "description": expense.description,
            "reference": expense.reference,
            "version": str(expense.version),
        },
        lines=[
            {
                "description": line.description,
                "amount": format_minor(line.amount, cur),
                "account_id": str(line.account_id),
            }
            for line in expense.lines
        ],
    )


def expense_changes(form: FormData) -> tuple[DraftForm, dict[str, Any]]:
    keys = (
        "kind",
        "contact_id",
        "date",
        "due_date",
        "payment_account_id",
        "description",
        "reference",
        "version",
    )
    values = {k: _text(form, k) for k in keys}
    rows = _rows(form, EXPENSE_LINE_FIELDS)
    kind = values["kind"] or "expense"
    changes: dict[str, Any] = {
        "kind": kind,
        "contact_id": _int_or_text(values["contact_id"]),
        "date": values["date"],
        "description": values["description"],
        "reference": values["reference"],
        "lines": [
            {
                "description": row["description"],
                "amount": row["amount"],
                "account_id": _int_or_text(row["account_id"]),
            }
            for row in rows
        ],
    }
    # Only the fields the kind uses: a bill has a due date, an expense a bank account.
    if kind == "bill":
        changes["due_date"] = values["due_date"] or None
    else:
        changes["payment_account_id"] = _int_or_text(values["payment_account_id"])
    return DraftForm(values, rows), changes


def form_version(form: FormData) -> int | None:
    value = _text(form, "version")
    return int(value) if value.isdigit() else None
