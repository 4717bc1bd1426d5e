"""Output schemas of the tools (the SDK publishes them as ``outputSchema``).

Report shapes are the REST reports' own schemas (``newledger.ledger.reports.schemas``) plus a
``url`` to the page in NewLedger, so one figure reads the same over MCP and REST. Amounts are
decimal strings in the record's ``currency``; dates are ISO 8601.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from newledger.ledger.reports.schemas import (
    AgingReport,
    BalanceSheetReport,
    CashPositionReport,
    ExpensesByCategoryReport,
    Money,
    ProfitAndLossReport,
    SalesTaxReport,
)

__all__ = [
    "AgingOut",
    "BalanceSheetOut",
    "BankTransactionsOut",
    "CashPositionOut",
    "CategorizationDraftOut",
    "CompanyOut",
    "ContactCreatedOut",
    "ContactOut",
    "ContactsOut",
    "CreditNoteDraftOut",
    "CreditNotesOut",
    "ExpenseDraftOut",
    "ExpensesByCategoryOut",
    "ExpensesOut",
    "InvoiceDetailOut",
    "InvoiceDraftOut",
    "InvoicesOut",
    "ItemsOut",
    "PaymentDraftOut",
    "ProfitAndLossOut",
    "SuggestionOut",
]

DocStatus = Literal["draft", "approved", "partially_paid", "paid", "voided", "rejected"]


class CompanyOut(BaseModel):
    id: int
    name: str
    slug: str
    home_currency: str
    fiscal_year_start_month: int = Field(ge=1, le=12)
    mcp_url: str
    url: str


class CashPositionOut(CashPositionReport):
    url: str


class LateContact(BaseModel):
    contact_id: int
    name: str
    past_due: Money = Field(description="Everything 1 or more days past due")
    oldest_bucket: Literal["1_30", "31_60", "61_90", "90_plus"]
    url: str


class AgingOut(AgingReport):
    late: list[LateContact] = Field(description="Who is late, most overdue first")
    url: str


class ProfitAndLossOut(ProfitAndLossReport):
    url: str


class BalanceSheetOut(BalanceSheetReport):
    url: str


class ExpensesByCategoryOut(ExpensesByCategoryReport):
    url: str


class SalesTaxOut(SalesTaxReport):
    url: str


class Paged(BaseModel):
    total: int = Field(description="How many records match, over all pages")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


class InvoiceSummary(BaseModel):
    id: int
    number: str
    contact_id: int
    contact_name: str
    issue_date: str
    due_date: str
    currency: str
    status: DocStatus
    total: Money
    amount_paid: Money
    amount_credited: Money
    amount_due: Money
    memo: str
    source: str
    source_label: str
    url: str


class InvoicesOut(Paged):
    invoices: list[InvoiceSummary]


class InvoiceLine(BaseModel):
    description: str
    quantity: str
    unit_price: Money
    amount: Money
    account_id: int
    item_id: int | None = Field(description="The item the line named, if any")


class InvoicePayment(BaseModel):
    id: int
    date: str
    amount: Money
    currency: str
    bank_account_id: int | None
    reference: str


class InvoiceDetailOut(InvoiceSummary):
    lines: list[InvoiceLine]
    payments: list[InvoicePayment] | None = Field(
        description="Payments received against it; null when the token lacks payments:read"
    )


class InvoiceDraftOut(InvoiceSummary):
    lines: list[InvoiceLine]
    replayed: bool = Field(description="True when this idempotency key had already made it")
    review_url: str


class ExpenseSummary(BaseModel):
    id: int
    kind: Literal["expense", "bill"]
    contact_id: int | None
    contact_name: str | None
    date: str
    due_date: str | None
    currency: str
    status: DocStatus
    total: Money
    amount_paid: Money
    amount_credited: Money
    amount_due: Money
    description: str
    reference: str
    source: str
    source_label: str
    url: str


class ExpensesOut(Paged):
    expenses: list[ExpenseSummary]


class ExpenseLine(BaseModel):
    description: str
    amount: Money
    account_id: int
    item_id: int | None = Field(description="The item the line named, if any")


class ExpenseDraftOut(ExpenseSummary):
    lines: list[ExpenseLine]
    replayed: bool
    review_url: str


class ItemOut(BaseModel):
    id: int
    code: str = Field(description="Unique in the company; a draft line may name it as item_code")
    name: str
    description: str
    unit_price: str | None = Field(description="Default price, in the document's currency")
    income_account_id: int | None = Field(description="Invoice lines' default account")
    expense_account_id: int | None = Field(description="Expense and bill lines' default account")
    tax_rate_id: int | None
    is_active: bool = Field(description="False: archived, no new line may name it")


class ItemsOut(Paged):
    items: list[ItemOut]
    url: str


class CreditNoteSummary(BaseModel):
    id: int
    kind: Literal["sales", "purchase"] = Field(
        description="sales: a credit note to a customer; purchase: a credit from a vendor"
    )
    number: str
    contact_id: int
    contact_name: str
    date: str
    currency: str
    status: Literal["draft", "approved", "applied", "voided", "rejected"] = Field(
        description="applied: nothing left (all allocated or refunded)"
    )
    total: Money
    amount_allocated: Money = Field(description="Set against invoices or bills so far")
    amount_refunded: Money
    remaining: Money = Field(description="total - allocated - refunded")
    reference: str
    memo: str
    source: str
    source_label: str
    url: str


class CreditNotesOut(Paged):
    credit_notes: list[CreditNoteSummary]


class CreditNoteLine(BaseModel):
    description: str
    quantity: str
    unit_price: Money
    amount: Money
    account_id: int
    tax_rate_id: int | None
    tax_amount: Money


class CreditAllocation(BaseModel):
    invoice_id: int | None
    expense_id: int | None
    amount: Money
    date: str
    status: Literal["proposed", "applied"] = Field(
        description="proposed: applied when a person approves the draft"
    )


class CreditNoteDraftOut(CreditNoteSummary):
    tax_mode: Literal["exclusive", "inclusive"]
    subtotal: Money
    tax_total: Money
    lines: list[CreditNoteLine]
    allocations: list[CreditAllocation]
    replayed: bool = Field(description="True when this idempotency key had already made it")
    review_url: str


class ContactOut(BaseModel):
    id: int
    kind: Literal["customer", "vendor", "both"]
    name: str
    email: str
    phone: str
    payment_terms_days: int
    is_archived: bool
    url: str


class ContactsOut(Paged):
    contacts: list[ContactOut]


class ContactCreatedOut(ContactOut):
    replayed: bool


class _Proposal(BaseModel):
    id: int
    status: Literal["draft", "approved", "rejected"]
    source: str
    source_label: str
    replayed: bool = Field(description="True when this idempotency key had already made it")
    review_url: str


class PaymentDraftOut(_Proposal):
    direction: Literal["received", "made"]
    invoice_id: int | None
    expense_id: int | None
    bank_account_id: int
    date: str
    amount: Money
    currency: str
    reference: str


class CategorizationDraftOut(_Proposal):
    bank_transaction_id: int
    account_id: int
    confidence: float | None = Field(ge=0, le=1)
    evidence: str
    hint_origin: Literal["history", "app"] = Field(
        description="history: NewLedger's hint from past categorizations; app: yours"
    )


class BankTransaction(BaseModel):
    id: int
    bank_account_id: int
    date: str
    description: str
    amount: Money = Field(description="Signed: money in positive, money out negative")
    currency: str
    status: Literal["uncategorized", "categorized", "matched"]


class BankTransactionsOut(Paged):
    transactions: list[BankTransaction]
    url: str


class SuggestionOut(BaseModel):
    account_id: int | None
    account_code: str
    account_name: str
    confidence: float = Field(ge=0, le=1)
    evidence: str = Field(description="Why: e.g. 12 of 12 past 'Staples' expenses → Office")
    abstained: bool = Field(description="True (and account_id null) when history is too thin")
