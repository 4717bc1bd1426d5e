"""Settings → Items: the company's products and services, whose defaults (description, unit
price, income or expense account, tax rate) fill the invoice and bill lines that name them.

Everyone who reads the chart (``accounts:read``) sees the list; adding, editing, archiving and
restoring items is a person's job (``ledger:post``, as in ``ledger.items``). The pages hold no
rules: every check is the service's, and a refused form comes back with what was typed and each
field's message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from newledger.errors import Conflict, NotFound, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger.accounts import AccountFilters, list_accounts
from newledger.ledger.items import ItemFilters, get_item, list_items, update_item
from newledger.ledger.items import create_item as create_item_service
from newledger.ledger.models import Item
from newledger.ledger.tax_rates import TaxRateFilters, list_tax_rates
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.errors import PageError
from newledger.web.pager import choices, page_link_errors, page_request, pager
from newledger.web.views.appconnect.shared import settings_page
from newledger.web.views.ledger._common import (
    account_names,
    posted_form,
    tax_rate_label,
    tax_rate_names,
)
from newledger.web.views.ledger.forms import form_version, select_id

__all__ = ["item_price", "router"]

router = web_router()
BASE = "/settings/items"
_read = require_permission(Permission.ACCOUNTS_READ)
_post = require_permission(Permission.ACCOUNTS_READ, Permission.LEDGER_POST)
FIELDS = (
    "code",
    "name",
    "description",
    "unit_price",
    "income_account_id",
    "expense_account_id",
    "tax_rate_id",
)
_ID_FIELDS = ("income_account_id", "expense_account_id", "tax_rate_id")
STATUSES = ("active", "archived")
_CHECK = "Check the fields marked below."
Options = list[tuple[int, str]]


def item_price(price: Decimal | None) -> str:
    """A default unit price as people type it: ``49.99``, ``120`` (never ``1.2E+2``)."""
    return "" if price is None else format(Decimal(price).normalize(), "f")


def _form_of(item: Item) -> dict[str, str]:
    values = {
        "code": item.code,
        "name": item.name,
        "description": item.description,
        "unit_price": item_price(item.unit_price),
        "version": str(item.version),
    }
    return values | {key: str(getattr(item, key) or "") for key in _ID_FIELDS}


def _submitted(form: FormData) -> dict[str, str]:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return {key: text(key) for key in (*FIELDS, "version")}


def _changes(form: Mapping[str, str]) -> dict[str, Any]:
    """The service's values for a submitted form: an empty price or choice means none."""
    changes: dict[str, Any] = {k: form[k] for k in ("code", "name", "description")}
    changes["unit_price"] = form["unit_price"] or None
    return changes | {key: select_id(form[key]) for key in _ID_FIELDS}


def _with_current(options: Options, current: str, names: Mapping[int, str]) -> Options:
    """``options`` plus the value an item holds when it is no longer offered (an archived
    account or rate), so editing the item's other fields does not drop it unseen."""
    chosen = select_id(current)
    if not isinstance(chosen, int) or any(i == chosen for i, _ in options):
        return options
    return [*options, (chosen, f"{names.get(chosen, chosen)} (archived)")]


def _choices(ctx: WebContext, form: Mapping[str, str]) -> dict[str, Options]:
    """What each of the form's selects offers: active income and expense accounts, and the
    active tax rates of either side."""
    assert ctx.company is not None
    names = account_names(ctx.db, ctx.company.id)
    out: dict[str, Options] = {}
    for key, kind in (("income_account_id", "income"), ("expense_account_id", "expense")):
        accounts = list_accounts(ctx.db, ctx.actor, AccountFilters(type=kind), choices("code"))
        options = [(a.id, f"{a.code} {a.name}") for a in accounts.items]
        out[key] = _with_current(options, form.get(key, ""), names)
    rates = list_tax_rates(ctx.db, ctx.actor, TaxRateFilters(), choices("name")).items
    out["tax_rate_id"] = _with_current(
        [(r.id, f"{tax_rate_label(r.name, r.rate)}, {r.kind}") for r in rates],
        form.get("tax_rate_id", ""),
        tax_rate_names(ctx.db, ctx.company.id),
    )
    return out


def _list_page(
    request: Request,
    ctx: WebContext,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    assert ctx.company is not None
    q = request.query_params
    filters = {"status": q.get("status", "").strip(), "q": q.get("q", "").strip()}
    filter_errors: dict[str, str] = {}
    if filters["status"] and filters["status"] not in STATUSES:
        filter_errors["status"] = "Choose active or archived."
    asked = page_request(request, "code")
    wanted = ItemFilters(archived_only=filters["status"] == "archived", search=filters["q"] or None)
    with page_link_errors():
        page = list_items(ctx.db, ctx.actor, wanted, asked)
    can_edit = ctx.can(Permission.LEDGER_POST)
    form = form or dict.fromkeys((*FIELDS, "version"), "")
    return settings_page(
        request,
        "settings/items.html",
        ctx,
        status=422 if errors or error or filter_errors else 200,
        items=page.items,
        prices={item.id: item_price(item.unit_price) for item in page.items},
        accounts=account_names(ctx.db, ctx.company.id),
        tax_rates=tax_rate_names(ctx.db, ctx.company.id),
        filters=filters,
        filter_errors=filter_errors,
        statuses=STATUSES,
        pager=pager(BASE, filters, asked, page),
        can_edit=can_edit,
        form=form,
        options=_choices(ctx, form) if can_edit else {},
        errors=errors or {},
        error=error,
        done=q.get("done", ""),
    )


def _edit_page(
    request: Request,
    ctx: WebContext,
    item: Item,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    return settings_page(
        request,
        "settings/item_edit.html",
        ctx,
        status=status,
        item=item,
        form=form,
        options=_choices(ctx, form),
        errors=errors or {},
        error=error,
    )


def _save(ctx: WebContext, write: Callable[[], object]) -> tuple[dict[str, str], str, int] | None:
    """Run ``write`` and commit; or roll back and say what was wrong: the errors by field, the
    message above the form, and the status to answer with."""
    try:
        write()
    except ValidationFailed as exc:
        ctx.db.rollback()
        return exc.errors, _CHECK if exc.errors else exc.message, 422
    except NotFound as exc:
        # An account or rate chosen on the form is gone (or never was this company's).
        ctx.db.rollback()
        return {}, f"{exc.message}. Choose another and save again.", 422
    except Conflict as exc:
        ctx.db.rollback()
        if exc.code == "item_code_taken":
            return {"code": "another item has this code"}, _CHECK, 422
        return {}, exc.message, 409  # edited meanwhile: the message says to reload
    ctx.db.commit()
    return None


@router.get(BASE)
def items_page(request: Request, ctx: WebContext = Depends(_read)) -> Response:
    return _list_page(request, ctx)


@router.post(BASE)
def add_item(
    request: Request, posted: FormData = Depends(posted_form), ctx: WebContext = Depends(_post)
) -> Response:
    form = _submitted(posted)
    refused = _save(ctx, lambda: create_item_service(ctx.db, ctx.actor, **_changes(form)))
    if refused is not None:
        errors, error, _ = refused
        return _list_page(request, ctx, form=form, errors=errors, error=error)
    return RedirectResponse(f"{BASE}?done=added", status_code=303)


@router.get(BASE + "/{item_id}")
def edit_item_page(request: Request, item_id: int, ctx: WebContext = Depends(_post)) -> Response:
    item = get_item(ctx.db, ctx.actor, item_id)
    return _edit_page(request, ctx, item, _form_of(item))


@router.post(BASE + "/{item_id}")
def edit_item(
    request: Request,
    item_id: int,
    posted: FormData = Depends(posted_form),
    ctx: WebContext = Depends(_post),
) -> Response:
    before = _form_of(get_item(ctx.db, ctx.actor, item_id))
    form = _submitted(posted)
    # Only what the person changed: the activity log then says which fields moved.
    changes = {k: v for k, v in _changes(form).items() if form[k] != before[k]}
    version = form_version(posted)

    def write() -> None:
        if changes:
            update_item(ctx.db, ctx.actor, item_id, changes, expected_version=version)

    refused = _save(ctx, write)
    if refused is not None:
        errors, error, status = refused
        item = get_item(ctx.db, ctx.actor, item_id)
        return _edit_page(request, ctx, item, form, errors=errors, error=error, status=status)
    return RedirectResponse(f"{BASE}?done=saved", status_code=303)


@router.post(BASE + "/{item_id}/{action}")
def archive_or_restore(
    request: Request, item_id: int, action: str, ctx: WebContext = Depends(_post)
) -> Response:
    if action not in ("archive", "restore"):
        raise PageError(404, "Not found", "There is no such action.")
    update_item(ctx.db, ctx.actor, item_id, {"is_active": action == "restore"})
    ctx.db.commit()
    # Back to the list it was on: an item is archived from the active ones, restored from the
    # archived ones.
    where = "?status=archived&" if action == "restore" else "?"
    return RedirectResponse(f"{BASE}{where}done={action}d", status_code=303)
