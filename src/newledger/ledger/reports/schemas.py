"""The wire format of the reports: one schema each for REST and MCP.

The reports serialise themselves (``newledger.ledger.reports.*.to_json``); these models describe
that JSON, for the OpenAPI document (``/api/v1/reports/…``, one typed class per report in a
generated client) and for the MCP tools' ``outputSchema`` (which add a ``url``), so one figure
reads the same over both. Amounts are decimal strings in the report's currency.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AgingBuckets",
    "AgingReport",
    "BalanceSheetReport",
    "CashPositionReport",
    "ExpensesByCategoryReport",
    "Money",
    "ProfitAndLossReport",
    "ReportPeriod",
    "SalesTaxReport",
    "TrialBalanceReport",
]

Money = str


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportPeriod(_Wire):
    from_: dt.date = Field(alias="from")
    to: dt.date


class CashFlows(_Wire):
    currency: str
    opening: Money
    money_in: Money
    money_out: Money
    closing: Money


class CashAccountRow(CashFlows):
    bank_account_id: int
    account_id: int
    name: str


class CashPositionReport(_Wire):
    report: Literal["cash_position"]
    company_id: int
    period: ReportPeriod
    accounts: list[CashAccountRow]
    totals: list[CashFlows] = Field(description="One per currency.")


class AgingBuckets(_Wire):
    current: Money
    b1_30: Money = Field(alias="1_30")
    b31_60: Money = Field(alias="31_60")
    b61_90: Money = Field(alias="61_90")
    b90_plus: Money = Field(alias="90_plus")
    total: Money


class AgingContactRow(AgingBuckets):
    contact_id: int = Field(description="0 for documents without a contact.")
    name: str


class AgingReport(_Wire):
    report: Literal["ar_aging", "ap_aging"]
    company_id: int
    currency: str
    as_of: dt.date
    contacts: list[AgingContactRow]
    totals: AgingBuckets


class ExpenseCategoryRow(_Wire):
    account_id: int
    code: str
    name: str
    months: dict[str, Money] = Field(description="Keyed by month, `YYYY-MM`.")
    total: Money


class ExpensesByCategoryReport(_Wire):
    report: Literal["expenses_by_category"]
    company_id: int
    currency: str
    period: ReportPeriod
    months: list[str] = Field(description="`YYYY-MM`, in order.")
    categories: list[ExpenseCategoryRow]
    totals: dict[str, Money] = Field(description="Keyed by month, `YYYY-MM`.")
    total: Money


class PnlLineRow(_Wire):
    account_id: int
    code: str
    name: str
    amounts: list[Money] = Field(description="One per period, in `periods` order.")


class PnlSectionBlock(_Wire):
    key: Literal["income", "cost_of_sales", "expense", "other"]
    title: str
    lines: list[PnlLineRow]
    totals: list[Money]


class ProfitAndLossReport(_Wire):
    report: Literal["profit_and_loss"]
    company_id: int
    currency: str
    periods: list[ReportPeriod] = Field(description="The period asked for, then comparisons.")
    sections: list[PnlSectionBlock]
    gross_profit: list[Money]
    operating_profit: list[Money]
    net_income: list[Money]


class BalanceLineRow(_Wire):
    account_id: int | None = Field(description="null for the computed earnings line.")
    code: str
    name: str
    amount: Money


class BalanceSectionBlock(_Wire):
    lines: list[BalanceLineRow]
    total: Money


class BalanceSheetReport(_Wire):
    report: Literal["balance_sheet"]
    company_id: int
    currency: str
    as_of: dt.date
    fiscal_year_start: dt.date
    assets: BalanceSectionBlock
    liabilities: BalanceSectionBlock
    equity: BalanceSectionBlock
    current_year_earnings: Money
    prior_years_earnings: Money
    total_assets: Money
    total_liabilities_and_equity: Money
    balanced: bool


class TrialBalanceRow(_Wire):
    account_id: int
    code: str
    name: str
    type: str
    currency: str
    debit: Money
    credit: Money
    balance: Money


class TrialBalanceTotalRow(_Wire):
    currency: str
    debit: Money
    credit: Money
    difference: Money


class TrialBalanceReport(_Wire):
    report: Literal["trial_balance"]
    company_id: int
    as_of: dt.date
    rows: list[TrialBalanceRow]
    totals: list[TrialBalanceTotalRow] = Field(description="One per currency.")
    balanced: bool


class SalesTaxFigures(_Wire):
    sales_net: Money = Field(description="Taxable sales, net of tax.")
    sales_tax: Money = Field(description="Tax collected on sales.")
    purchases_net: Money = Field(description="Taxed purchases, net of tax.")
    purchases_tax: Money = Field(description="Tax paid on purchases (input tax).")
    net_owed: Money = Field(description="Tax collected less tax paid.")


class SalesTaxRateRow(SalesTaxFigures):
    tax_rate_id: int
    name: str
    rate: str = Field(description="Percent, a decimal string: `7.25`.")
    kind: Literal["sales", "purchase", "both"]
    account_id: int


class SalesTaxAccountRow(_Wire):
    account_id: int
    code: str
    name: str
    movement: Money = Field(description="Credits less debits on the account in the period.")
    from_documents: Money = Field(description="Tax posted here by invoices, expenses, bills.")
    other: Money = Field(description="Every other posting, e.g. a payment to the tax authority.")


class SalesTaxReport(_Wire):
    report: Literal["sales_tax"]
    company_id: int
    currency: str
    period: ReportPeriod
    rates: list[SalesTaxRateRow] = Field(description="Rates used in the period.")
    totals: SalesTaxFigures
    accounts: list[SalesTaxAccountRow] = Field(description="Every account a tax rate posts to.")
    tax_account_movement: Money
    other_movement: Money
    ties_out: bool = Field(
        description="Each tax account's movement equals its documents' tax plus other postings."
    )
