"""Pieces the ledger pages share: query-string parsing, the posted form, names for ids, and the
``money``, ``amount``, ``source`` and ``filesize`` template filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from fastapi import Request
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from newledger.ledger.models import Account, BankAccount, Contact, Item, TaxRate
from newledger.money import DEFAULT_LOCALE, display_money
from newledger.web.errors import MAX_DB_ID
from newledger.web.templating import templates

__all__ = [
    "account_names",
    "bank_choices",
    "bank_names",
    "contact_names",
    "date_param",
    "filesize",
    "int_param",
    "item_codes",
    "posted_form",
    "source_text",
    "tax_rate_label",
    "tax_rate_names",
]


@pass_context
def _money(context: Context, minor: int | None, currency: str) -> str:
    """``minor`` for people, in the current company's locale: ``$1,234.50``, ``1.234,50 €``,
    negatives as the locale's accounting style writes them. Form fields take
    ``money.format_minor`` (``1234.50``) instead, which is what they read back."""
    if minor is None:
        return ""
    company = getattr(context.get("ctx"), "company", None)
    return display_money(minor, currency, company.locale if company else DEFAULT_LOCALE)


def source_text(source: str, label: str) -> str:
    """Where a draft came from, in words: the app or connection by name, or the UI."""
    if source == "api":
        return f"API credential app · {label}" if label else "API credential app"
    if source == "mcp":
        return f"OAuth connection · {label}" if label else "OAuth connection"
    if source == "ui":
        return f"NewLedger UI · {label}" if label else "NewLedger UI"
    if source == "demo":
        return "Demo books"
    return f"Import · {label}" if label else "Import"


def filesize(size: int) -> str:
    """``532 bytes``, ``48 KB``, ``2.4 MB`` (1 KB = 1024 bytes)."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


templates.env.filters.setdefault("money", _money)
templates.env.globals.setdefault("today", dt.date.today)
templates.env.filters.setdefault("filesize", filesize)
templates.env.filters.setdefault("source_text", source_text)


async def posted_form(request: Request) -> FormData:
    """The submitted form, as a dependency: the view itself can then be a plain function, which
    runs in the thread pool (the services are synchronous)."""
    return await request.form()


def date_param(
    query: Mapping[str, str], name: str, errors: dict[str, str], default: dt.date | None = None
) -> dt.date | None:
    value = query.get(name, "").strip()
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = "Use a date like 2025-01-31."
        return default


def int_param(query: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        errors[name] = "Pick one from the list."
        return None
    # An id no integer column holds would make the database driver fail (a 500): refuse it here.
    if not 1 <= number <= MAX_DB_ID:
        errors[name] = "Pick one from the list."
        return None
    return number


def contact_names(session: Session, company_id: int, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Contact.id, Contact.name).where(
            Contact.company_id == company_id, Contact.id.in_(wanted)
        )
    )
    return {row.id: row.name for row in rows}


def account_names(session: Session, company_id: int) -> dict[int, str]:
    rows = session.execute(
        select(Account.id, Account.code, Account.name).where(Account.company_id == company_id)
    )
    return {row.id: f"{row.code} {row.name}" for row in rows}


def tax_rate_label(name: str, rate: Decimal) -> str:
    """A rate as people read it: ``State tax (7.25%)``, ``VAT (20%)`` (never ``2E+1``)."""
    return f"{name} ({format(Decimal(rate).normalize(), 'f')}%)"


def tax_rate_names(session: Session, company_id: int) -> dict[int, str]:
    """Tax rates as a document's lines name them, archived ones too."""
    rows = session.execute(
        select(TaxRate.id, TaxRate.name, TaxRate.rate).where(TaxRate.company_id == company_id)
    )
    return {row.id: tax_rate_label(row.name, row.rate) for row in rows}


def item_codes(session: Session, company_id: int, ids: Iterable[int | None]) -> dict[int, str]:
    """The codes of the items that lines name (archived ones too), by item id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Item.id, Item.code).where(Item.company_id == company_id, Item.id.in_(wanted))
    )
    return {row.id: row.code for row in rows}


def bank_names(session: Session, company_id: int) -> dict[int, str]:
    """Bank account names by bank account id (what payments name)."""
    rows = session.execute(
        select(BankAccount.id, BankAccount.name).where(BankAccount.company_id == company_id)
    )
    return {row.id: row.name for row in rows}


def bank_choices(session: Session, company_id: int, currency: str) -> list[tuple[int, str]]:
    """(bank account id, name) of the bank accounts holding ``currency``, by name: where a
    payment in that currency can go through."""
    rows = session.execute(
        select(BankAccount.id, BankAccount.name)
        .where(BankAccount.company_id == company_id, BankAccount.currency == currency)
        .order_by(BankAccount.name, BankAccount.id)
    )
    return [(row.id, row.name) for row in rows]
