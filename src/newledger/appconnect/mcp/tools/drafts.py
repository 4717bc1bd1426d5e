"""Write tools: an invoice draft, an expense or bill draft, a proposed payment, a proposed bank
categorization, a contact. Nothing here posts to the ledger: a draft waits in the review queue,
marked with the app or connection that made it, until a person approves it (DESIGN §1, the
governance rule).

Each takes an ``idempotency_key``: the shared ``newledger.idempotency`` module runs the create
once per key and this grant, and a retry with the same key and arguments returns the first
result (``replayed: true``) instead of making a second draft.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

import orjson
from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from newledger.appconnect.mcp.call import McpCall, page_url
from newledger.appconnect.mcp.tools import models
from newledger.appconnect.mcp.tools.books import contact_out, expense_out, invoice_out
from newledger.appconnect.mcp.tools.registry import tool
from newledger.appconnect.mcp.tools.results import failure, guarded, success
from newledger.idempotency.service import (
    MAX_KEY_LENGTH,
    KeyInProgress,
    KeyReused,
    Outcome,
    fingerprint,
    run_once,
)
from newledger.identity.permissions import Permission
from newledger.ledger.categorization_drafts import (
    categorization_draft_dict,
    create_categorization_draft,
)
from newledger.ledger.contacts import contact_dict, create_contact
from newledger.ledger.expenses import create_draft_expense, expense_dict
from newledger.ledger.invoices import create_draft_invoice, invoice_dict
from newledger.ledger.payment_drafts import create_payment_draft, payment_draft_dict

__all__ = ["AMOUNT", "Id", "IdempotencyKey", "Text", "create_once", "drafted"]

AMOUNT = r"^-?\d{1,13}(\.\d{1,4})?$"
IdempotencyKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Any unique string (e.g. a UUID) for this create. Retrying with the same key"
        " and arguments returns the first result instead of creating a second one.",
    ),
]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Text = Annotated[str, Field(max_length=500)]


ItemCode = Annotated[str, Field(min_length=1, max_length=30)]
ITEM_HELP = "An item (list_items finds it): what the line leaves out comes from the item"
ITEM_CODE_HELP = "Or the item's code instead of its id (with both, they must agree)"


class InvoiceLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Text = ""
    quantity: str = Field(default="1", pattern=AMOUNT, description="e.g. 12 (hours), 1.5")
    unit_price: str | None = Field(
        default=None,
        pattern=AMOUNT,
        description="Price per unit, e.g. 150.00; required unless the item has one",
    )
    account_id: Id | None = Field(
        default=None,
        description="An income account; default: the item's, else the customer's, else 4000",
    )
    item_id: Id | None = Field(default=None, description=ITEM_HELP)
    item_code: ItemCode | None = Field(default=None, description=ITEM_CODE_HELP)


class ExpenseLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Text = ""
    amount: str | None = Field(
        default=None, pattern=AMOUNT, description="e.g. 42.50; required unless the item has a price"
    )
    account_id: Id | None = Field(
        default=None,
        description="An expense account (suggest_category finds one); required unless the item "
        "has one",
    )
    item_id: Id | None = Field(default=None, description=ITEM_HELP)
    item_code: ItemCode | None = Field(default=None, description=ITEM_CODE_HELP)


def create_once(
    call: McpCall,
    name: str,
    key: str,
    arguments: dict[str, Any],
    create: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool] | CallToolResult:
    """``create()`` once per key (it returns the created record's JSON); ``(body, replayed)``,
    or an error result saying what to do about the key."""
    fp = fingerprint("mcp", name, payload=orjson.dumps(arguments, option=orjson.OPT_SORT_KEYS))
    try:
        outcome = run_once(call.session, call.actor, key, fp, lambda: Outcome(201, create()))
    except KeyReused:
        call.session.rollback()
        return failure(
            "This idempotency_key was already used with different arguments. Use a new key for"
            " a new record, or repeat the first call's arguments exactly to get its result."
        )
    except KeyInProgress:
        call.session.rollback()
        return failure("A call with this idempotency_key is still running; retry in a second.")
    return outcome.body, outcome.replayed


def drafted(
    done: tuple[dict[str, Any], bool] | CallToolResult,
    model: type[BaseModel],
    summary: Callable[[dict[str, Any]], str],
) -> CallToolResult:
    """The reply to a draft create: ``create_once``'s error as it is, else ``summary`` of the
    draft, that it waits for review, and the draft's JSON with ``replayed`` and the queue's
    URL."""
    if isinstance(done, CallToolResult):
        return done
    body, replayed = done
    again = " (already made by an earlier call with this key; nothing new was created)"
    text = (
        f"{summary(body)}{again if replayed else ''}. It is a draft: it waits in the review queue "
        f"({page_url('/review')}) until a person approves it; nothing is posted until then."
    )
    return success(text, model, {**body, "replayed": replayed, "review_url": page_url("/review")})


@tool("create_invoice_draft", "Create an invoice draft", Permission.INVOICES_DRAFT, writes=True)
async def create_invoice_draft(
    idempotency_key: IdempotencyKey,
    contact_id: Annotated[Id, Field(description="The customer (search_contacts finds the id)")],
    lines: Annotated[list[InvoiceLineIn], Field(min_length=1, max_length=200)],
    issue_date: Annotated[
        dt.date | None, Field(description="ISO 8601 date; default: today")
    ] = None,
    due_date: Annotated[
        dt.date | None, Field(description="Default: issue date + the customer's terms")
    ] = None,
    currency: Annotated[
        str | None, Field(pattern=r"^[A-Z]{3}$", description="Default: home currency")
    ] = None,
    memo: Annotated[str, Field(max_length=5000)] = "",
) -> Annotated[CallToolResult, models.InvoiceDraftOut]:
    """Draft an invoice to a customer, e.g. 12 hours of consulting at 150.00: one line with
    quantity 12 and unit_price 150.00; or a line naming an item (item_code or item_id, from
    list_items) and a quantity. The draft waits for a person to review and approve it; it is
    never sent or posted by this tool."""

    def work(call: McpCall) -> CallToolResult:
        arguments: dict[str, Any] = {
            "contact_id": contact_id,
            "lines": [line.model_dump() for line in lines],
            "issue_date": (issue_date or dt.datetime.now(dt.UTC).date()).isoformat(),
            "due_date": due_date.isoformat() if due_date else None,
            "currency": currency,
            "memo": memo,
        }

        def create() -> dict[str, Any]:
            invoice = create_draft_invoice(call.session, call.actor, **arguments)
            return invoice_out({**invoice_dict(invoice), "contact_name": invoice.contact.name})

        done = create_once(call, "create_invoice_draft", idempotency_key, arguments, create)
        return drafted(
            done,
            models.InvoiceDraftOut,
            lambda b: (
                f"Drafted invoice {b['number']} to {b['contact_name']} for {b['total']} "
                f"{b['currency']}, due {b['due_date']} ({b['url']})"
            ),
        )

    return await guarded(work)


@tool(
    "create_expense_draft",
    "Create an expense or bill draft",
    Permission.EXPENSES_DRAFT,
    writes=True,
)
async def create_expense_draft(
    idempotency_key: IdempotencyKey,
    lines: Annotated[list[ExpenseLineIn], Field(min_length=1, max_length=200)],
    kind: Annotated[
        Literal["expense", "bill"],
        Field(description="expense: already paid from a bank account; bill: owed to a vendor"),
    ] = "expense",
    date: Annotated[dt.date | None, Field(description="ISO 8601 date; default: today")] = None,
    contact_id: Annotated[Id | None, Field(description="The vendor; required for a bill")] = None,
    due_date: Annotated[dt.date | None, Field(description="Bills: default date + terms")] = None,
    payment_account_id: Annotated[
        Id | None, Field(description="Expenses: the bank account's GL account (default: first)")
    ] = None,
    currency: Annotated[str | None, Field(pattern=r"^[A-Z]{3}$")] = None,
    description: Text = "",
    reference: Annotated[str, Field(max_length=100)] = "",
) -> Annotated[CallToolResult, models.ExpenseDraftOut]:
    """Draft an expense (paid) or a bill (owed to a vendor). Each line needs an amount and an
    expense account (suggest_category finds one), unless it names an item (item_code or
    item_id, from list_items) that gives them. The draft waits for a person to approve it."""

    def work(call: McpCall) -> CallToolResult:
        arguments: dict[str, Any] = {
            "kind": kind,
            "date": (date or dt.datetime.now(dt.UTC).date()).isoformat(),
            "contact_id": contact_id,
            "due_date": due_date.isoformat() if due_date else None,
            "payment_account_id": payment_account_id,
            "currency": currency,
            "description": description,
            "reference": reference,
            "lines": [line.model_dump() for line in lines],
        }

        def create() -> dict[str, Any]:
            expense = create_draft_expense(call.session, call.actor, **arguments)
            name = expense.contact.name if expense.contact else None
            return expense_out({**expense_dict(expense), "contact_name": name})

        def summary(b: dict[str, Any]) -> str:
            who = f" from {b['contact_name']}" if b.get("contact_name") else ""
            return (
                f"Drafted {b['kind']}{who} for {b['total']} {b['currency']} dated "
                f"{b['date']} ({b['url']})"
            )

        done = create_once(call, "create_expense_draft", idempotency_key, arguments, create)
        return drafted(done, models.ExpenseDraftOut, summary)

    return await guarded(work)


def _proposal(row: dict[str, Any]) -> dict[str, Any]:
    """A proposal's JSON for a tool: without the REST-only version and timestamps."""
    dropped = ("version", "created_at", "updated_at", "rejected_reason", "payment_id")
    return {k: v for k, v in row.items() if k not in dropped}


@tool("draft_payment", "Propose a payment for review", Permission.PAYMENTS_DRAFT, writes=True)
async def draft_payment(
    idempotency_key: IdempotencyKey,
    amount: Annotated[str, Field(pattern=AMOUNT, description="e.g. 200.00; at most what is due")],
    bank_account_id: Annotated[Id, Field(description="The bank account the money moved through")],
    invoice_id: Annotated[Id | None, Field(description="The invoice paid (money in)")] = None,
    expense_id: Annotated[
        Id | None, Field(description="Or the bill paid (money out): exactly one of the two")
    ] = None,
    date: Annotated[dt.date | None, Field(description="ISO 8601 date; default: today")] = None,
    reference: Annotated[str, Field(max_length=100)] = "",
) -> Annotated[CallToolResult, models.PaymentDraftOut]:
    """Propose that a customer paid an invoice, or that a bill was paid, in full or in part.
    It is checked like a payment (approved and open, at most what is due) and waits for a
    person to approve it, which records the payment; nothing is recorded by this tool."""

    def work(call: McpCall) -> CallToolResult:
        arguments: dict[str, Any] = {
            "amount": amount,
            "bank_account_id": bank_account_id,
            "invoice_id": invoice_id,
            "expense_id": expense_id,
            "date": (date or dt.datetime.now(dt.UTC).date()).isoformat(),
            "reference": reference,
        }

        def create() -> dict[str, Any]:
            draft = create_payment_draft(call.session, call.actor, **arguments)
            return _proposal(payment_draft_dict(draft))

        def summary(b: dict[str, Any]) -> str:
            what = f"invoice {b['invoice_id']}" if b["invoice_id"] else f"bill {b['expense_id']}"
            return f"Proposed a payment of {b['amount']} {b['currency']} for {what} ({b['date']})"

        done = create_once(call, "draft_payment", idempotency_key, arguments, create)
        return drafted(done, models.PaymentDraftOut, summary)

    return await guarded(work)


@tool(
    "draft_categorization",
    "Propose a bank transaction's account for review",
    Permission.BANK_DRAFT,
    writes=True,
)
async def draft_categorization(
    idempotency_key: IdempotencyKey,
    bank_transaction_id: Annotated[
        Id, Field(description="An uncategorized bank transaction (see the bank tools)")
    ],
    account_id: Annotated[
        Id | None, Field(description="The account you propose; leave out for NewLedger's hint")
    ] = None,
    confidence: Annotated[
        float | None, Field(ge=0, le=1, description="How sure you are, 0 to 1")
    ] = None,
    evidence: Annotated[str, Field(max_length=1000, description="Why, for the reviewer")] = "",
) -> Annotated[CallToolResult, models.CategorizationDraftOut]:
    """Propose the account of an uncategorized bank transaction, with your confidence and
    evidence; without account_id, NewLedger's own hint from the company's history is proposed
    (it refuses when unsure). One proposal per transaction waits at a time. A person approves
    it, which posts the transaction; nothing is posted by this tool."""

    def work(call: McpCall) -> CallToolResult:
        arguments: dict[str, Any] = {
            "bank_transaction_id": bank_transaction_id,
            "account_id": account_id,
            "confidence": confidence,
            "evidence": evidence,
        }

        def create() -> dict[str, Any]:
            draft = create_categorization_draft(call.session, call.actor, **arguments)
            return _proposal(categorization_draft_dict(draft))

        def summary(b: dict[str, Any]) -> str:
            sure = f", confidence {b['confidence']}" if b["confidence"] is not None else ""
            return (
                f"Proposed account {b['account_id']} for bank transaction "
                f"{b['bank_transaction_id']}{sure}"
            )

        done = create_once(call, "draft_categorization", idempotency_key, arguments, create)
        return drafted(done, models.CategorizationDraftOut, summary)

    return await guarded(work)


@tool("create_contact", "Create a contact", Permission.CONTACTS_WRITE, writes=True)
async def create_contact_tool(
    idempotency_key: IdempotencyKey,
    name: Annotated[str, Field(min_length=1, max_length=200)],
    kind: Literal["customer", "vendor", "both"] = "customer",
    email: Annotated[str, Field(max_length=320)] = "",
    phone: Annotated[str, Field(max_length=64)] = "",
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30,
) -> Annotated[CallToolResult, models.ContactCreatedOut]:
    """Create a customer or vendor (search_contacts first, to avoid a duplicate)."""

    def work(call: McpCall) -> CallToolResult:
        arguments: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "email": email,
            "phone": phone,
            "payment_terms_days": payment_terms_days,
        }

        def create() -> dict[str, Any]:
            return contact_out(contact_dict(create_contact(call.session, call.actor, **arguments)))

        done = create_once(call, "create_contact", idempotency_key, arguments, create)
        if isinstance(done, CallToolResult):
            return done
        body, replayed = done
        again = " (already created by an earlier call with this key)" if replayed else ""
        text = f"Created {body['kind']} {body['name']} (id {body['id']}){again}: {body['url']}"
        return success(text, models.ContactCreatedOut, {**body, "replayed": replayed})

    return await guarded(work)
