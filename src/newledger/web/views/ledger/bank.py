"""The Bank page: imported bank transactions still uncategorized, each with NewLedger's hint
(``categorize.suggest_for_bank``: the account the company's own history points to, with its
evidence), and the decision: "Accept" one row, "Accept selected" for several, each with the
hinted account or another chosen from the menu.

Accepting is ``bank.categorize_transaction``, the service the API uses: it needs
``ledger:post``, posts the entry, and writes the activity row and the change event. "Accept
selected" is all or nothing: if one row cannot be categorized (no account chosen, or it was
categorized meanwhile), none is, and the page says which row and why.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.datastructures import FormData

from newledger.errors import Conflict, InvalidState, NotFound, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger.accounts import AccountFilters, list_accounts
from newledger.ledger.bank import TransactionFilters, categorize_transaction, list_transactions
from newledger.ledger.categorize import suggest_for_bank
from newledger.ledger.models import Account, BankTransaction, CategorizationDraft
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.pager import choices, page_link_errors, page_request, pager
from newledger.web.templating import render
from newledger.web.views.ledger._common import bank_names, posted_form
from newledger.web.views.ledger.draft_pages import done_url
from newledger.web.views.ledger.forms import select_id

__all__ = ["router"]

router = web_router()
_read = require_permission(Permission.BANK_READ)
_post = require_permission(Permission.LEDGER_POST, Permission.BANK_READ)
UNCATEGORIZED = TransactionFilters(status="uncategorized")


def _accounts(ctx: WebContext) -> Sequence[Account]:
    """What a transaction can be categorized to: the active accounts, by code."""
    if not ctx.can(Permission.ACCOUNTS_READ):
        return []
    return list_accounts(ctx.db, ctx.actor, AccountFilters(), choices("code")).items


def _proposed(ctx: WebContext, ids: list[int]) -> set[int]:
    """The transactions among ``ids`` with a proposal awaiting review in the queue."""
    if not ids:
        return set()
    return set(
        ctx.db.scalars(
            select(CategorizationDraft.bank_transaction_id).where(
                CategorizationDraft.company_id == ctx.actor.company_scope(),
                CategorizationDraft.bank_transaction_id.in_(ids),
                CategorizationDraft.status == "draft",
            )
        )
    )


def _page(
    request: Request,
    ctx: WebContext,
    *,
    status: int = 200,
    chosen: dict[int, str] | None = None,
    selected: set[int] | None = None,
    errors: dict[int, str] | None = None,
    message: str | None = None,
) -> Response:
    """The list; after a refused submission, with the accounts and rows as submitted and each
    refused row's message."""
    assert ctx.company is not None
    asked = page_request(request, "newest")
    with page_link_errors():
        page = list_transactions(ctx.db, ctx.actor, UNCATEGORIZED, asked)
    rows: list[BankTransaction] = list(page.items)
    hints = suggest_for_bank(ctx.db, ctx.actor, ctx.company.id, rows)
    return render(
        request,
        "ledger/bank.html",
        ctx,
        status=status,
        transactions=rows,
        hints=hints,
        banks=bank_names(ctx.db, ctx.company.id),
        accounts=_accounts(ctx),
        proposed=_proposed(ctx, [t.id for t in rows]),
        can_post=ctx.can(Permission.LEDGER_POST),
        chosen=chosen or {},
        selected=selected or set(),
        errors=errors or {},
        message=message,
        done=request.query_params.get("done"),
        pager=pager("/bank", {}, asked, page),
    )


@router.get("/bank")
def bank_page(request: Request, ctx: WebContext = Depends(_read)) -> Response:
    return _page(request, ctx)


def _ids(values: Sequence[object]) -> list[int]:
    out: list[int] = []
    for value in values:
        number = select_id(value if isinstance(value, str) else "")
        if isinstance(number, int) and number not in out:
            out.append(number)
    return out


@router.post("/bank/categorize")
def categorize(
    request: Request, form: FormData = Depends(posted_form), ctx: WebContext = Depends(_post)
) -> Response:
    """Categorize the row whose "Accept" was pressed, or every selected row ("Accept
    selected"), each to the account chosen on its row."""
    one = _ids([form.get("accept")])
    targets = one or _ids(form.getlist("selected"))
    chosen: dict[int, str] = {}
    for key, value in form.multi_items():
        if key.startswith("account-") and isinstance(value, str):
            row = select_id(key.removeprefix("account-"))
            if isinstance(row, int):
                chosen[row] = value.strip()
    selected = set(_ids(form.getlist("selected")))

    def refused(status: int, errors: dict[int, str], message: str) -> Response:
        return _page(
            request,
            ctx,
            status=status,
            chosen=chosen,
            selected=selected,
            errors=errors,
            message=message,
        )

    if not targets:
        return refused(422, {}, "Select the transactions to accept first.")
    done = 0
    for txn_id in targets:
        account = select_id(chosen.get(txn_id, ""))
        try:
            if account is None:
                raise ValidationFailed("Choose an account", errors={"account_id": "required"})
            categorize_transaction(ctx.db, ctx.actor, txn_id, account)  # type: ignore[arg-type]
        except (ValidationFailed, NotFound) as exc:
            ctx.db.rollback()
            why = f"Nothing was categorized: {_describe(txn_id, exc.message)}"
            return refused(422, {txn_id: exc.message}, why)
        except (InvalidState, Conflict) as exc:
            # Categorized or matched by someone else since the page was loaded.
            ctx.db.rollback()
            why = f"Nothing was categorized: {_describe(txn_id, exc.message)}"
            return refused(409, {txn_id: exc.message}, why)
        done += 1
    ctx.db.commit()
    noun = "transaction" if done == 1 else "transactions"
    return RedirectResponse(done_url("/bank", f"{done} bank {noun} categorized."), status_code=303)


def _describe(txn_id: int, message: str) -> str:
    return f"bank transaction #{txn_id}: {message}."
