"""The main navigation. Each entry shows only to users holding its permission (or any of them).

Pages built by later features plug in here by path; an entry whose page does not exist yet is
still listed, so the layout is complete from the start.
"""

from __future__ import annotations

from dataclasses import dataclass

from newledger.identity.permissions import Permission

__all__ = ["NAV", "SETTINGS_NAV", "NavItem", "manages_for", "nav_for"]


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    any_of: tuple[Permission, ...] = ()
    # A page others may only read: for them it is not where Settings lands (``manages_for``).
    manage: tuple[Permission, ...] = ()


NAV: tuple[NavItem, ...] = (
    NavItem("Dashboard", "/", ()),
    NavItem("Invoices", "/invoices", (Permission.INVOICES_READ,)),
    NavItem("Credit notes", "/credit-notes", (Permission.INVOICES_READ,)),
    NavItem("Expenses", "/expenses", (Permission.EXPENSES_READ,)),
    NavItem("Vendor credits", "/vendor-credits", (Permission.EXPENSES_READ,)),
    NavItem("Contacts", "/contacts", (Permission.CONTACTS_READ,)),
    NavItem("Bank", "/bank", (Permission.BANK_READ,)),
    NavItem("Review", "/review", (Permission.INVOICES_READ, Permission.EXPENSES_READ)),
    NavItem("Reports", "/reports", (Permission.REPORTS_READ,)),
    NavItem("Activity", "/activity", (Permission.ACTIVITY_READ,)),
    # Every member has Settings: their own security and, under App Connect, their own OAuth
    # connections and the MCP set-up guides (anyone may connect an assistant with the
    # permissions they hold). Company administration inside it keeps its own permissions.
    NavItem("Settings", "/settings", ()),
)

SETTINGS_NAV: tuple[NavItem, ...] = (
    NavItem("Company", "/settings/company", (Permission.COMPANY_MANAGE,)),
    NavItem("Tax rates", "/settings/tax-rates", (Permission.LEDGER_POST,)),
    # Everyone who reads the chart sees the items (read-only); ledger:post changes them.
    NavItem("Items", "/settings/items", (Permission.ACCOUNTS_READ,), (Permission.LEDGER_POST,)),
    NavItem("App Connect", "/settings/appconnect", ()),
    NavItem("Integrations", "/settings/integrations", ()),
    NavItem("Members", "/settings/members", (Permission.MEMBERS_MANAGE,)),
    NavItem("Security", "/account/security", ()),
)


def _visible(item: NavItem, permissions: frozenset[Permission]) -> bool:
    return not item.any_of or any(p in permissions for p in item.any_of)


def nav_for(permissions: frozenset[Permission], items: tuple[NavItem, ...] = NAV) -> list[NavItem]:
    return [item for item in items if _visible(item, permissions)]


def manages_for(permissions: frozenset[Permission], items: tuple[NavItem, ...]) -> list[NavItem]:
    """The entries of ``items`` where these permissions change something, not only read."""
    return [
        item
        for item in nav_for(permissions, items)
        if not item.manage or any(p in permissions for p in item.manage)
    ]
