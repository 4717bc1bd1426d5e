"""``/bank-accounts`` and ``/bank-transactions`` (read only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.pagination import ListParams, keyset_page, list_params
from newledger.appconnect.api.schemas import MAX_ID, Page
from newledger.identity.permissions import Permission
from newledger.ledger.models import BankAccount, BankTransaction
from newledger.money import format_minor

__all__ = ["router"]

router = APIRouter(tags=["Bank"])

TransactionStatus = Literal["uncategorized", "categorized", "matched"]


class BankAccountOut(BaseModel):
    id: int
    account_id: int
    name: str
    institution: str
    last4: str
    currency: str
    updated_at: dt.datetime


class BankTransactionOut(BaseModel):
    id: int
    bank_account_id: int
    external_id: str
    date: dt.date
    description: str
    amount: str
    currency: str
    status: TransactionStatus
    category_account_id: int | None
    payment_id: int | None
    journal_entry_id: int | None
    updated_at: dt.datetime


def bank_account_dict(bank: BankAccount) -> dict[str, Any]:
    return {
        "id": bank.id,
        "account_id": bank.account_id,
        "name": bank.name,
        "institution": bank.institution,
        "last4": bank.last4,
        "currency": bank.currency,
        "updated_at": bank.updated_at.isoformat(),
    }


def bank_transaction_dict(tx: BankTransaction) -> dict[str, Any]:
    return {
        "id": tx.id,
        "bank_account_id": tx.bank_account_id,
        "external_id": tx.external_id,
        "date": tx.date.isoformat(),
        "description": tx.description,
        "amount": format_minor(tx.amount, tx.currency),
        "currency": tx.currency,
        "status": tx.status,
        "category_account_id": tx.category_account_id,
        "payment_id": tx.payment_id,
        "journal_entry_id": tx.journal_entry_id,
        "updated_at": tx.updated_at.isoformat(),
    }


@router.get("/bank-accounts", response_model=Page[BankAccountOut], summary="List bank accounts")
async def list_bank_accounts(
    params: Annotated[ListParams, Depends(list_params)],
    ctx: ApiContext = requires(Permission.BANK_READ),
) -> Response:
    query = select(BankAccount).where(BankAccount.company_id == ctx.company_id)
    page = keyset_page(
        ctx.session, query, params, BankAccount.updated_at, BankAccount.id, scalars=True
    )
    data = [bank_account_dict(b) for b in page.rows]
    return ctx.respond({"data": data, "next_cursor": page.next_cursor})


@router.get(
    "/bank-transactions",
    response_model=Page[BankTransactionOut],
    summary="List bank transactions",
)
async def list_bank_transactions(
    params: Annotated[ListParams, Depends(list_params)],
    status: TransactionStatus | None = None,
    bank_account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    ctx: ApiContext = requires(Permission.BANK_READ),
) -> Response:
    """Imported statement lines; amounts are signed (money in positive, money out negative)."""
    query = select(BankTransaction).where(BankTransaction.company_id == ctx.company_id)
    if status is not None:
        query = query.where(BankTransaction.status == status)
    if bank_account_id is not None:
        query = query.where(BankTransaction.bank_account_id == bank_account_id)
    page = keyset_page(
        ctx.session, query, params, BankTransaction.updated_at, BankTransaction.id, scalars=True
    )
    data = [bank_transaction_dict(t) for t in page.rows]
    return ctx.respond({"data": data, "next_cursor": page.next_cursor})
