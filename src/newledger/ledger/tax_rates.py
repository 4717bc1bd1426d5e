"""Tax rates (sales tax, VAT, GST) and the company's tax rounding rule.

A rate is charged on sales (``sales``), paid on purchases (``purchase``) or both (``both``), and
posts to one balance-sheet account: by default "Sales Tax Payable" (a liability: tax collected
and owed) for sales and both, "Input Tax Recoverable" (an asset: tax paid and reclaimable) for
purchases; the latter is added to the chart the first time a purchase rate needs it.

Permissions: reading rates needs ``accounts:read`` (they are part of the chart); creating and
changing them needs ``ledger:post``, a person's permission that is never delegated, because a
rate decides what is posted to the ledger. Once a rate is on a document line its percentage,
kind and account are fixed (documents keep their tax, and the sales tax report ties each rate to
its account); archive it and create another instead, as Xero asks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import Conflict, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.models import Company
from newledger.identity.permissions import Permission
from newledger.ledger._common import (
    check_version,
    company_for,
    company_row,
    flush_versioned,
    load_account,
    readable_row,
    require_poster,
)
from newledger.ledger.chart import INPUT_TAX_NAME, account_by_subtype
from newledger.ledger.models import Account, CreditNoteLine, ExpenseLine, InvoiceLine, TaxRate
from newledger.ledger.tax import ROUNDING_RULES, TAX_MODES, DocumentTax, TaxedAmount, compute_tax
from newledger.money import parse_decimal
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "TAX_RATE_FIELDS",
    "TAX_RATE_KINDS",
    "TAX_RATE_ORDERS",
    "TaxRateFilters",
    "apply_tax",
    "create_tax_rate",
    "get_tax_rate",
    "input_tax_account",
    "list_tax_rates",
    "parse_tax_mode",
    "set_tax_rounding",
    "tax_postings",
    "tax_rate_dict",
    "tax_rate_version",
    "update_tax_rate",
]

TAX_RATE_KINDS = ("sales", "purchase", "both")
TAX_RATE_FIELDS = frozenset({"name", "rate", "kind", "account_id", "is_active"})
# Fixed once a document line uses the rate.
_POSTING_FIELDS = frozenset({"rate", "kind", "account_id"})
_NOT_TAX_SUBTYPES = frozenset({"bank", "accounts_receivable", "accounts_payable"})

TAX_RATE_ORDERS: dict[str, Order] = {
    "changed": Order(TaxRate.updated_at, TaxRate.id),
    "name": Order(TaxRate.name, TaxRate.id),
}


@dataclass(frozen=True, slots=True)
class TaxRateFilters:
    kind: str | None = None  # sales or purchase also lists both
    include_archived: bool = False


_LISTING = Listing(
    select(TaxRate),
    TaxRate.company_id == bindparam("company_id"),
    TaxRate.updated_at,
    {
        "kind": lambda v: or_(TaxRate.kind == v, TaxRate.kind == "both"),
        "active": lambda v: TaxRate.is_active == v,
    },
    TAX_RATE_ORDERS,
    entities=True,
)


def input_tax_account(session: Session, company_id: int) -> Account:
    """The company's "Input Tax Recoverable" asset account, added to the chart (code 1400, or
    the next free 14xx code) the first time it is needed."""
    found = session.scalar(
        select(Account)
        .where(
            Account.company_id == company_id,
            Account.type == "asset",
            Account.name == INPUT_TAX_NAME,
            Account.is_active.is_(True),
        )
        .order_by(Account.code)
        .limit(1)
    )
    if found is not None:
        return found
    taken = set(session.scalars(select(Account.code).where(Account.company_id == company_id)))
    code = next((str(c) for c in range(1400, 1500) if str(c) not in taken), None)
    if code is None:
        raise Conflict("No free 14xx account code for input tax", code="account_code_taken")
    account = Account(
        company_id=company_id,
        code=code,
        name=INPUT_TAX_NAME,
        type="asset",
        subtype="current_asset",
        description="Tax paid on purchases, to be reclaimed",
    )
    session.add(account)
    session.flush()
    return account


def _clean(session: Session, company_id: int, v: dict[str, Any]) -> dict[str, Any]:
    name = str(v.get("name") or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("A tax rate needs a name", errors={"name": "1 to 100 characters"})
    rate = parse_decimal(v.get("rate"), "rate")
    if rate != rate.quantize(Decimal("0.0001")) or not 0 <= rate < 100:
        raise ValidationFailed(
            "rate is a percentage from 0 up to (not including) 100, with at most 4 decimals",
            errors={"rate": "0 <= rate < 100, at most 4 decimals"},
        )
    kind = v.get("kind") or "sales"
    if kind not in TAX_RATE_KINDS:
        raise ValidationFailed(
            "kind must be sales, purchase or both", errors={"kind": "sales, purchase or both"}
        )
    if v.get("account_id") is None:
        account = (
            input_tax_account(session, company_id)
            if kind == "purchase"
            else account_by_subtype(session, company_id, "tax")
        )
    else:
        account = load_account(session, company_id, v["account_id"], types=("asset", "liability"))
        if account.subtype in _NOT_TAX_SUBTYPES:
            raise ValidationFailed(
                f"Account {account.code} {account.name} cannot hold tax",
                errors={"account_id": "not a tax account"},
            )
    return {"name": name, "rate": rate, "kind": kind, "account_id": account.id}


def _refuse_taken_name(session: Session, company_id: int, name: str, rate_id: int = 0) -> None:
    taken = session.scalar(
        select(TaxRate.id).where(
            TaxRate.company_id == company_id, TaxRate.name == name, TaxRate.id != rate_id
        )
    )
    if taken is not None:
        raise Conflict(f"A tax rate named {name!r} exists", code="tax_rate_name_taken")


def create_tax_rate(
    session: Session,
    actor: Actor,
    *,
    name: str,
    rate: str | Decimal,
    kind: str = "sales",
    account_id: int | None = None,
    company_id: int | None = None,
) -> TaxRate:
    """Create a rate (``rate`` a percentage string: ``"7.25"``). Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    values = _clean(
        session, company.id, {"name": name, "rate": rate, "kind": kind, "account_id": account_id}
    )
    _refuse_taken_name(session, company.id, values["name"])
    tax_rate = TaxRate(company_id=company.id, is_active=True, version=1, **values)
    session.add(tax_rate)
    session.flush()
    record(
        session,
        Event.TAX_RATE_CREATED,
        actor,
        subject_type="tax_rate",
        subject_id=tax_rate.id,
        details={"name": tax_rate.name, "rate": str(tax_rate.rate), "kind": tax_rate.kind},
    )
    emit(session, company.id, EventType.TAX_RATE_CREATED, tax_rate.id)
    return tax_rate


def _in_use(session: Session, rate_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                or_(
                    exists().where(InvoiceLine.tax_rate_id == rate_id),
                    exists().where(ExpenseLine.tax_rate_id == rate_id),
                )
            )
        )
    )


def update_tax_rate(
    session: Session,
    actor: Actor,
    rate_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> TaxRate:
    """Change any of name, rate, kind, account_id, is_active (``False`` archives: no new line
    may use it). Rate, kind and account are refused once a document line uses the rate.
    Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    tax_rate = company_row(session, TaxRate, company.id, rate_id, lock=True)
    check_version(tax_rate, expected_version)
    unknown = sorted(set(changes) - TAX_RATE_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Cannot change {', '.join(unknown)}", errors={k: "not editable" for k in unknown}
        )
    current = {
        "name": tax_rate.name,
        "rate": str(tax_rate.rate),
        "kind": tax_rate.kind,
        "account_id": tax_rate.account_id,
    }
    values = _clean(session, company.id, {**current, **changes})
    moved = sorted(k for k in _POSTING_FIELDS if k in changes and values[k] != getattr(tax_rate, k))
    if moved and _in_use(session, tax_rate.id):
        raise Conflict(
            f"The rate {tax_rate.name!r} is used on documents, so its {', '.join(moved)} cannot "
            "change; archive it and create another",
            code="tax_rate_in_use",
        )
    _refuse_taken_name(session, company.id, values["name"], tax_rate.id)
    for key, value in values.items():
        setattr(tax_rate, key, value)
    archived = changes.get("is_active") is False and tax_rate.is_active
    if "is_active" in changes:
        tax_rate.is_active = bool(changes["is_active"])
    tax_rate.version += 1
    flush_versioned(session, "tax rate")
    record(
        session,
        Event.TAX_RATE_ARCHIVED if archived else Event.TAX_RATE_UPDATED,
        actor,
        subject_type="tax_rate",
        subject_id=tax_rate.id,
        details={"name": tax_rate.name, "changed": sorted(changes), "version": tax_rate.version},
    )
    emit(
        session,
        company.id,
        EventType.TAX_RATE_ARCHIVED if archived else EventType.TAX_RATE_UPDATED,
        tax_rate.id,
    )
    return tax_rate


def get_tax_rate(
    session: Session, actor: Actor, rate_id: int, *, company_id: int | None = None
) -> TaxRate:
    """One rate. Needs ``accounts:read``."""
    return readable_row(
        session, actor, Permission.ACCOUNTS_READ, TaxRate, rate_id, company_id=company_id
    )


def tax_rate_version(
    session: Session, actor: Actor, rate_id: int, *, company_id: int | None = None
) -> int | None:
    """The stored version of one of the company's rates (``None``: no such rate), which an
    update compares with ``If-Match``. Needs ``ledger:post``."""
    require_poster(actor)
    return session.scalar(
        select(TaxRate.version).where(
            TaxRate.company_id == actor.company_scope(company_id), TaxRate.id == rate_id
        )
    )


def list_tax_rates(
    session: Session, actor: Actor, filters: TaxRateFilters, page: PageRequest
) -> Page[TaxRate]:
    """One page of the company's rates, archived ones only with ``include_archived``. Needs
    ``accounts:read``."""
    actor.require(Permission.ACCOUNTS_READ)
    if filters.kind is not None and filters.kind not in TAX_RATE_KINDS:
        raise ValidationFailed("Unknown tax rate kind", errors={"kind": "unknown"})
    params = {
        "kind": filters.kind if filters.kind != "both" else None,
        "active": None if filters.include_archived else True,
    }
    return _LISTING.page(session, actor.company_scope(), params, page)


def set_tax_rounding(
    session: Session, actor: Actor, rounding: str, *, company_id: int | None = None
) -> Company:
    """Round tax per ``line`` (the default) or per ``document``; applies to documents drafted
    or edited from now on (a draft keeps the tax it was given). Needs ``company:manage``."""
    actor.require(Permission.COMPANY_MANAGE)
    company = company_for(session, actor, company_id)
    if rounding not in ROUNDING_RULES:
        raise ValidationFailed(
            "tax rounding is line or document", errors={"tax_rounding": "line or document"}
        )
    before = company.tax_rounding
    company.tax_rounding = rounding
    session.flush()
    record(
        session,
        Event.COMPANY_UPDATED,
        actor,
        subject_type="company",
        subject_id=company.id,
        details={"changed": {"tax_rounding": [before, rounding]}},
    )
    return company


def parse_tax_mode(value: Any) -> str:
    mode = value or "exclusive"
    if mode not in TAX_MODES:
        raise ValidationFailed(
            "tax_mode is exclusive or inclusive", errors={"tax_mode": "exclusive or inclusive"}
        )
    return str(mode)


def apply_tax(
    session: Session, company: Company, lines: list[dict[str, Any]], mode: str, side: str
) -> DocumentTax:
    """Check each line's ``tax_rate_id`` (a rate of this company, active, for ``side``: sales
    or purchase), then set each line's ``tax_amount`` by the company's rounding rule; returns
    the document's figures."""
    rates: dict[int, TaxRate] = {}
    taxed: list[TaxedAmount] = []
    for i, line in enumerate(lines):
        rate_id = line.get("tax_rate_id")
        if rate_id is None:
            taxed.append(TaxedAmount(line["amount"]))
            continue
        field = f"lines[{i}].tax_rate_id"
        if not isinstance(rate_id, int) or isinstance(rate_id, bool):
            raise ValidationFailed(f"{field} must be an integer", errors={field: "not an id"})
        if rate_id not in rates:
            rates[rate_id] = company_row(session, TaxRate, company.id, rate_id)
        tax_rate = rates[rate_id]
        if not tax_rate.is_active:
            raise ValidationFailed(
                f"Tax rate {tax_rate.name!r} is archived", errors={field: "archived"}
            )
        if tax_rate.kind not in (side, "both"):
            raise ValidationFailed(
                f"Tax rate {tax_rate.name!r} is not a {side} rate", errors={field: f"not {side}"}
            )
        taxed.append(TaxedAmount(line["amount"], Decimal(tax_rate.rate), rate_id))
    figures = compute_tax(taxed, mode, company.tax_rounding)
    for line, result in zip(lines, figures.lines, strict=True):
        line["tax_amount"] = result.tax
    return figures


def tax_postings(
    session: Session,
    company_id: int,
    lines: Sequence[InvoiceLine] | Sequence[ExpenseLine] | Sequence[CreditNoteLine],
) -> list[tuple[int, int, str]]:
    """A document's tax by posting account: ``(account_id, tax, label)`` in account order,
    leaving out accounts whose tax sums to zero. Positive tax; the caller signs it."""
    ids = {line.tax_rate_id for line in lines if line.tax_rate_id is not None and line.tax_amount}
    if not ids:
        return []
    rates = {
        r.id: r
        for r in session.scalars(
            select(TaxRate).where(TaxRate.company_id == company_id, TaxRate.id.in_(ids))
        )
    }
    by_account: dict[int, int] = defaultdict(int)
    names: dict[int, list[str]] = defaultdict(list)
    for line in lines:
        if line.tax_rate_id in rates and line.tax_amount:
            rate = rates[line.tax_rate_id]
            by_account[rate.account_id] += line.tax_amount
            if rate.name not in names[rate.account_id]:
                names[rate.account_id].append(rate.name)
    return [
        (account_id, tax, ", ".join(names[account_id])[:500])
        for account_id, tax in sorted(by_account.items())
        if tax != 0
    ]


def tax_rate_dict(tax_rate: TaxRate) -> dict[str, Any]:
    return {
        "id": tax_rate.id,
        "name": tax_rate.name,
        "rate": format(Decimal(tax_rate.rate).normalize(), "f"),
        "kind": tax_rate.kind,
        "account_id": tax_rate.account_id,
        "is_active": tax_rate.is_active,
        "version": tax_rate.version,
        "created_at": tax_rate.created_at.isoformat(),
        "updated_at": tax_rate.updated_at.isoformat(),
    }
