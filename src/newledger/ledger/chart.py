"""The standard small-business chart of accounts, and account look-ups."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.errors import NotFound
from newledger.identity.models import Company
from newledger.ledger.models import Account, BankAccount

__all__ = [
    "ACCOUNT_TYPES",
    "INPUT_TAX_NAME",
    "STANDARD_CHART",
    "account_by_code",
    "account_by_subtype",
    "create_standard_chart",
]

# Account type → its normal balance sign (+1 debit-normal, -1 credit-normal).
ACCOUNT_TYPES: dict[str, int] = {
    "asset": 1,
    "expense": 1,
    "liability": -1,
    "equity": -1,
    "income": -1,
}

INPUT_TAX_NAME = "Input Tax Recoverable"

# (code, name, type, subtype)
STANDARD_CHART: list[tuple[str, str, str, str]] = [
    ("1000", "Business Checking", "asset", "bank"),
    ("1010", "Business Savings", "asset", "bank"),
    ("1100", "Accounts Receivable", "asset", "accounts_receivable"),
    ("1200", "Inventory", "asset", "current_asset"),
    ("1300", "Prepaid Expenses", "asset", "current_asset"),
    ("1400", INPUT_TAX_NAME, "asset", "current_asset"),
    ("1500", "Equipment", "asset", "fixed_asset"),
    ("1510", "Accumulated Depreciation", "asset", "fixed_asset"),
    ("2000", "Accounts Payable", "liability", "accounts_payable"),
    ("2100", "Credit Card", "liability", "current_liability"),
    ("2200", "Sales Tax Payable", "liability", "tax"),
    ("2300", "Payroll Liabilities", "liability", "current_liability"),
    ("2500", "Loan Payable", "liability", "long_term_liability"),
    ("3000", "Owner's Equity", "equity", "equity"),
    ("3100", "Owner's Draws", "equity", "equity"),
    ("3900", "Retained Earnings", "equity", "retained_earnings"),
    ("4000", "Sales", "income", "income"),
    ("4100", "Services Revenue", "income", "income"),
    ("4900", "Interest and Other Income", "income", "other_income"),
    ("5000", "Cost of Goods Sold", "expense", "cost_of_sales"),
    ("6000", "Advertising and Marketing", "expense", "expense"),
    ("6100", "Bank Fees", "expense", "expense"),
    ("6200", "Contractors", "expense", "expense"),
    ("6300", "Insurance", "expense", "expense"),
    ("6400", "Meals and Entertainment", "expense", "expense"),
    ("6500", "Office Supplies", "expense", "expense"),
    ("6600", "Professional Fees", "expense", "expense"),
    ("6700", "Rent", "expense", "expense"),
    ("6800", "Software and Subscriptions", "expense", "expense"),
    ("6900", "Telephone and Internet", "expense", "expense"),
    ("7000", "Travel", "expense", "expense"),
    ("7100", "Utilities", "expense", "expense"),
    ("7200", "Payroll Expenses", "expense", "expense"),
    ("7300", "Repairs and Maintenance", "expense", "expense"),
    ("7400", "Shipping and Postage", "expense", "expense"),
    ("7500", "Depreciation", "expense", "expense"),
    ("7900", "Other Expenses", "expense", "expense"),
    ("8000", "Interest Expense", "expense", "other_expense"),
]

_BANKS = {
    "1000": ("Business Checking", "First Community Bank", "4821"),
    "1010": ("Business Savings", "First Community Bank", "9930"),
}


def create_standard_chart(session: Session, company: Company) -> dict[str, Account]:
    """Create the standard chart and the two bank accounts; returns accounts by code."""
    accounts: dict[str, Account] = {}
    for code, name, type_, subtype in STANDARD_CHART:
        account = Account(company_id=company.id, code=code, name=name, type=type_, subtype=subtype)
        session.add(account)
        accounts[code] = account
    session.flush()
    for code, (name, institution, last4) in _BANKS.items():
        session.add(
            BankAccount(
                company_id=company.id,
                account_id=accounts[code].id,
                name=name,
                institution=institution,
                last4=last4,
                currency=company.home_currency,
            )
        )
    session.flush()
    return accounts


def account_by_code(session: Session, company_id: int, code: str) -> Account:
    account = session.scalar(
        select(Account).where(Account.company_id == company_id, Account.code == code)
    )
    if account is None:
        raise NotFound(f"No account with code {code}", code="unknown_account")
    return account


def account_by_subtype(session: Session, company_id: int, subtype: str) -> Account:
    """The first active account of a subtype (e.g. the AR or AP control account)."""
    account = session.scalar(
        select(Account)
        .where(
            Account.company_id == company_id,
            Account.subtype == subtype,
            Account.is_active.is_(True),
        )
        .order_by(Account.code)
        .limit(1)
    )
    if account is None:
        raise NotFound(f"The chart has no {subtype.replace('_', ' ')} account")
    return account
