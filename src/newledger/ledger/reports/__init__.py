"""Reports computed from posted journal data (via the daily balances posting keeps).

Each report takes ``(session, actor, company_id, dates...)``, checks ``reports:read`` and returns
frozen dataclasses with integer minor amounts and a ``to_json()`` with decimal strings.
"""

from newledger.ledger.reports.aging import Aging, ap_aging, ar_aging
from newledger.ledger.reports.balance_sheet import BalanceSheet, balance_sheet
from newledger.ledger.reports.cash import CashPosition, cash_position
from newledger.ledger.reports.expenses import ExpensesByCategory, expenses_by_category
from newledger.ledger.reports.pnl import ProfitAndLoss, profit_and_loss
from newledger.ledger.reports.sales_tax import SalesTax, sales_tax
from newledger.ledger.reports.trial_balance import TrialBalance, trial_balance

__all__ = [
    "Aging",
    "BalanceSheet",
    "CashPosition",
    "ExpensesByCategory",
    "ProfitAndLoss",
    "SalesTax",
    "TrialBalance",
    "ap_aging",
    "ar_aging",
    "balance_sheet",
    "cash_position",
    "expenses_by_category",
    "profit_and_loss",
    "sales_tax",
    "trial_balance",
]
