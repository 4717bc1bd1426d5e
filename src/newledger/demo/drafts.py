"""Drafts awaiting review: what the review queue shows on a fresh demo.

Some come from people in the app, some from an automation (an API credential app labelled
"Zapier sync") and one from an AI assistant over MCP, so the queue shows where each came from.
Drafts post nothing: they have no journal entry until a person approves them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from newledger.demo.documents import DAY
from newledger.demo.grants import SOURCE_GRANT
from newledger.demo.history import History

__all__ = ["DraftSummary", "add_drafts"]

# (days before as-of, vendor, kind, [(description, dollars, account code)], source, label, status)
_EXPENSES: tuple[tuple[int, str, str, list[tuple[str, float, str]], str, str, str], ...] = (
    (
        1,
        "Staples",
        "expense",
        [("Printer paper and toner", 86.40, "6500")],
        "api",
        "Zapier sync",
        "draft",
    ),
    (
        2,
        "Amazon",
        "expense",
        [("USB-C hub and cables", 54.97, "6500"), ("Desk lamp", 39.99, "7300")],
        "api",
        "Zapier sync",
        "draft",
    ),
    (
        3,
        "Delta Air Lines",
        "expense",
        [("Airfare - Chicago client workshop", 412.60, "7000")],
        "mcp",
        "Claude (MCP)",
        "draft",
    ),
    (2, "Luigi's Trattoria", "expense", [("Client lunch", 128.35, "6400")], "ui", "", "draft"),
    (
        4,
        "Maya Chen Illustration",
        "bill",
        [("Illustration work - 4 pieces", 1850.00, "6200")],
        "api",
        "Bill.com sync",
        "draft",
    ),
    (
        6,
        "Staples",
        "expense",
        [("Printer paper and toner", 86.40, "6500")],
        "api",
        "Zapier sync",
        "rejected",
    ),
)
_INVOICES: tuple[tuple[int, list[tuple[str, int]], str, str], ...] = (
    (1, [("Website redesign - phase 3", 9500_00), ("Rush fee", 500_00)], "ui", ""),
    (2, [("Monthly design retainer", 3500_00)], "ui", ""),
    (0, [("Brand identity design", 7200_00)], "api", "Zapier sync (HubSpot deal won)"),
)

DraftSummary = dict[str, list[tuple[str, int, str, str]]]
# Per grant name, the source columns of its drafts (``demo.grants.add_demo_grants``).
Grants = dict[str, dict[str, Any]]


def _untaxed(total: int) -> dict[str, Any]:
    """A draft without tax: its total is its net."""
    return {"tax_mode": "exclusive", "subtotal": total, "tax_total": 0}


def _draft_fields(
    h: History, day: dt.date, source: str, label: str, grants: Grants
) -> dict[str, Any]:
    stamp = h.b.stamp(day)
    return {
        "version": 1,
        "created_by_user_id": h.docs.user_id if source == "ui" else None,
        "approved_by_user_id": None,
        "approved_at": None,
        "rejected_reason": "",
        "created_at": stamp,
        "updated_at": stamp,
        "journal_entry_id": None,
        "void_entry_id": None,
        "amount_paid": 0,
        "amount_credited": 0,
        "currency": h.b.currency,
        "company_id": h.b.company_id,
        **h.b.document_source(source, label),
        # The app or connection named by the label (``demo.grants``), so the source opens.
        **grants.get(SOURCE_GRANT.get(label, ""), {}),
    }


def add_drafts(h: History, grants: Grants) -> DraftSummary:
    """Buffer the demo's drafts; returns (kind, id, source, label) rows for activity records."""
    made: DraftSummary = {"invoice": [], "expense": []}
    accounts = h.ids.accounts
    for days, vendor_name, kind, lines, source, label, status in _EXPENSES:
        day = h.as_of - DAY * days
        vendor_id, _ = h.vendor(vendor_name)
        expense_id = h.b.new_id("expenses")
        rows = [(text, round(dollars * 100), accounts[code]) for text, dollars, code in lines]
        h.b.expense_lines(expense_id, rows)
        h.b.add(
            "expenses",
            {
                **_draft_fields(h, day, source, label, grants),
                "id": expense_id,
                "kind": kind,
                "contact_id": vendor_id,
                "date": day,
                "due_date": day + DAY * 15 if kind == "bill" else None,
                "payment_account_id": h.ids.checking[1] if kind == "expense" else None,
                "status": status,
                "total": sum(r[1] for r in rows),
                **_untaxed(sum(r[1] for r in rows)),
                "description": rows[0][0],
                "reference": h.docs.ref(),
                "version": 2 if status == "rejected" else 1,
                "rejected_reason": "Duplicate of an approved receipt"
                if status == "rejected"
                else "",
            },
        )
        made["expense"].append((kind, expense_id, source, label))
    customers = h.customers
    for n, (days, items, source, label) in enumerate(_INVOICES):
        day = h.as_of - DAY * days
        contact_id, _name, _behaviour, terms = customers[n % len(customers)]
        invoice_id = h.b.new_id("invoices")
        h.docs.invoice_seq += 1
        h.b.invoice_lines(
            invoice_id,
            [(text, Decimal(1), amount, amount, accounts["4100"]) for text, amount in items],
        )
        h.b.add(
            "invoices",
            {
                **_draft_fields(h, day, source, label, grants),
                "id": invoice_id,
                "number": f"INV-{h.docs.invoice_seq:05d}",
                "contact_id": contact_id,
                "issue_date": day,
                "due_date": day + DAY * terms,
                "status": "draft",
                "total": sum(amount for _, amount in items),
                **_untaxed(sum(amount for _, amount in items)),
                "memo": "Drafted from a won deal" if source == "api" else "",
            },
        )
        made["invoice"].append(("invoice", invoice_id, source, label))
    return made
