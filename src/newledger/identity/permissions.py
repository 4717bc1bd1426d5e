"""The permission catalogue and the roles built from it (DESIGN §3).

One source of truth: the UI shows these descriptions, the token endpoint and the OAuth metadata
publish the delegable ones as scopes, and every service checks against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CATALOGUE",
    "DELEGABLE",
    "ROLES",
    "Permission",
    "PermissionInfo",
    "Role",
    "parse_permissions",
    "role_permissions",
]


class Permission(StrEnum):
    COMPANY_READ = "company:read"
    ACCOUNTS_READ = "accounts:read"
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    INVOICES_READ = "invoices:read"
    INVOICES_DRAFT = "invoices:draft"
    EXPENSES_READ = "expenses:read"
    EXPENSES_DRAFT = "expenses:draft"
    PAYMENTS_READ = "payments:read"
    PAYMENTS_DRAFT = "payments:draft"
    BANK_READ = "bank:read"
    BANK_DRAFT = "bank:draft"
    JOURNAL_READ = "journal:read"
    REPORTS_READ = "reports:read"
    ACTIVITY_READ = "activity:read"
    # User-only: never delegable to an app or connection.
    LEDGER_POST = "ledger:post"
    APPCONNECT_MANAGE = "appconnect:manage"
    MEMBERS_MANAGE = "members:manage"
    COMPANY_MANAGE = "company:manage"


@dataclass(frozen=True)
class PermissionInfo:
    permission: Permission
    description: str
    delegable: bool
    # Draft permissions do not imply read: an app that may only drop in drafts cannot list books.
    implies: tuple[Permission, ...] = ()


CATALOGUE: dict[Permission, PermissionInfo] = {
    p.permission: p
    for p in [
        PermissionInfo(Permission.COMPANY_READ, "Company profile, currency, fiscal year", True),
        PermissionInfo(Permission.ACCOUNTS_READ, "Chart of accounts and balances", True),
        PermissionInfo(Permission.CONTACTS_READ, "Customers and vendors", True),
        PermissionInfo(Permission.CONTACTS_WRITE, "Create and update customers and vendors", True),
        PermissionInfo(Permission.INVOICES_READ, "Invoices", True),
        PermissionInfo(Permission.INVOICES_DRAFT, "Create, edit and delete draft invoices", True),
        PermissionInfo(Permission.EXPENSES_READ, "Expenses and bills", True),
        PermissionInfo(Permission.EXPENSES_DRAFT, "Create, edit and delete draft expenses", True),
        PermissionInfo(Permission.PAYMENTS_READ, "Payments received and made", True),
        PermissionInfo(
            Permission.PAYMENTS_DRAFT,
            "Propose payments against invoices and bills, for review",
            True,
        ),
        PermissionInfo(Permission.BANK_READ, "Bank accounts and bank transactions", True),
        PermissionInfo(
            Permission.BANK_DRAFT, "Propose categorizations of bank transactions, for review", True
        ),
        PermissionInfo(Permission.JOURNAL_READ, "Journal entries and the general ledger", True),
        PermissionInfo(
            Permission.REPORTS_READ,
            "Cash position, AR/AP aging, expenses by category, P&L, balance sheet",
            True,
        ),
        PermissionInfo(Permission.ACTIVITY_READ, "The company's activity (audit) log", True),
        PermissionInfo(Permission.LEDGER_POST, "Approve drafts and post journal entries", False),
        PermissionInfo(
            Permission.APPCONNECT_MANAGE, "Manage App Connect apps and connections", False
        ),
        PermissionInfo(Permission.MEMBERS_MANAGE, "Add members and change roles", False),
        PermissionInfo(Permission.COMPANY_MANAGE, "Change company settings", False),
    ]
}

DELEGABLE: frozenset[Permission] = frozenset(p for p, i in CATALOGUE.items() if i.delegable)

_READ = frozenset(p for p in DELEGABLE if p.value.endswith(":read"))
_DRAFT = frozenset(
    {
        Permission.INVOICES_DRAFT,
        Permission.EXPENSES_DRAFT,
        Permission.PAYMENTS_DRAFT,
        Permission.BANK_DRAFT,
        Permission.CONTACTS_WRITE,
    }
)


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    ACCOUNTANT = "accountant"
    BOOKKEEPER = "bookkeeper"
    VIEWER = "viewer"


ROLES: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission) - {Permission.COMPANY_MANAGE},
    Role.ACCOUNTANT: DELEGABLE | {Permission.LEDGER_POST, Permission.APPCONNECT_MANAGE},
    Role.BOOKKEEPER: _READ | _DRAFT | {Permission.LEDGER_POST},
    Role.VIEWER: _READ,
}


def role_permissions(role: str) -> frozenset[Permission]:
    return _BY_ROLE_NAME.get(role, frozenset())


# By the role's stored name: one dict look-up (this runs on every token request and API call).
_BY_ROLE_NAME: dict[str, frozenset[Permission]] = {r.value: perms for r, perms in ROLES.items()}


def parse_permissions(values: str | list[str] | tuple[str, ...]) -> frozenset[Permission]:
    """Parse a space-separated scope string or a list; unknown names raise ``ValueError``."""
    items = values.split() if isinstance(values, str) else list(values)
    out: set[Permission] = set()
    for item in items:
        out.add(Permission(item))
    return frozenset(out)
