"""Credit-note drafts: a credit note to a customer (``invoices:draft``) or a vendor credit
(``expenses:draft``), with lines and optional proposed allocations to the contact's open
invoices or bills.

Like every write tool these only draft (DESIGN §1): the draft waits in the review queue, marked
with the app or connection that made it. A person approves it there, which posts it and
applies its proposed allocations; allocating it later and refunding what is left are a
person's acts too (``ledger:post``, never delegated). A retry with the same
``idempotency_key`` and arguments returns the first draft (``drafts.create_once``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from newledger.appconnect.mcp.call import McpCall
from newledger.appconnect.mcp.tools import models
from newledger.appconnect.mcp.tools.books import credit_note_out
from newledger.appconnect.mcp.tools.drafts import (
    AMOUNT,
    Id,
    IdempotencyKey,
    Text,
    create_once,
    drafted,
)
from newledger.appconnect.mcp.tools.registry import tool
from newledger.appconnect.mcp.tools.results import guarded
from newledger.identity.permissions import Permission
from newledger.ledger.credit_note_dict import credit_note_dict
from newledger.ledger.credit_notes import create_draft_credit_note

__all__: list[str] = []

Price = Annotated[str, Field(pattern=AMOUNT, description="Price per unit, e.g. 150.00")]
Quantity = Annotated[str, Field(pattern=AMOUNT, description="e.g. 2 (units returned), 1.5")]
TaxRate = Annotated[
    Id | None, Field(description="A tax rate's id; the tax comes back with the credit")
]
AllocationAmount = Annotated[str, Field(pattern=AMOUNT, description="At most what is due on it")]
AllocationDay = Annotated[
    dt.date | None, Field(description="Default: the later of the two documents' dates")
]
TaxMode = Annotated[
    Literal["exclusive", "inclusive"],
    Field(description="exclusive: prices are net, tax is added; inclusive: prices include it"),
]
Reference = Annotated[str, Field(max_length=100, description="e.g. the return's number")]
Memo = Annotated[str, Field(max_length=5000)]
Currency = Annotated[str | None, Field(pattern=r"^[A-Z]{3}$", description="Default: home currency")]
Today = Annotated[dt.date | None, Field(description="ISO 8601 date; default: today")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreditNoteLineIn(_Strict):
    description: Text = ""
    quantity: Quantity = "1"
    unit_price: Price
    account_id: Id | None = Field(
        default=None, description="The income account it takes back; default: 4000 Sales"
    )
    tax_rate_id: TaxRate = None


class VendorCreditLineIn(_Strict):
    description: Text = ""
    quantity: Quantity = "1"
    unit_price: Price
    account_id: Id | None = Field(
        default=None,
        description="The expense account it takes back (suggest_category finds one); "
        "required unless the vendor has a default",
    )
    tax_rate_id: TaxRate = None


class InvoiceAllocationIn(_Strict):
    invoice_id: Id = Field(description="An approved, unpaid invoice of the same customer")
    amount: AllocationAmount
    date: AllocationDay = None


class BillAllocationIn(_Strict):
    expense_id: Id = Field(description="An approved, unpaid bill of the same vendor")
    amount: AllocationAmount
    date: AllocationDay = None


def _arguments(contact_id: int, date: dt.date | None, **given: Any) -> dict[str, Any]:
    """The service's keyword arguments, as JSON (they are the idempotency fingerprint)."""
    return {
        "contact_id": contact_id,
        "date": (date or dt.datetime.now(dt.UTC).date()).isoformat(),
        **given,
    }


def _dump(rows: list[Any]) -> list[dict[str, Any]]:
    return [row.model_dump(mode="json") for row in rows]


def _draft(
    call: McpCall, tool_name: str, kind: str, key: str, arguments: dict[str, Any]
) -> CallToolResult:
    """Create the draft once per key and answer with it (or with why not)."""

    def create() -> dict[str, Any]:
        note = create_draft_credit_note(call.session, call.actor, kind=kind, **arguments)
        return credit_note_out({**credit_note_dict(note), "contact_name": note.contact.name})

    def summary(b: dict[str, Any]) -> str:
        noun, to = ("credit note", "to") if kind == "sales" else ("vendor credit", "from")
        text = (
            f"Drafted {noun} {b['number']} {to} {b['contact_name']} for {b['total']} "
            f"{b['currency']} ({b['url']})"
        )
        if b["allocations"]:
            what = "invoice" if kind == "sales" else "bill"
            text += (
                f", proposing {len(b['allocations'])} allocation(s) to open {what}s, applied "
                "when it is approved"
            )
        return text

    done = create_once(call, tool_name, key, arguments, create)
    return drafted(done, models.CreditNoteDraftOut, summary)


@tool(
    "draft_credit_note",
    "Draft a credit note to a customer",
    Permission.INVOICES_DRAFT,
    writes=True,
)
async def draft_credit_note(
    idempotency_key: IdempotencyKey,
    contact_id: Annotated[Id, Field(description="The customer (search_contacts finds the id)")],
    lines: Annotated[list[CreditNoteLineIn], Field(min_length=1, max_length=200)],
    allocations: Annotated[
        list[InvoiceAllocationIn],
        Field(
            max_length=200,
            description="Optional: the customer's open invoices it should pay down "
            "(search_invoices finds them); together at most the credit note's total",
        ),
    ] = [],  # noqa: B006 (the SDK copies defaults; the list is never mutated)
    date: Today = None,
    tax_mode: TaxMode = "exclusive",
    currency: Currency = None,
    reference: Reference = "",
    memo: Memo = "",
) -> Annotated[CallToolResult, models.CreditNoteDraftOut]:
    """Draft a credit note to a customer: money taken off what they owe (a return, a
    discount, a correction), e.g. one line of 2 units at 40.00, allocated to one of their open
    invoices. It waits for a person to approve it, which posts it and applies the allocations;
    refunds are a person's to make. Nothing is posted by this tool."""

    def work(call: McpCall) -> CallToolResult:
        arguments = _arguments(
            contact_id,
            date,
            lines=_dump(lines),
            allocations=_dump(allocations),
            tax_mode=tax_mode,
            currency=currency,
            reference=reference,
            memo=memo,
        )
        return _draft(call, "draft_credit_note", "sales", idempotency_key, arguments)

    return await guarded(work)


@tool(
    "draft_vendor_credit",
    "Draft a vendor credit",
    Permission.EXPENSES_DRAFT,
    writes=True,
)
async def draft_vendor_credit(
    idempotency_key: IdempotencyKey,
    contact_id: Annotated[Id, Field(description="The vendor (search_contacts finds the id)")],
    lines: Annotated[list[VendorCreditLineIn], Field(min_length=1, max_length=200)],
    allocations: Annotated[
        list[BillAllocationIn],
        Field(
            max_length=200,
            description="Optional: the vendor's open bills it should pay down (list_expenses "
            "with kind bill finds them); together at most the vendor credit's total",
        ),
    ] = [],  # noqa: B006 (the SDK copies defaults; the list is never mutated)
    date: Today = None,
    tax_mode: TaxMode = "exclusive",
    currency: Currency = None,
    reference: Reference = "",
    memo: Memo = "",
) -> Annotated[CallToolResult, models.CreditNoteDraftOut]:
    """Draft a vendor credit: money a vendor takes off what the company owes them (a return,
    a discount, an overcharge), with the expense account it takes back per line and,
    optionally, allocations to their open bills. It waits for a person to approve it, which
    posts it and applies the allocations. Nothing is posted by this tool."""

    def work(call: McpCall) -> CallToolResult:
        arguments = _arguments(
            contact_id,
            date,
            lines=_dump(lines),
            allocations=_dump(allocations),
            tax_mode=tax_mode,
            currency=currency,
            reference=reference,
            memo=memo,
        )
        return _draft(call, "draft_vendor_credit", "purchase", idempotency_key, arguments)

    return await guarded(work)
