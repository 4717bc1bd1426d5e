"""``/bank-accounts`` and ``/bank-transactions`` (read only; ``/categorization-drafts``
proposes a transaction's account)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import MAX_ID, IdPath, Page
from newledger.identity.permissions import Permission
from newledger.ledger import bank as bank_service
from newledger.ledger.bank import TransactionFilters, transaction_dict
from newledger.ledger.models import BankAccount, BankTransaction
from newledger.pagination import PageRequest

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
    return {**transaction_dict(tx), "updated_at": tx.updated_at.isoformat()}


@router.get(
    "/bank-accounts",
    operation_id="listBankAccounts",
    response_model=Page[BankAccountOut],
    summary="List bank accounts",
)
async def list_bank_accounts(
    params: Annotated[PageRequest, Depends(list_params)],
    ctx: ApiContext = requires(Permission.BANK_READ),
) -> Response:
    page = bank_service.list_bank_accounts(ctx.session, ctx.actor, params)
    return ctx.respond(page_json(page, bank_account_dict))


@router.get(
    "/bank-transactions",
    operation_id="listBankTransactions",
    response_model=Page[BankTransactionOut],
    summary="List bank transactions",
)
async def list_bank_transactions(
    params: Annotated[PageRequest, Depends(list_params)],
    status: TransactionStatus | None = None,
    bank_account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    ctx: ApiContext = requires(Permission.BANK_READ),
) -> Response:
    """Imported statement lines; amounts are signed (money in positive, money out negative)."""
    filters = TransactionFilters(bank_account_id=bank_account_id, status=status)
    page = bank_service.list_transactions(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, bank_transaction_dict))


@router.get(
    "/bank-transactions/{transaction_id}",
    operation_id="getBankTransaction",
    response_model=BankTransactionOut,
    summary="One bank transaction",
)
async def get_bank_transaction(
    transaction_id: IdPath, ctx: ApiContext = requires(Permission.BANK_READ)
) -> Response:
    """What a `bank_transaction` change in the feed names."""
    txn = bank_service.get_transaction(ctx.session, ctx.actor, transaction_id)
    return ctx.respond(bank_transaction_dict(txn))
