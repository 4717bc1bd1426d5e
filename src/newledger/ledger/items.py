"""Items: the products and services a company sells or buys, whose defaults fill the invoice or
bill lines that name them (``item_id``).

An item has a code (unique in the company: what a CRM or shop sends), a name, a description, a
default unit price (a decimal in the document's currency, since an item has no currency of its
own), an income account (for invoice lines), an expense account (for expense and bill lines) and
a tax rate. A line that names an item takes from it whatever the line leaves out; what the line
says wins.

Permissions: reading items needs ``accounts:read`` (like tax rates, they are part of the chart
an integration maps to); creating and changing them needs ``ledger:post``, a person's permission
that is never delegated, because an item decides accounts and tax on what is posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import Conflict, NotFound, ValidationFailed
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
from newledger.ledger.models import Item, TaxRate
from newledger.money import MAX_MINOR, parse_decimal
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "ITEM_FIELDS",
    "ITEM_ORDERS",
    "ItemFilters",
    "count_items",
    "create_item",
    "get_item",
    "get_item_by_code",
    "item_defaults",
    "item_dict",
    "list_items",
    "update_item",
]

ITEM_FIELDS = frozenset(
    {
        "code",
        "name",
        "description",
        "unit_price",
        "income_account_id",
        "expense_account_id",
        "tax_rate_id",
        "is_active",
    }
)
ITEM_ORDERS: dict[str, Order] = {
    "changed": Order(Item.updated_at, Item.id),
    "code": Order(Item.code, Item.id),
    "name": Order(Item.name, Item.id),
}


@dataclass(frozen=True)
class ItemFilters:
    include_archived: bool = False
    archived_only: bool = False  # the archived ones alone (Settings → Items, "Archived")
    search: str | None = None  # code or name contains, any case


_LISTING = Listing(
    select(Item),
    Item.company_id == bindparam("company_id"),
    Item.updated_at,
    {
        "active": lambda v: Item.is_active == v,
        "pattern": lambda v: or_(func.lower(Item.code).like(v), func.lower(Item.name).like(v)),
    },
    ITEM_ORDERS,
    entities=True,
)


def _text(v: dict[str, Any], key: str, most: int, *, required: bool) -> str:
    value = v.get(key)
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(f"{key} must be a string", errors={key: "not a string"})
    if (required and not text) or len(text) > most:
        what = f"1 to {most}" if required else f"at most {most}"
        raise ValidationFailed(f"{key}: {what} characters", errors={key: f"{what} characters"})
    return text


def _clean(session: Session, company_id: int, v: dict[str, Any]) -> dict[str, Any]:
    price: Decimal | None = None
    if v.get("unit_price") not in (None, ""):
        price = parse_decimal(v["unit_price"], "unit_price")
        if price != price.quantize(Decimal("0.0001")) or abs(price) * 100 >= MAX_MINOR:
            raise ValidationFailed(
                "unit_price has at most 4 decimals and must be in range",
                errors={"unit_price": "at most 4 decimals, in range"},
            )
    accounts: dict[str, int | None] = {}
    for key, types in (("income_account_id", ("income",)), ("expense_account_id", ("expense",))):
        raw = v.get(key)
        accounts[key] = (
            None
            if raw is None
            else load_account(session, company_id, raw, types=types, field=key).id
        )
    rate_id = v.get("tax_rate_id")
    if rate_id is not None:
        if not isinstance(rate_id, int) or isinstance(rate_id, bool):
            raise ValidationFailed("tax_rate_id must be an integer", errors={"tax_rate_id": "?"})
        company_row(session, TaxRate, company_id, rate_id)
    return {
        "code": _text(v, "code", 30, required=True),
        "name": _text(v, "name", 200, required=True),
        "description": _text(v, "description", 500, required=False),
        "unit_price": price,
        **accounts,
        "tax_rate_id": rate_id,
    }


def _refuse_taken_code(session: Session, company_id: int, code: str, item_id: int = 0) -> None:
    taken = session.scalar(
        select(Item.id).where(Item.company_id == company_id, Item.code == code, Item.id != item_id)
    )
    if taken is not None:
        raise Conflict(f"An item with code {code!r} exists", code="item_code_taken")


def create_item(
    session: Session,
    actor: Actor,
    *,
    company_id: int | None = None,
    **values: Any,
) -> Item:
    """Create an item from ``ITEM_FIELDS`` (``code`` and ``name`` required; ``unit_price`` a
    decimal string). Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    unknown = sorted(set(values) - ITEM_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown field {', '.join(unknown)}", errors={k: "unknown" for k in unknown}
        )
    clean = _clean(session, company.id, values)
    _refuse_taken_code(session, company.id, clean["code"])
    item = Item(
        company_id=company.id, is_active=values.get("is_active") is not False, version=1, **clean
    )
    session.add(item)
    session.flush()
    record(
        session,
        Event.ITEM_CREATED,
        actor,
        subject_type="item",
        subject_id=item.id,
        details={"code": item.code, "name": item.name},
    )
    emit(session, company.id, EventType.ITEM_CREATED, item.id)
    return item


def update_item(
    session: Session,
    actor: Actor,
    item_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> Item:
    """Change any of ``ITEM_FIELDS`` (``is_active`` False archives: no new line may name it).
    Lines already written keep what they took. Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    item = company_row(session, Item, company.id, item_id, lock=True)
    check_version(item, expected_version)
    unknown = sorted(set(changes) - ITEM_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Cannot change {', '.join(unknown)}", errors={k: "not editable" for k in unknown}
        )
    current = {
        "code": item.code,
        "name": item.name,
        "description": item.description,
        "unit_price": None if item.unit_price is None else str(item.unit_price),
        "income_account_id": item.income_account_id,
        "expense_account_id": item.expense_account_id,
        "tax_rate_id": item.tax_rate_id,
    }
    clean = _clean(session, company.id, {**current, **changes})
    _refuse_taken_code(session, company.id, clean["code"], item.id)
    for key, value in clean.items():
        setattr(item, key, value)
    archived = changes.get("is_active") is False and item.is_active
    if "is_active" in changes:
        item.is_active = bool(changes["is_active"])
    item.version += 1
    flush_versioned(session, "item")
    event = Event.ITEM_ARCHIVED if archived else Event.ITEM_UPDATED
    record(
        session,
        event,
        actor,
        subject_type="item",
        subject_id=item.id,
        details={"code": item.code, "changed": sorted(changes), "version": item.version},
    )
    emit(
        session,
        company.id,
        EventType.ITEM_ARCHIVED if archived else EventType.ITEM_UPDATED,
        item.id,
    )
    return item


def get_item(
    session: Session, actor: Actor, item_id: int, *, company_id: int | None = None
) -> Item:
    """One item. Needs ``accounts:read``."""
    return readable_row(
        session, actor, Permission.ACCOUNTS_READ, Item, item_id, company_id=company_id
    )


def get_item_by_code(
    session: Session, actor: Actor, code: str, *, company_id: int | None = None
) -> Item:
    """The item with this code (archived or not), else ``NotFound`` ``unknown_item``. Needs
    ``accounts:read``."""
    actor.require(Permission.ACCOUNTS_READ)
    company = company_for(session, actor, company_id)
    item = _by_code(session, company.id, code.strip())
    if item is None:
        raise NotFound(f"No item with code {code.strip()!r}", code="unknown_item")
    return item


def _by_code(session: Session, company_id: int, code: str) -> Item | None:
    return session.scalar(select(Item).where(Item.company_id == company_id, Item.code == code))


def list_items(
    session: Session, actor: Actor, filters: ItemFilters, page: PageRequest
) -> Page[Item]:
    """One page of the company's items: the active ones, every one with ``include_archived``,
    the archived ones with ``archived_only``; ``search`` matches code or name. Needs
    ``accounts:read``."""
    actor.require(Permission.ACCOUNTS_READ)
    return _LISTING.page(session, actor.company_scope(), _item_params(filters), page)


def count_items(session: Session, actor: Actor, filters: ItemFilters) -> int:
    """How many items the filters keep (a list's total). Needs ``accounts:read``."""
    actor.require(Permission.ACCOUNTS_READ)
    return _LISTING.count(session, actor.company_scope(), _item_params(filters))


def _item_params(filters: ItemFilters) -> dict[str, Any]:
    search = (filters.search or "").strip().lower()
    active: bool | None = True
    if filters.archived_only:
        active = False
    elif filters.include_archived:
        active = None
    return {"active": active, "pattern": f"%{search}%" if search else None}


def _line_item(
    session: Session, company: Company, raw: dict[str, Any], index: int
) -> tuple[Item, str] | None:
    """The item a line names by ``item_id`` or ``item_code`` (what a CRM sends), and the field
    it was named by; ``None`` when it names none. Both given must agree."""
    item_id, code = raw.get("item_id"), raw.get("item_code")
    id_field, code_field = f"lines[{index}].item_id", f"lines[{index}].item_code"
    if item_id is not None and (not isinstance(item_id, int) or isinstance(item_id, bool)):
        raise ValidationFailed(f"{id_field} must be an integer", errors={id_field: "not an id"})
    if code is not None and not isinstance(code, str):
        raise ValidationFailed(
            f"{code_field} must be a string", errors={code_field: "not a string"}
        )
    code = code.strip() if code else None
    if code is None:
        if item_id is None:
            return None
        return company_row(session, Item, company.id, item_id), id_field
    item = _by_code(session, company.id, code)
    if item is None:
        raise ValidationFailed(
            f"Line {index + 1}: no item with code {code!r}",
            errors={code_field: "unknown item code"},
            code="unknown_item",
        )
    if item_id is not None and item_id != item.id:
        raise ValidationFailed(
            f"Line {index + 1}: item_code {code!r} is item {item.id}, not item_id {item_id}",
            errors={code_field: f"is item {item.id}, not item_id {item_id}"},
            code="item_mismatch",
        )
    return item, code_field


def item_defaults(
    session: Session,
    company: Company,
    raw: dict[str, Any],
    index: int,
    side: str,
    *,
    price_key: str | None = None,
) -> dict[str, Any]:
    """``raw`` (one line as sent) with what it leaves out taken from the item it names, if any,
    by ``item_id`` or by ``item_code``: description, unit price (invoice lines:
    ``unit_price``; expense lines: ``amount``), the account of ``side`` (``income`` or
    ``expense``) and the tax rate. The result names the item by ``item_id`` only (a code is
    resolved here, so every interface takes one). A line's own values win; an archived item,
    an unknown code (``unknown_item``) and an id and code that disagree are refused, each
    naming the line's field. ``price_key`` overrides where the price goes (a vendor credit's
    lines are priced like invoice lines)."""
    found = _line_item(session, company, raw, index)
    filled = {k: v for k, v in raw.items() if k != "item_code"}
    if found is None:
        return filled
    item, field = found
    if not item.is_active:
        raise ValidationFailed(f"Item {item.code} is archived", errors={field: "archived"})
    price_key = price_key or ("unit_price" if side == "income" else "amount")
    account = item.income_account_id if side == "income" else item.expense_account_id
    filled["item_id"] = item.id
    defaults: dict[str, Any] = {
        "description": item.description or item.name,
        price_key: None if item.unit_price is None else format(item.unit_price.normalize(), "f"),
        "account_id": account,
        "tax_rate_id": item.tax_rate_id,
    }
    for key, value in defaults.items():
        if filled.get(key) in (None, "") and value is not None:
            filled[key] = value
    return filled


def item_dict(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "description": item.description,
        "unit_price": None
        if item.unit_price is None
        else format(Decimal(item.unit_price).normalize(), "f"),
        "income_account_id": item.income_account_id,
        "expense_account_id": item.expense_account_id,
        "tax_rate_id": item.tax_rate_id,
        "is_active": item.is_active,
        "version": item.version,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }
