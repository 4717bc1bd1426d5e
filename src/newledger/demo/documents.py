"""Document lifecycles for the demo: invoices, bills, expenses, payments and bank lines.

Each method writes a document together with everything that happened to it up to the as-of
date (approval entry, payments, the bank feed's lines), following the posting conventions:

- invoice approved: Dr AR (contact) / Cr each line's income account (and, for the customers
  charged sales tax, Cr Sales Tax Payable the tax);
- payment received: Dr bank GL / Cr AR (contact); payment made: Dr AP (contact) / Cr bank GL;
- expense: Dr each line's account / Cr the bank GL, status paid;
- bill: Dr each line's account / Cr AP (contact), then payments;
- the vendors who charge VAT-like input tax add Dr Input Tax Recoverable to their expenses and
  bills, rounded per line (``newledger.ledger.tax``): a bill's lines are net (tax exclusive), an
  expense's are as on the receipt (tax inclusive: the expense account gets the net);
- categorized bank line: bank GL against the category account.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from newledger.demo.books import Books, Line
from newledger.ledger.tax import TaxedAmount, compute_tax

__all__ = ["DemoTax", "Documents", "LedgerIds"]

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class LedgerIds:
    """Account ids by code, and the two bank accounts (bank_accounts.id, their GL account id)."""

    accounts: dict[str, int]
    checking: tuple[int, int]
    savings: tuple[int, int]

    @property
    def ar(self) -> int:
        return self.accounts["1100"]

    @property
    def ap(self) -> int:
        return self.accounts["2000"]


@dataclass(frozen=True)
class DemoTax:
    """A demo tax rate, and the contacts it applies to (decided by name, so drawing no random
    numbers: the rest of the history stays as it was, and a seed gives the same books)."""

    rate_id: int
    rate: Decimal
    account_id: int
    every: int  # one contact in this many is taxed

    def taxes(
        self, contact: str, amounts: list[int], mode: str = "exclusive"
    ) -> list[tuple[int | None, int]]:
        if zlib.crc32(contact.encode()) % self.every:
            return [(None, 0)] * len(amounts)
        figures = compute_tax(
            [TaxedAmount(a, self.rate, self.rate_id) for a in amounts], mode, "line"
        )
        return [(self.rate_id, line.tax) for line in figures.lines]


def _status(total: int, paid: int) -> str:
    if paid <= 0:
        return "approved"
    return "paid" if paid >= total else "partially_paid"


class Documents:
    def __init__(
        self, books: Books, ids: LedgerIds, rng: random.Random, as_of: dt.date, user_id: int
    ) -> None:
        self.b = books
        self.ids = ids
        self.rng = rng
        self.as_of = as_of
        # The bank feed lags a day: nothing after this date has been imported yet.
        self.feed_cutoff = as_of - DAY
        self.user_id = user_id
        self.invoice_seq = 1000
        self.ref_seq = 40000
        self.sales_tax: DemoTax | None = None
        self.input_tax: DemoTax | None = None

    def invoice_gross(self, contact: str, amounts: list[int]) -> int:
        """What an invoice of these line amounts comes to, with any sales tax."""
        taxes = self.sales_tax.taxes(contact, amounts) if self.sales_tax else []
        return sum(amounts) + sum(t for _, t in taxes)

    def bill_gross(self, contact: str, amounts: list[int]) -> int:
        """What a bill (tax exclusive) of these amounts comes to, with any input tax."""
        taxes = self.input_tax.taxes(contact, amounts) if self.input_tax else []
        return sum(amounts) + sum(t for _, t in taxes)

    def ref(self) -> str:
        self.ref_seq += self.rng.randint(1, 37)
        return str(self.ref_seq)

    def _approval(self, day: dt.date, source: str = "ui", label: str = "") -> dict[str, Any]:
        stamp = self.b.stamp(day)
        return {
            "version": 1,
            "created_by_user_id": self.user_id if source == "ui" else None,
            "approved_by_user_id": self.user_id,
            "approved_at": stamp,
            "rejected_reason": "",
            "created_at": stamp,
            "updated_at": stamp,
            **self.b.document_source(source, label),
        }

    # bank feed

    def bank_line(
        self,
        day: dt.date,
        amount: int,
        description: str,
        *,
        status: str,
        bank: tuple[int, int] | None = None,
        category: int | None = None,
        payment_id: int | None = None,
        entry_id: int | None = None,
        txn_id: int | None = None,
    ) -> int | None:
        """An imported statement line (money in positive); nothing before the feed has it."""
        if day > self.feed_cutoff:
            return None
        bank_id = (bank or self.ids.checking)[0]
        txn_id = txn_id or self.b.new_id("bank_transactions")
        self.b.add(
            "bank_transactions",
            {
                "id": txn_id,
                "company_id": self.b.company_id,
                "bank_account_id": bank_id,
                "external_id": f"demo-{txn_id}",
                "date": day,
                "description": description,
                "amount": amount,
                "currency": self.b.currency,
                "status": status,
                "category_account_id": category,
                "payment_id": payment_id,
                "journal_entry_id": entry_id,
                "created_at": self.b.stamp(min(day + DAY, self.as_of)),
                "updated_at": self.b.stamp(min(day + DAY, self.as_of)),
            },
        )
        return txn_id

    def categorized(
        self,
        day: dt.date,
        amount: int,
        description: str,
        category: int,
        *,
        bank: tuple[int, int] | None = None,
        uncategorized: bool = False,
    ) -> None:
        """A bank line with no document behind it, categorized (posted) or left for review."""
        if day > self.feed_cutoff:
            return
        bank = bank or self.ids.checking
        if uncategorized:
            self.bank_line(day, amount, description, status="uncategorized", bank=bank)
            return
        txn_id = self.b.new_id("bank_transactions")
        lines: list[Line] = [(bank[1], amount, None, description), (category, -amount, None, "")]
        entry_id = self.b.entry(day, "bank", txn_id, lines, description)
        self.bank_line(
            day,
            amount,
            description,
            status="categorized",
            bank=bank,
            category=category,
            entry_id=entry_id,
            txn_id=txn_id,
        )

    def transfer_to_savings(self, day: dt.date, amount: int) -> None:
        if day > self.feed_cutoff:
            return
        out_id = self.b.new_id("bank_transactions")
        text = "ONLINE TRANSFER TO SAVINGS"
        entry_id = self.b.entry(
            day,
            "bank",
            out_id,
            [
                (self.ids.savings[1], amount, None, text),
                (self.ids.checking[1], -amount, None, text),
            ],
            text,
        )
        self.bank_line(
            day, -amount, text, status="categorized", category=self.ids.savings[1],
            entry_id=entry_id, txn_id=out_id,
        )  # fmt: skip
        self.bank_line(
            day, amount, "ONLINE TRANSFER FROM CHECKING", status="matched",
            bank=self.ids.savings, entry_id=entry_id,
        )  # fmt: skip

    # receivables

    def invoice(
        self,
        day: dt.date,
        customer: tuple[int, str],
        terms: int,
        lines: list[tuple[str, Decimal, int, int, str]],
        payments: list[tuple[dt.date, int]],
        void: bool = False,
    ) -> None:
        """An approved invoice and the payments received on it up to the as-of date."""
        contact_id, name = customer
        invoice_id = self.b.new_id("invoices")
        self.invoice_seq += 1
        number = f"INV-{self.invoice_seq:05d}"
        amounts = [line[3] for line in lines]
        taxes = self.sales_tax.taxes(name, amounts) if self.sales_tax else []
        tax_total = sum(t for _, t in taxes)
        total = sum(amounts) + tax_total
        entry_lines: list[Line] = [(self.ids.ar, total, contact_id, number)]
        entry_lines += [
            (self.ids.accounts[code], -amt, contact_id, d) for d, _, _, amt, code in lines
        ]
        if tax_total and self.sales_tax:
            entry_lines.append((self.sales_tax.account_id, -tax_total, contact_id, "Sales tax"))
        entry_id = self.b.entry(day, "invoice", invoice_id, entry_lines, f"Invoice {number} {name}")
        self.b.invoice_lines(
            invoice_id,
            [(d, q, u, a, self.ids.accounts[code]) for d, q, u, a, code in lines],
            taxes,
        )
        void_entry = None
        paid = 0
        events = 1  # approval; every payment or void bumps the version too, as the services do
        void_day = day + DAY * self.rng.randint(2, 12)
        if void and void_day <= self.as_of:
            void_entry = self.b.reverse(
                void_day, entry_id, entry_lines, invoice_id, f"Void invoice {number}"
            )
            status = "voided"
            events += 1
        else:
            for pay_day, amount in payments:
                if pay_day > self.as_of:
                    break
                amount = min(amount, total - paid)
                if amount <= 0:
                    break
                self.receive(pay_day, contact_id, name, invoice_id, number, amount)
                paid += amount
                events += 1
            status = _status(total, paid)
        row = self._approval(day)
        self.b.add(
            "invoices",
            {
                **row,
                "id": invoice_id,
                "company_id": self.b.company_id,
                "number": number,
                "contact_id": contact_id,
                "issue_date": day,
                "due_date": day + DAY * terms,
                "currency": self.b.currency,
                "status": status,
                "total": total,
                "amount_paid": paid,
                "amount_credited": 0,
                "tax_mode": "exclusive",
                "subtotal": total - tax_total,
                "tax_total": tax_total,
                "memo": "",
                "journal_entry_id": entry_id,
                "void_entry_id": void_entry,
                "version": 1 + events,
                "updated_at": self.b.stamp(void_day if void_entry else day),
            },
        )

    def receive(
        self, day: dt.date, contact_id: int, name: str, invoice_id: int, number: str, amount: int
    ) -> None:
        payment_id = self.b.new_id("payments")
        ref = f"{number} {self.ref()}"
        bank = self.ids.checking
        entry_id = self.b.entry(
            day,
            "payment",
            payment_id,
            [(bank[1], amount, contact_id, ref), (self.ids.ar, -amount, contact_id, ref)],
            f"Payment from {name} for {number}",
        )
        self._payment(payment_id, "received", day, amount, contact_id, ref, entry_id,
                      invoice_id=invoice_id)  # fmt: skip
        how = self.rng.choice(("ACH CREDIT", "MOBILE DEPOSIT", "WIRE IN", "ACH CREDIT"))
        self.bank_line(
            day, amount, f"{how} {name.upper()[:40]} {number}", status="matched",
            payment_id=payment_id, entry_id=entry_id,
        )  # fmt: skip

    def _payment(
        self,
        payment_id: int,
        direction: str,
        day: dt.date,
        amount: int,
        contact_id: int,
        reference: str,
        entry_id: int,
        *,
        invoice_id: int | None = None,
        expense_id: int | None = None,
    ) -> None:
        self.b.add(
            "payments",
            {
                "id": payment_id,
                "company_id": self.b.company_id,
                "direction": direction,
                "contact_id": contact_id,
                "invoice_id": invoice_id,
                "expense_id": expense_id,
                "bank_account_id": self.ids.checking[0],
                "date": day,
                "amount": amount,
                "currency": self.b.currency,
                "reference": reference,
                "journal_entry_id": entry_id,
                "created_at": self.b.stamp(day),
                "updated_at": self.b.stamp(day),
            },
        )

    # payables

    def expense(
        self,
        day: dt.date,
        vendor: tuple[int, str],
        lines: list[tuple[str, int, int]],
        *,
        kind: str,
        terms: int = 30,
        payments: tuple[tuple[dt.date, int], ...] = (),
        source: str = "ui",
        label: str = "",
    ) -> None:
        """An approved expense (paid at once from checking, its amounts tax inclusive, as on a
        receipt) or bill (owed, then paid; tax exclusive)."""
        contact_id, name = vendor
        expense_id = self.b.new_id("expenses")
        amounts = [line[1] for line in lines]
        mode = "inclusive" if kind == "expense" else "exclusive"
        taxes = self.input_tax.taxes(name, amounts, mode) if self.input_tax else []
        tax_total = sum(t for _, t in taxes)
        total = sum(amounts) + (0 if mode == "inclusive" else tax_total)
        reference = self.ref()
        description = lines[0][0]
        credit = self.ids.checking[1] if kind == "expense" else self.ids.ap
        nets = [
            amt - tax if mode == "inclusive" else amt
            for (_, amt, _), (_, tax) in zip(lines, taxes or [(None, 0)] * len(lines), strict=True)
        ]
        entry_lines: list[Line] = [
            (acc, net, contact_id, d) for (d, _, acc), net in zip(lines, nets, strict=True) if net
        ]
        if tax_total and self.input_tax:
            entry_lines.append((self.input_tax.account_id, tax_total, contact_id, "Input tax"))
        entry_lines.append((credit, -total, contact_id, f"{name} {reference}"))
        entry_id = self.b.entry(day, "expense", expense_id, entry_lines, f"{name}: {description}")
        self.b.expense_lines(expense_id, lines, taxes)
        paid = 0
        events = 1
        if kind == "expense":
            paid = total
            self.bank_line(
                day, -total, f"DEBIT CARD PURCHASE {name.upper()[:40]} {reference}",
                status="matched", entry_id=entry_id,
            )  # fmt: skip
            status = "paid"
        else:
            for pay_day, amount in payments:
                amount = min(amount, total - paid)
                if pay_day > self.as_of or amount <= 0:
                    break
                self.pay_bill(pay_day, contact_id, name, expense_id, reference, amount)
                paid += amount
                events += 1
            status = _status(total, paid)
        self.b.add(
            "expenses",
            {
                **self._approval(day, source, label),
                "id": expense_id,
                "company_id": self.b.company_id,
                "kind": kind,
                "contact_id": contact_id,
                "date": day,
                "due_date": day + DAY * terms if kind == "bill" else None,
                "payment_account_id": self.ids.checking[1] if kind == "expense" else None,
                "currency": self.b.currency,
                "status": status,
                "total": total,
                "amount_paid": paid,
                "amount_credited": 0,
                "tax_mode": mode,
                "subtotal": total - tax_total,
                "tax_total": tax_total,
                "description": description,
                "reference": reference,
                "journal_entry_id": entry_id,
                "void_entry_id": None,
                "version": 1 + events,
            },
        )

    def pay_bill(
        self, day: dt.date, contact_id: int, name: str, expense_id: int, ref: str, amount: int
    ) -> None:
        payment_id = self.b.new_id("payments")
        bank = self.ids.checking
        entry_id = self.b.entry(
            day,
            "payment",
            payment_id,
            [(self.ids.ap, amount, contact_id, ref), (bank[1], -amount, contact_id, ref)],
            f"Payment to {name} ({ref})",
        )
        self._payment(payment_id, "made", day, amount, contact_id, ref, entry_id,
                      expense_id=expense_id)  # fmt: skip
        self.bank_line(
            day, -amount, f"ACH DEBIT {name.upper()[:40]} {ref}", status="matched",
            payment_id=payment_id, entry_id=entry_id,
        )  # fmt: skip
