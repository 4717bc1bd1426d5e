"""``/expenses``: expenses and bills; create, edit and delete *drafts* (``expenses:draft``).

``kind=expense`` is paid at once from a bank account; ``kind=bill`` is owed to a vendor. Drafts
made here carry source ``api`` and the app's name and wait in the review queue.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.etag import IfMatchHeader, etag, if_match_write
from newledger.appconnect.api.idempotency import Created, IdempotencyKeyHeader, run_create
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import (
    MAX_ID,
    TEXT_PATTERN,
    Amount,
    CurrencyCode,
    Day,
    DbId,
    IdPath,
    ItemCode,
    StrictBody,
)
from newledger.appconnect.api.schemas import Page as PageModel
from newledger.identity.permissions import Permission
from newledger.ledger import expense_list
from newledger.ledger.expense_list import ExpenseFilters, expense_summary
from newledger.ledger.expenses import (
    create_draft_expense,
    delete_draft_expense,
    expense_dict,
    expense_version,
    get_expense,
    update_draft_expense,
)
from newledger.ledger.models import Expense
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Expenses"])

Kind = Literal["expense", "bill"]
ExpenseStatus = Literal["draft", "approved", "partially_paid", "paid", "voided", "rejected"]
Description = Annotated[str, Field(max_length=500, pattern=TEXT_PATTERN)]
Reference = Annotated[str, Field(max_length=100, pattern=TEXT_PATTERN)]
# Fields that may be cleared with null on update; the others ignore null.
_NULLABLE = frozenset({"contact_id", "due_date", "payment_account_id"})


class ExpenseLineIn(StrictBody):
    description: Description = ""
    amount: Amount | None = Field(
        default=None, description="Required unless the line's item has a unit price."
    )
    account_id: DbId | None = Field(
        default=None, description="An expense account; required unless the item has one."
    )
    tax_rate_id: DbId | None = Field(
        default=None,
        description="A purchase (or both) tax rate from `/tax-rates`; default: the item's; "
        "none: no tax.",
    )
    item_id: DbId | None = Field(
        default=None, description="An item from `/items`: its defaults fill what the line omits."
    )
    item_code: ItemCode | None = Field(
        default=None,
        description="Or the item's `code` (what a CRM or shop sends) instead of its id; with "
        "both, they must name the same item. An unknown code is a 422 `unknown_item`.",
    )


TaxMode = Literal["exclusive", "inclusive"]
TAX_MODE_HELP = (
    "exclusive (default): amounts are net, tax is added; inclusive: amounts include it "
    "(as on a receipt)."
)


class ExpenseCreate(StrictBody):
    kind: Kind = "expense"
    date: Day
    contact_id: DbId | None = Field(default=None, description="The vendor; required for a bill.")
    due_date: Day | None = Field(default=None, description="Bills: default date + terms.")
    payment_account_id: DbId | None = Field(
        default=None, description="Expenses: the bank account's GL account (default: the first)."
    )
    currency: CurrencyCode | None = None
    description: Description = ""
    reference: Reference = ""
    tax_mode: TaxMode = Field(default="exclusive", description=TAX_MODE_HELP)
    lines: list[ExpenseLineIn] = Field(min_length=1, max_length=200)


class ExpenseUpdate(StrictBody):
    kind: Kind | None = None
    date: Day | None = None
    contact_id: DbId | None = None
    due_date: Day | None = None
    payment_account_id: DbId | None = None
    currency: CurrencyCode | None = None
    description: Description | None = None
    reference: Reference | None = None
    tax_mode: TaxMode | None = Field(default=None, description=TAX_MODE_HELP)
    lines: list[ExpenseLineIn] | None = Field(default=None, min_length=1, max_length=200)


class ExpenseLineOut(BaseModel):
    description: str
    amount: str
    account_id: int
    tax_rate_id: int | None
    tax_amount: str
    item_id: int | None


class ExpenseSummary(BaseModel):
    id: int
    kind: Kind
    contact_id: int | None
    contact_name: str | None
    date: dt.date
    due_date: dt.date | None
    payment_account_id: int | None
    currency: str
    status: ExpenseStatus
    total: str
    amount_paid: str
    amount_credited: str = Field(
        description="What credit notes applied to it took off; due = total - paid - credited"
    )
    amount_due: str
    description: str
    reference: str
    version: int
    source: str
    source_label: str
    journal_entry_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ExpenseOut(ExpenseSummary):
    tax_mode: TaxMode
    subtotal: str = Field(description="Net of tax; `total` = `subtotal` + `tax_total`.")
    tax_total: str
    rejected_reason: str
    lines: list[ExpenseLineOut]


async def expense_filters(
    status: ExpenseStatus | None = None,
    kind: Kind | None = None,
    contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
) -> ExpenseFilters:
    return ExpenseFilters(
        kind=kind, status=status, contact_id=contact_id, date_from=date_from, date_to=date_to
    )


def _detail(expense: Expense) -> dict[str, Any]:
    return {
        **expense_dict(expense),
        "contact_name": expense.contact.name if expense.contact else None,
        "created_at": expense.created_at.isoformat(),
        "updated_at": expense.updated_at.isoformat(),
    }


@router.get(
    "/expenses",
    operation_id="listExpenses",
    response_model=PageModel[ExpenseSummary],
    summary="List expenses and bills",
)
async def list_expenses(
    params: Annotated[PageRequest, Depends(list_params)],
    filters: Annotated[ExpenseFilters, Depends(expense_filters)],
    ctx: ApiContext = requires(Permission.EXPENSES_READ),
) -> Response:
    """Summaries (no lines) in `(updated_at, id)` order."""
    page = expense_list.list_expenses(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, expense_summary))


@router.get(
    "/expenses/{expense_id}",
    operation_id="getExpense",
    response_model=ExpenseOut,
    summary="One expense or bill",
)
async def get_one_expense(
    expense_id: IdPath, ctx: ApiContext = requires(Permission.EXPENSES_READ)
) -> Response:
    """With its lines. The `ETag` is what a draft update or delete sends as `If-Match`."""
    expense = get_expense(ctx.session, ctx.actor, expense_id)
    return ctx.respond(_detail(expense), headers={"ETag": etag(expense.version)})


@router.post(
    "/expenses",
    operation_id="createExpenseDraft",
    status_code=201,
    response_model=ExpenseOut,
    summary="Create a draft expense",
)
async def post_expense(
    body: ExpenseCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    ctx: ApiContext = requires(Permission.EXPENSES_DRAFT),
) -> Response:
    """The draft waits in the review queue, marked with this app; a person approves it."""

    def create() -> Created:
        expense = create_draft_expense(ctx.session, ctx.actor, **body.model_dump())
        headers = {"Location": f"/api/v1/expenses/{expense.id}", "ETag": etag(expense.version)}
        return 201, _detail(expense), headers

    return await run_create(ctx, idempotency_key, create)


@router.patch(
    "/expenses/{expense_id}",
    operation_id="updateExpenseDraft",
    response_model=ExpenseOut,
    summary="Update a draft expense",
)
async def patch_expense(
    expense_id: IdPath,
    body: ExpenseUpdate,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.EXPENSES_DRAFT),
) -> Response:
    """Send only the fields to change (`lines` replaces all lines) with `If-Match`;
    `contact_id`, `due_date` and `payment_account_id` may be cleared with null."""
    current = expense_version(ctx.session, ctx.actor, expense_id)
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in _NULLABLE
    }
    expense = if_match_write(
        if_match,
        current,
        lambda version: update_draft_expense(
            ctx.session, ctx.actor, expense_id, changes, expected_version=version
        ),
    )
    data = _detail(expense)
    ctx.session.commit()
    return ctx.respond(data, headers={"ETag": etag(expense.version)})


@router.delete(
    "/expenses/{expense_id}",
    operation_id="deleteExpenseDraft",
    status_code=204,
    summary="Delete a draft expense",
)
async def delete_expense(
    expense_id: IdPath,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.EXPENSES_DRAFT),
) -> Response:
    current = expense_version(ctx.session, ctx.actor, expense_id)
    if_match_write(
        if_match,
        current,
        lambda version: delete_draft_expense(
            ctx.session, ctx.actor, expense_id, expected_version=version
        ),
    )
    ctx.session.commit()
    return Response(status_code=204, headers=ctx.headers)
