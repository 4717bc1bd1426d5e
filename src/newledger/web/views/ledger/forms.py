"""The draft forms (a new invoice, bill, expense, credit note or vendor credit, or an edit of a
draft): plain HTML forms (no JavaScript) with numbered line rows.

A line's fields are named ``lines-<n>-<field>``. Rows left entirely blank are dropped, so the
form can offer spare rows for new lines; the remaining rows are renumbered in order, and the
service's per-line errors (``lines[0].amount``) then point at the rows as re-displayed.

Rows come and go without JavaScript: the form's "Add line" button (``add_line``) and each row's
"Remove" button (``remove_line=<n>``) submit the form, which comes back with the rows changed
and nothing saved (``line_action``).

A row may pick an item (``item_id``): on save the service fills what the row leaves empty from
the item (``ledger.items.item_defaults``), so a row with only an item and a quantity is a line.

A credit note's form also offers its contact's open invoices (or bills), each with an amount to
apply, named ``allocate-<document id>``; an empty amount applies nothing. "Show open invoices"
(``show_open``) comes back like "Add line", for the contact just chosen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.datastructures import FormData

from newledger.ledger._common import amount_due
from newledger.ledger.models import CreditNote, Expense, Invoice
from newledger.money import format_minor
from newledger.web.errors import MAX_DB_ID

__all__ = [
    "CREDIT_DOCUMENT_KEYS",
    "EXPENSE_LINE_FIELDS",
    "INVOICE_LINE_FIELDS",
    "SPARE_ROWS",
    "DraftForm",
    "credit_changes",
    "credit_form",
    "expense_changes",
    "expense_form",
    "field_label",
    "form_version",
    "invoice_changes",
    "invoice_form",
    "line_action",
    "new_credit_form",
    "new_expense_form",
    "new_invoice_form",
    "select_id",
]

INVOICE_LINE_FIELDS = (
    "item_id",
    "description",
    "quantity",
    "unit_price",
    "account_id",
    "tax_rate_id",
)
EXPENSE_LINE_FIELDS = ("item_id", "description", "amount", "account_id", "tax_rate_id")
SPARE_ROWS = 2  # empty rows after a draft's lines, for new ones
NEW_FORM_ROWS = 3  # empty rows a new draft starts with
MAX_SPARE_ROWS = 20
_LINE_KEY = re.compile(r"^lines-(\d{1,3})-([a-z_]+)$")
_ALLOCATE_KEY = re.compile(r"^allocate-(\d{1,10})$")
# What a credit note's allocation names: an invoice (sales) or a bill (purchase).
CREDIT_DOCUMENT_KEYS = {"sales": "invoice_id", "purchase": "expense_id"}


@dataclass
class DraftForm:
    """What the edit page shows: field values as strings, line rows, and errors by field."""

    values: dict[str, str]
    lines: list[dict[str, str]]
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    spare: int = SPARE_ROWS  # the empty rows shown after the lines, for new ones
    # The service's name for a part of the form (``allocations[0]``) → the field showing it
    # (``allocate-12``), where the service's list differs from the form's rows.
    aliases: dict[str, str] = field(default_factory=dict)
    # A field → its label, where field_label has none (``allocate-12``: "Amount applied to …").
    labels: dict[str, str] = field(default_factory=dict)

    def error_list(self) -> list[tuple[str, str]]:
        """The errors as (label a person reads, message): ``lines[0].amount`` is "Line 1 amount"."""
        return [
            (self.labels.get(key) or field_label(key), message)
            for key, message in self.errors.items()
        ]

    def field_errors(self, errors: dict[str, str]) -> dict[str, str]:
        """The service's errors by the form's field names (see ``aliases``)."""
        out: dict[str, str] = {}
        for key, message in errors.items():
            name = next(
                (a for p, a in self.aliases.items() if key == p or key.startswith(p + ".")), key
            )
            out.setdefault(name, message)
        return out

    def with_spare_rows(self, fields: tuple[str, ...]) -> DraftForm:
        blank = [dict.fromkeys(fields, "") for _ in range(self.spare)]
        return dataclasses.replace(self, lines=self.lines + blank)


_LABELS = {
    "contact_id": "Customer or vendor",
    "payment_account_id": "Paid from",
    "account_id": "account",
    "unit_price": "unit price",
    "tax_rate_id": "tax rate",
    "item_id": "item",
    "tax_mode": "Amounts",
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


def _indices(form: FormData) -> list[int]:
    return sorted({int(m.group(1)) for key in form if (m := _LINE_KEY.match(key)) is not None})


def _rows(form: FormData, fields: tuple[str, ...]) -> list[dict[str, str]]:
    removed = _removed_row(form)
    rows = [
        {f: _text(form, f"lines-{i}-{f}") for f in fields} for i in _indices(form) if i != removed
    ]
    return [row for row in rows if any(row.values())]


def _removed_row(form: FormData) -> int | None:
    value = _text(form, "remove_line")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else None


def line_action(form: FormData) -> bool:
    """Whether the form was submitted to add or remove a line row rather than to be saved.

    Either way the submitted form is shown again (``_rows`` has dropped a removed row); for
    "Add line" it comes back with one more empty row than it was sent with."""
    return "add_line" in form or "show_open" in form or _removed_row(form) is not None


def _spare(form: FormData, rows: list[dict[str, str]]) -> int:
    """Empty rows to show again: after "Add line", one more than were sent empty (the form
    grows by one row); else the usual few."""
    if "add_line" not in form:
        return SPARE_ROWS
    sent_empty = len(_indices(form)) - len(rows)
    return min(MAX_SPARE_ROWS, sent_empty + 1)


def select_id(value: str) -> int | str | None:
    """An id from a <select>: an int when it is one; anything else (also a number no row can have)
    goes to the service as is, which reports it as invalid for that field."""
    if not value:
        return None
    if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_DB_ID:
        return int(value)
    return value


def _priced_rows(document: Invoice | CreditNote) -> list[dict[str, str]]:
    """An invoice's or credit note's lines as the form's rows."""
    return [
        {
            "description": line.description,
            "quantity": format(Decimal(line.quantity).normalize(), "f"),
            "unit_price": format_minor(line.unit_price, document.currency),
            "account_id": str(line.account_id),
            "tax_rate_id": str(line.tax_rate_id or ""),
            "item_id": str(line.item_id or ""),
        }
        for line in document.lines
    ]


def _priced_lines(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Priced rows (quantity x unit price) as the service takes them."""
    return [
        {
            "description": row["description"],
            "quantity": row["quantity"] or "1",
            "unit_price": row["unit_price"],
            "account_id": select_id(row["account_id"]),
            "tax_rate_id": select_id(row["tax_rate_id"]),
            "item_id": select_id(row["item_id"]),
        }
        for row in rows
    ]


def invoice_form(invoice: Invoice) -> DraftForm:
    return DraftForm(
        values={
            "contact_id": str(invoice.contact_id),
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "memo": invoice.memo,
            "tax_mode": invoice.tax_mode,
            "version": str(invoice.version),
        },
        lines=_priced_rows(invoice),
    )


def invoice_changes(form: FormData) -> tuple[DraftForm, dict[str, Any]]:
    """The submitted form (to re-display on error) and the changes for the service."""
    values = {
        k: _text(form, k)
        for k in ("contact_id", "issue_date", "due_date", "memo", "tax_mode", "version")
    }
    rows = _rows(form, INVOICE_LINE_FIELDS)
    changes: dict[str, Any] = {
        "contact_id": select_id(values["contact_id"]),
        "issue_date": values["issue_date"],
        "due_date": values["due_date"],
        "memo": values["memo"],
        "tax_mode": values["tax_mode"] or "exclusive",
        "lines": _priced_lines(rows),
    }
    return DraftForm(values, rows, spare=_spare(form, rows)), changes


def new_invoice_form(today: dt.date, contact_id: str = "") -> DraftForm:
    """A blank invoice: issued today, due by the customer's terms unless a date is given."""
    values = {"contact_id": contact_id, "issue_date": today.isoformat(), "due_date": ""}
    return DraftForm(
        {**values, "memo": "", "tax_mode": "exclusive", "version": ""}, [], spare=NEW_FORM_ROWS
    )


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
            "tax_mode": expense.tax_mode,
            "version": str(expense.version),
        },
        lines=[
            {
                "description": line.description,
                "amount": format_minor(line.amount, cur),
                "account_id": str(line.account_id),
                "tax_rate_id": str(line.tax_rate_id or ""),
                "item_id": str(line.item_id or ""),
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
        "tax_mode",
        "version",
    )
    values = {k: _text(form, k) for k in keys}
    rows = _rows(form, EXPENSE_LINE_FIELDS)
    kind = values["kind"] or "expense"
    changes: dict[str, Any] = {
        "kind": kind,
        "contact_id": select_id(values["contact_id"]),
        "date": values["date"],
        "description": values["description"],
        "reference": values["reference"],
        "tax_mode": values["tax_mode"] or "exclusive",
        "lines": [
            {
                "description": row["description"],
                "amount": row["amount"],
                "account_id": select_id(row["account_id"]),
                "tax_rate_id": select_id(row["tax_rate_id"]),
                "item_id": select_id(row["item_id"]),
            }
            for row in rows
        ],
    }
    # Only the fields the kind uses: a bill has a due date, an expense a bank account.
    if kind == "bill":
        changes["due_date"] = values["due_date"] or None
    else:
        changes["payment_account_id"] = select_id(values["payment_account_id"])
    return DraftForm(values, rows, spare=_spare(form, rows)), changes


def new_expense_form(kind: str, today: dt.date, contact_id: str = "") -> DraftForm:
    """A blank expense (paid from the default bank account) or bill (due by the vendor's terms),
    dated today."""
    keys = ("due_date", "payment_account_id", "description", "reference", "version")
    values = {
        "kind": kind,
        "contact_id": contact_id,
        "date": today.isoformat(),
        "tax_mode": "exclusive",
    }
    return DraftForm({**values, **dict.fromkeys(keys, "")}, [], spare=NEW_FORM_ROWS)


_CREDIT_KEYS = ("contact_id", "date", "reference", "memo", "tax_mode", "version")


def credit_form(note: CreditNote) -> DraftForm:
    """A draft credit note (or vendor credit) as its form shows it, proposals included."""
    values = {
        "contact_id": str(note.contact_id),
        "date": note.date.isoformat(),
        "reference": note.reference,
        "memo": note.memo,
        "tax_mode": note.tax_mode,
        "version": str(note.version),
    }
    for a in note.allocations:
        values[f"allocate-{a.invoice_id or a.expense_id}"] = format_minor(a.amount, note.currency)
    return DraftForm(values, _priced_rows(note))


def credit_changes(form: FormData, kind: str) -> tuple[DraftForm, dict[str, Any]]:
    """The submitted credit note (``kind`` sales or purchase) and the changes for the service:
    its lines, and an allocation for each open document given an amount, in the form's order.
    Allocations are dated by the service (the later of the two documents' dates)."""
    values = {k: _text(form, k) for k in _CREDIT_KEYS}
    rows = _rows(form, INVOICE_LINE_FIELDS)
    allocations: list[dict[str, Any]] = []
    aliases: dict[str, str] = {}
    for key in form:
        if (m := _ALLOCATE_KEY.match(key)) is None or key in values:
            continue
        values[key] = amount = _text(form, key)
        if amount:
            aliases[f"allocations[{len(allocations)}]"] = key
            document_id = select_id(m.group(1))
            allocations.append({CREDIT_DOCUMENT_KEYS[kind]: document_id, "amount": amount})
    changes: dict[str, Any] = {
        "contact_id": select_id(values["contact_id"]),
        "date": values["date"],
        "reference": values["reference"],
        "memo": values["memo"],
        "tax_mode": values["tax_mode"] or "exclusive",
        "lines": _priced_lines(rows),
        "allocations": allocations,
    }
    return DraftForm(values, rows, spare=_spare(form, rows), aliases=aliases), changes


def new_credit_form(
    today: dt.date, contact_id: str = "", source: Invoice | Expense | None = None
) -> DraftForm:
    """A blank credit note dated today; from an invoice or bill (``source``), its contact and
    lines copied (a bill's amounts as unit prices), and what is due on it applied to it."""
    values = {"contact_id": contact_id, "date": today.isoformat(), "tax_mode": "exclusive"}
    values |= dict.fromkeys(("reference", "memo", "version"), "")
    if source is None:
        return DraftForm(values, [], spare=NEW_FORM_ROWS)
    cur = source.currency
    values |= {"contact_id": str(source.contact_id or ""), "tax_mode": source.tax_mode}
    if isinstance(source, Invoice):
        values["reference"] = source.number
        rows = _priced_rows(source)
    else:
        values["reference"] = source.reference
        rows = [
            {
                "description": line.description,
                "quantity": "1",
                "unit_price": format_minor(line.amount, cur),
                "account_id": str(line.account_id),
                "tax_rate_id": str(line.tax_rate_id or ""),
            }
            for line in source.lines
        ]
    if source.status in ("approved", "partially_paid") and amount_due(source) > 0:
        values[f"allocate-{source.id}"] = format_minor(amount_due(source), cur)
    return DraftForm(values, rows)


def form_version(form: FormData) -> int | None:
    value = _text(form, "version")
    return int(value) if value.isdigit() else None
