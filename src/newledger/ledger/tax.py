"""Sales tax / VAT arithmetic: how a document's lines become net, tax and total.

Amounts stay integer minor units of the document's currency (whole yen for JPY, cents for
USD); ``Decimal`` is used only for ``amount x rate``, and every tax figure is rounded to the
minor unit **half up** (a tie goes away from zero), as Xero rounds.

A document says how its line amounts read (``tax_mode``):

- ``exclusive`` (the default): a line's amount is net; its tax is ``amount x rate`` and comes
  on top. ``total = subtotal + tax_total``.
- ``inclusive``: a line's amount already holds the tax, which is backed out as
  ``amount x rate / (1 + rate)`` (Xero's formula); the net is ``amount - tax``.

A company chooses where the rounding happens (``companies.tax_rounding``):

- ``line`` (Xero's default): each line's tax is rounded, and the document's tax is the sum.
- ``document``: the exact tax of all lines with the same rate is rounded once; each line then
  gets its share so that the lines still add up to the document's figure (the running total is
  rounded, and each line takes the step, so no cent is lost or invented).

Worked example, 7.25 %, two exclusive lines of 10.10 and 10.10 (1010 cents each):
per line, each tax is 1010 x 0.0725 = 73.225 → 73 cents, tax 1.46, total 21.66; per document,
2020 x 0.0725 = 146.45 → 146 cents as well, split 73 (73.225 → 73) and 73 (146.45 - 73 → 73).
With three lines of 0.10 at 7.25 %: per line each 0.725 → 1 cent, tax 0.03; per document
30 x 0.0725 = 2.175 → 2 cents, tax 0.02 (the lines get 1, 0, 1). Inclusive 100.00 at 20 %:
10000 x 0.2 / 1.2 = 1666.67 → tax 16.67, net 83.33, total 100.00.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "ROUNDING_RULES",
    "TAX_MODES",
    "DocumentTax",
    "LineTax",
    "TaxedAmount",
    "compute_tax",
]

TAX_MODES = ("exclusive", "inclusive")
ROUNDING_RULES = ("line", "document")


@dataclass(frozen=True)
class TaxedAmount:
    """A line as entered: its amount (minor units) and its tax rate, if any. ``key`` groups
    lines of the same rate for per-document rounding (the rate's id)."""

    amount: int
    rate: Decimal | None = None  # percent: Decimal("7.25")
    key: Hashable = None


@dataclass(frozen=True)
class LineTax:
    net: int
    tax: int


@dataclass(frozen=True)
class DocumentTax:
    lines: list[LineTax]
    subtotal: int
    tax_total: int
    total: int


def _exact(amount: int, rate: Decimal, mode: str) -> Decimal:
    fraction = rate / 100
    if mode == "inclusive":
        return amount * fraction / (1 + fraction)
    return amount * fraction


def _round(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def compute_tax(lines: Sequence[TaxedAmount], mode: str, rounding: str) -> DocumentTax:
    """Net and tax of each line, and the document's subtotal, tax and total (see above)."""
    if mode not in TAX_MODES:
        raise ValueError(f"unknown tax mode {mode!r}")
    if rounding not in ROUNDING_RULES:
        raise ValueError(f"unknown tax rounding {rounding!r}")
    taxes = [0] * len(lines)
    if rounding == "line":
        for i, line in enumerate(lines):
            if line.rate:
                taxes[i] = _round(_exact(line.amount, line.rate, mode))
    else:
        groups: dict[tuple[Hashable, Decimal], list[int]] = defaultdict(list)
        for i, line in enumerate(lines):
            if line.rate:
                groups[(line.key, line.rate)].append(i)
        for (_key, rate), members in groups.items():
            running, taken = 0, 0
            for i in members:
                running += lines[i].amount
                share = _round(_exact(running, rate, mode)) - taken
                taxes[i] = share
                taken += share
    results = [
        LineTax(line.amount - tax if mode == "inclusive" else line.amount, tax)
        for line, tax in zip(lines, taxes, strict=True)
    ]
    subtotal = sum(r.net for r in results)
    tax_total = sum(taxes)
    return DocumentTax(results, subtotal, tax_total, subtotal + tax_total)
