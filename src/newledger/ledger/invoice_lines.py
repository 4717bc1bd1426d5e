"""Invoice lines (quantity x unit price, rounded half-even), per-company numbering, and the
JSON-ready form of an invoice."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newledger.errors import Conflict, NotFound, ValidationFailed
from newledger.identity.models import Company
from newledger.ledger._common import document_amounts, document_state, load_account, parse_quantity
from newledger.ledger.chart import account_by_code
from newledger.ledger.items import item_defaults
from newledger.ledger.models import Contact, CreditNote, CreditNoteLine, Invoice, InvoiceLine
from newledger.ledger.tax import DocumentTax
from newledger.ledger.tax_rates import apply_tax
from newledger.money import check_bounded, format_minor, parse_amount

__all__ = [
    "DEFAULT_INCOME_CODE",
    "NUMBER_PREFIX",
    "build_invoice_lines",
    "default_income_account",
    "insert_numbered",
    "invoice_dict",
    "invoice_line_input",
    "next_invoice_number",
]

DEFAULT_INCOME_CODE = "4000"
NUMBER_PREFIX = "INV-"
_NUMBERING_LOCK = 0x4E4C_494E  # "NLIN": the advisory-lock namespace for invoice numbers
# Other numbered documents lock their own keys next to it.
_PREFIX_LOCKS = {"CN-": 1, "VC-": 2}
Numbered = type[Invoice] | type[CreditNote]
_Row = TypeVar("_Row", Invoice, CreditNote)


def build_invoice_lines(
    session: Session,
    company: Company,
    contact: Contact,
    currency: str,
    raw_lines: Any,
    tax_mode: str = "exclusive",
    *,
    side: str = "income",
    noun: str = "invoice",
) -> tuple[list[dict[str, Any]], DocumentTax]:
    """Validate ``[{description, quantity, unit_price, account_id?, tax_rate_id?, item_id?,
    item_code?}]`` into invoice line values, with each line's tax, and the invoice's figures.
    A line naming an item (by id or code) takes what it leaves out from the item
    (``newledger.ledger.items``).

    A line's amount is quantity x unit price, rounded half-even to the currency's minor unit;
    its tax follows ``tax_mode`` and the company's rounding rule (``newledger.ledger.tax``).

    ``side`` ``expense`` prices lines the same way against expense accounts and purchase tax
    rates (a vendor credit's lines); ``noun`` names the document in refusals.
    """
    company_id = company.id
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ValidationFailed(f"A {noun} needs at least one line", errors={"lines": "required"})
    default_account_id: int | None = None
    lines: list[dict[str, Any]] = []
    for i, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            raise ValidationFailed(f"Line {i + 1} is not an object", errors={f"lines[{i}]": "?"})
        raw = item_defaults(session, company, raw, i, side, price_key="unit_price")
        qty = parse_quantity(raw.get("quantity", "1"), f"lines[{i}].quantity")
        price_raw = raw.get("unit_price")
        if price_raw is None or price_raw == "":
            raise ValidationFailed(
                f"Line {i + 1} needs a unit price", errors={f"lines[{i}].unit_price": "required"}
            )
        unit_price = parse_amount(price_raw, currency, field=f"lines[{i}].unit_price")
        account_id = raw.get("account_id")
        if account_id is None:
            if default_account_id is None:
                default_account_id = _default_account(session, company_id, contact, side)
            account_id = default_account_id
        load_account(session, company_id, account_id, types=(side,), field=f"lines[{i}].account_id")
        amount = check_bounded(
            int((qty * unit_price).to_integral_value(rounding=ROUND_HALF_EVEN)),
            f"lines[{i}].amount",
            f"Line {i + 1} (quantity x unit price)",
        )
        description = str(raw.get("description") or "").strip()
        if len(description) > 500:
            raise ValidationFailed(
                "Description too long", errors={f"lines[{i}].description": "at most 500"}
            )
        lines.append(
            {
                "company_id": company_id,
                "position": i,
                "description": description,
                "quantity": qty,
                "unit_price": unit_price,
                "amount": amount,
                "account_id": account_id,
                "tax_rate_id": raw.get("tax_rate_id"),
                "item_id": raw.get("item_id"),
            }
        )
    figures = apply_tax(
        session, company, lines, tax_mode, "sales" if side == "income" else "purchase"
    )
    if figures.total <= 0:
        raise ValidationFailed(f"The {noun} total must be more than zero", errors={"lines": "<= 0"})
    check_bounded(figures.total, "lines", f"The {noun} total")
    return lines, figures


def _default_account(session: Session, company_id: int, contact: Contact, side: str) -> Any:
    """What a line that names no account posts to: income lines, the contact's income account
    or 4000 Sales; expense lines, the contact's expense account (else the line must say)."""
    if side == "income":
        return default_income_account(session, company_id, contact)
    if contact.default_account_id is not None:
        return contact.default_account_id
    return None


def default_income_account(session: Session, company_id: int, contact: Contact) -> int:
    if contact.default_account_id is not None:
        try:
            return load_account(
                session, company_id, contact.default_account_id, types=("income",)
            ).id
        except (NotFound, ValidationFailed):
            pass  # a vendor-style default (an expense account) does not apply to invoices
    return account_by_code(session, company_id, DEFAULT_INCOME_CODE).id


def next_invoice_number(
    session: Session,
    company_id: int,
    model: Numbered = Invoice,
    prefix: str = NUMBER_PREFIX,
) -> str:
    """The next number of ``model`` (invoices ``INV-00001``…; credit notes and vendor credits
    have prefixes of their own) in the company: the highest so far plus one."""
    column = model.__table__.c.number
    last = session.scalar(
        select(column)
        .where(model.__table__.c.company_id == company_id, column.like(f"{prefix}%"))
        .order_by(func.length(column).desc(), column.desc())
        .limit(1)
    )
    n = 0
    if last is not None:
        digits = last[len(prefix) :]
        n = int(digits) if digits.isdigit() else 0
    return f"{prefix}{n + 1:05d}"


def insert_numbered(
    session: Session,
    company_id: int,
    build: Callable[[str], _Row],
    *,
    model: Numbered = Invoice,
    prefix: str = NUMBER_PREFIX,
) -> _Row:
    """Insert with the next number (max + 1 inside the transaction).

    On PostgreSQL a transaction-scoped advisory lock per company (and prefix) serialises
    numbering, so concurrent drafts queue for a moment instead of colliding; SQLite serialises
    writers anyway. The unique (company_id, number) constraint stays the backstop: a collision
    (say, with a row written outside this function) retries in a savepoint with a fresh number.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = _NUMBERING_LOCK + _PREFIX_LOCKS.get(prefix, 0)
        session.execute(select(func.pg_advisory_xact_lock(key, company_id)))
    for _attempt in range(8):
        row = build(next_invoice_number(session, company_id, model, prefix))
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            continue
    raise Conflict("Could not allocate a number; retry", code="number_conflict")


def invoice_line_input(line: InvoiceLine | CreditNoteLine, currency: str) -> dict[str, Any]:
    """A priced line (an invoice's or a credit note's) as a draft edit sends it back."""
    return {
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": format_minor(line.unit_price, currency),
        "account_id": line.account_id,
        "tax_rate_id": line.tax_rate_id,
        "item_id": line.item_id,
    }


def invoice_dict(invoice: Invoice) -> dict[str, Any]:
    """An invoice as JSON-ready data; amounts are decimal strings in its currency."""
    cur = invoice.currency
    return {
        "id": invoice.id,
        "number": invoice.number,
        "contact_id": invoice.contact_id,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "currency": cur,
        **document_amounts(invoice),
        "memo": invoice.memo,
        **document_state(invoice),
        "lines": [
            {
                "description": line.description,
                "quantity": format(Decimal(line.quantity).normalize(), "f"),
                "unit_price": format_minor(line.unit_price, cur),
                "amount": format_minor(line.amount, cur),
                "account_id": line.account_id,
                "tax_rate_id": line.tax_rate_id,
                "tax_amount": format_minor(line.tax_amount, cur),
                "item_id": line.item_id,
            }
            for line in invoice.lines
        ],
    }
