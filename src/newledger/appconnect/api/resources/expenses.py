"""``/expenses``: expenses and bills; create, edit and delete *drafts* (``expenses:draft``).

``kind=expense`` is paid at once from a bank account; ``kind=bill`` is owed to a vendor. Drafts
made here carry source ``api`` and the app's name and wait in the review queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.etag import IfMatchHeader, etag, expected_version, stale_to_412
from newledger.appconnect.api.idempotency import Created, IdempotencyKeyHeader, run_create
from newledger.appconnect.api.pagination import ListParams, Page, keyset_page, list_params
from newledger.appconnect.api.schemas import (
    MAX_ID,
    TEXT_PATTERN,
    Amount,
    Day,
    DbId,
    IdPath,
    StrictBody,
)
from newledger.appconnect.api.schemas import Page as PageModel
from newledger.identity.permissions import Permission
from newledger.ledger.expenses import (
    create_draft_expense,
    delete_draft_expense,
    expense_conditions,
    expense_dict,
    get_expense,
    update_draft_expense,
)
from newledger.ledger.models import Contact, Expense
from newledger.money import format_minor

__all__ = ["expense_page", "router"]

router = APIRouter(tags=["Expenses"])

Kind = Literal["expense", "bill"]
ExpenseStatus = Literal["draft", "approved", "partially_paid", "paid", "voided", "rejected"]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]
Description = Annotated[str, Field(max_length=500, pattern=TEXT_PATTERN)]
Reference = Annotated[str, Field(max_length=100, pattern=TEXT_PATTERN)]
# Fields that may be cleared with null on update; the others ignore null.
_NULLABLE = frozenset({"contact_id", "due_date", "payment_account_id"})


class ExpenseLineIn(StrictBody):
    description: Description = ""
    amount: Amount
    account_id: DbId = Field(description="An expense account.")


class ExpenseCreate(StrictBody):
    kind: Kind = "expense"
    date: Day
    contact_id: DbId | None = Field(default=None, description="The vendor; required for a bill.")
    due_date: Day | None = Field(default=None, description="Bills: default date + terms.")
    payment_account_id: DbId | None = Field(
        default=None, description="Expenses: the bank account's GL account (default: the first)."
    )
    currency: Currency | None = None
    description: Description = ""
    reference: Reference = ""
    lines: list[ExpenseLineIn] = Field(min_length=1, max_length=200)


class ExpenseUpdate(StrictBody):
    kind: Kind | None = None
    date: Day | None = None
    contact_id: DbId | None = None
    due_date: Day | None = None
    payment_account_id: DbId | None = None
    currency: Currency | None = None
    description: Description | None = None
    reference: Reference | None = None
    lines: list[ExpenseLineIn] | None = Field(default=None, min_length=1, max_length=200)


class ExpenseLineOut(BaseModel):
    description: str
    amount: str
    account_id: int


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
    rejected_reason: str
    lines: list[ExpenseLineOut]


@dataclass(frozen=True, slots=True)
class ExpenseFilters:
    status: str | None = None
    kind: str | None = None
    contact_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


async def expense_filters(
    status: ExpenseStatus | None = None,
    kind: Kind | None = None,
    contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> ExpenseFilters:
    return ExpenseFilters(status, kind, contact_id, date_from, date_to)


_LIST = select(
    Expense.id,
    Expense.kind,
    Expense.contact_id,
    Contact.name.label("contact_name"),
    Expense.date,
    Expense.due_date,
    Expense.payment_account_id,
    Expense.currency,
    Expense.status,
    Expense.total,
    Expense.amount_paid,
    Expense.description,
    Expense.reference,
    Expense.version,
    Expense.source,
    Expense.source_label,
    Expense.journal_entry_id,
    Expense.created_at,
    Expense.updated_at,
).outerjoin(Contact, Contact.id == Expense.contact_id)


def _summary(row: Any) -> dict[str, Any]:
    cur = row.currency
    return {
        "id": row.id,
        "kind": row.kind,
        "contact_id": row.contact_id,
        "contact_name": row.contact_name,
        "date": row.date.isoformat(),
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "payment_account_id": row.payment_account_id,
        "currency": cur,
        "status": row.status,
        "total": format_minor(row.total, cur),
        "amount_paid": format_minor(row.amount_paid, cur),
        "amount_due": format_minor(row.total - row.amount_paid, cur),
        "description": row.description,
        "reference": row.reference,
        "version": row.version,
        "source": row.source,
        "source_label": row.source_label,
        "journal_entry_id": row.journal_entry_id,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def expense_page(
    session: Session, company_id: int, params: ListParams, filters: ExpenseFilters
) -> dict[str, Any]:
    query = _LIST.where(
        Expense.company_id == company_id,
        *expense_conditions(
            kind=filters.kind,
            status=filters.status,
            contact_id=filters.contact_id,
            date_from=filters.date_from,
            date_to=filters.date_to,
        ),
    )
    page: Page = keyset_page(session, query, params, Expense.updated_at, Expense.id)
    return {"data": [_summary(row) for row in page.rows], "next_cursor": page.next_cursor}


def _detail(expense: Expense) -> dict[str, Any]:
    return {
        **expense_dict(expense),
        "contact_name": expense.contact.name if expense.contact else None,
        "created_at": expense.created_at.isoformat(),
        "updated_at": expense.updated_at.isoformat(),
    }


def _current_version(ctx: ApiContext, expense_id: int) -> int | None:
    return ctx.session.scalar(
        select(Expense.version).where(
            Expense.company_id == ctx.company_id, Expense.id == expense_id
        )
    )


@router.get(
    "/expenses", response_model=PageModel[ExpenseSummary], summary="List expenses and bills"
)
async def list_expenses(
    params: Annotated[ListParams, Depends(list_params)],
    filters: Annotated[ExpenseFilters, Depends(expense_filters)],
    ctx: ApiContext = requires(Permission.EXPENSES_READ),
) -> Response:
    """Summaries (no lines) in `(updated_at, id)` order."""
    return ctx.respond(expense_page(ctx.session, ctx.company_id, params, filters))


@router.get("/expenses/{expense_id}", response_model=ExpenseOut, summary="One expense or bill")
async def get_one_expense(
    expense_id: IdPath, ctx: ApiContext = requires(Permission.EXPENSES_READ)
) -> Response:
    """With its lines. The `ETag` is what a draft update or delete sends as `If-Match`."""
    expense = get_expense(ctx.session, ctx.actor, expense_id)
    return ctx.respond(_detail(expense), headers={"ETag": etag(expense.version)})


@router.post(
    "/expenses", status_code=201, response_model=ExpenseOut, summary="Create a draft expense"
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


@router.patch("/expenses/{expense_id}", response_model=ExpenseOut, summary="Update a draft expense")
async def patch_expense(
    expense_id: IdPath,
    body: ExpenseUpdate,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.EXPENSES_DRAFT),
) -> Response:
    """Send only the fields to change (`lines` replaces all lines) with `If-Match`;
    `contact_id`, `due_date` and `payment_account_id` may be cleared with null."""
    current = _current_version(ctx, expense_id)
    version = expected_version(if_match, current)
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in _NULLABLE
    }
    expense = stale_to_412(
        lambda: update_draft_expense(
            ctx.session, ctx.actor, expense_id, changes, expected_version=version
        ),
        current,
    )
    data = _detail(expense)
    ctx.session.commit()
    return ctx.respond(data, headers={"ETag": etag(expense.version)})


@router.delete("/expenses/{expense_id}", status_code=204, summary="Delete a draft expense")
async def delete_expense(
    expense_id: IdPath,
    if_match: IfMatchHeader = None,
    ctx: ApiContext = requires(Permission.EXPENSES_DRAFT),
) -> Response:
    current = _current_version(ctx, expense_id)
    version = expected_version(if_match, current)
    stale_to_412(
        lambda: delete_draft_expense(ctx.session, ctx.actor, expense_id, expected_version=version),
        current,
    )
    ctx.session.commit()
    return Response(status_code=204, headers=ctx.headers)
