"""``/accounts``: the chart of accounts with each account's balances."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import Day, IdPath, Page
from newledger.identity.permissions import Permission
from newledger.ledger import accounts as account_service
from newledger.ledger.accounts import AccountFilters, account_balances, get_account
from newledger.ledger.models import Account
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Accounts"])


class BalanceOut(BaseModel):
    currency: str
    debit: str
    credit: str
    balance: str


class AccountOut(BaseModel):
    id: int
    code: str
    name: str
    type: str
    subtype: str
    description: str
    is_active: bool
    balances: list[BalanceOut]
    updated_at: dt.datetime


def _account_dict(account: Account, balances: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": account.id,
        "code": account.code,
        "name": account.name,
        "type": account.type,
        "subtype": account.subtype,
        "description": account.description,
        "is_active": account.is_active,
        "balances": balances,
        "updated_at": account.updated_at.isoformat(),
    }


def _balances(ctx: ApiContext, as_of: dt.date | None) -> dict[int, list[dict[str, str]]]:
    out: dict[int, list[dict[str, str]]] = {}
    for b in account_balances(ctx.session, ctx.actor, as_of=as_of):
        row = b.as_dict()
        out.setdefault(b.account_id, []).append(
            {k: row[k] for k in ("currency", "debit", "credit", "balance")}
        )
    return out


AsOf = Annotated[
    Day | None, Query(description="Balances at the end of this day (default: all posted).")
]


@router.get(
    "/accounts",
    operation_id="listAccounts",
    response_model=Page[AccountOut],
    summary="Chart of accounts",
)
async def list_accounts(
    params: Annotated[PageRequest, Depends(list_params)],
    as_of: AsOf = None,
    type: Annotated[
        Literal["asset", "liability", "equity", "income", "expense"] | None, Query()
    ] = None,
    ctx: ApiContext = requires(Permission.ACCOUNTS_READ),
) -> Response:
    """Every account with its balance per currency (from posted entries only; drafts never
    count). Balances are in the account's normal sign."""
    filters = AccountFilters(type=type, include_archived=True)
    page = account_service.list_accounts(ctx.session, ctx.actor, filters, params)
    balances = _balances(ctx, as_of) if page.items else {}
    return ctx.respond(page_json(page, lambda a: _account_dict(a, balances.get(a.id, []))))


@router.get(
    "/accounts/{account_id}",
    operation_id="getAccount",
    response_model=AccountOut,
    summary="One account",
)
async def get_one_account(
    account_id: IdPath, as_of: AsOf = None, ctx: ApiContext = requires(Permission.ACCOUNTS_READ)
) -> Response:
    account = get_account(ctx.session, ctx.actor, account_id)
    balances = _balances(ctx, as_of).get(account.id, [])
    return ctx.respond(_account_dict(account, balances))
