"""Hypothesis strategies for taxed books with credit notes (``tests.support.taxed_books``
runs what they draw).

``OPERATIONS`` draws one operation of any kind; ``SEQUENCES`` draws whole sequences in rounds
that give the uses of credit something to act on; ``CREDIT_SCENE`` is one fixed sequence with
every use of credit in it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["CREDIT_SCENE", "OPERATIONS", "SEQUENCES"]

cents = st.integers(min_value=1, max_value=500_000)
day = st.integers(min_value=0, max_value=120)
later = st.integers(min_value=0, max_value=120)
pick = st.integers(min_value=0, max_value=50)
share = st.integers(min_value=1, max_value=100)  # percent of what may be paid or used
mode = st.sampled_from(["exclusive", "inclusive"])
side = st.sampled_from(["sales", "purchase"])
# A line: amount, and its tax rate ("none", or a rate of the side) or the side's item.
sale_line = st.tuples(cents, st.sampled_from(["none", "state", "both", "zero", "item"]))
buy_line = st.tuples(cents, st.sampled_from(["none", "vat", "both", "item"]))
mostly = st.sampled_from([True, True, True, False])

_sales_credit = st.tuples(
    st.just("credit_note"),
    st.just("sales"),
    st.lists(sale_line, min_size=1, max_size=3),
    mode,
    day,
    st.integers(0, 100),  # proposed allocation: percent of what may be allocated (0: none)
    mostly,  # approve now, or leave the draft for review later
)
_vendor_credit = st.tuples(
    st.just("credit_note"),
    st.just("purchase"),
    st.lists(buy_line, min_size=1, max_size=3),
    mode,
    day,
    st.integers(0, 100),
    mostly,
)
_invoice = st.tuples(
    st.just("taxed_invoice"), st.lists(sale_line, min_size=1, max_size=4), mode, day
)
_expense = st.tuples(
    st.just("taxed_expense"),
    st.sampled_from(["bill", "bill", "expense"]),
    st.lists(buy_line, min_size=1, max_size=4),
    mode,
    day,
)
# A payment or allocation of a share of what may be paid or used, or (-1) a cent more, which
# must be refused. Uses of credit pick among the credit notes and vendor credits of either kind.
_pay = st.tuples(st.just("pay"), side, pick, st.one_of(share, share, st.just(-1)), later)
_allocate = st.tuples(st.just("allocate"), pick, pick, st.one_of(share, share, st.just(-1)), later)
_refund = st.tuples(st.just("refund"), pick, share, later)
_unallocate = st.tuples(st.just("unallocate"), pick)
_void_credit = st.tuples(st.just("void_credit"), pick, later)
_review = st.tuples(st.just("review"), pick, st.sampled_from(["approve", "approve", "reject"]))
_void_later = st.tuples(st.just("void_later"), side, pick, later)
_rounding = st.tuples(st.just("rounding"), st.sampled_from(["line", "document"]))
_tax_paid = st.tuples(st.just("tax_paid"), cents, day)

OPERATIONS = st.one_of(
    _invoice,
    _expense,
    _sales_credit,
    _vendor_credit,
    _allocate,
    _pay,
    _refund,
    _unallocate,
    _void_credit,
    _review,
    _void_later,
    _rounding,
    _tax_paid,
)
# A sequence goes in rounds, each a document, a credit note, two uses (of credit, mostly) and
# one more operation of any kind, so that most sequences have something to pay, allocate,
# refund and void. (Shrinking goes towards fewer rounds and the first choices.)
_use = st.sampled_from(
    [_allocate, _allocate, _pay, _refund, _unallocate, _void_credit, _review]
).flatmap(lambda operation: operation)
_round = st.tuples(
    st.one_of(_invoice, _expense), st.one_of(_sales_credit, _vendor_credit), _use, _use, OPERATIONS
)
SEQUENCES = st.lists(_round, min_size=1, max_size=4).map(
    lambda rounds: [op for one in rounds for op in one]
)

# Taxed books with every use of credit, for ``apply_operation`` in turn: an invoice and a bill
# with taxed and item lines, a credit note partly applied by its proposal and the rest
# refunded, a vendor credit partly refunded, a credit note voided later, an invoice paid.
CREDIT_SCENE: tuple[tuple[Any, ...], ...] = (
    ("taxed_invoice", [(100_000, "state"), (2_500, "item")], "exclusive", 5),
    ("taxed_expense", "bill", [(80_000, "vat"), (1, "item")], "inclusive", 6),
    ("credit_note", "sales", [(30_000, "state")], "inclusive", 10, 50, True),
    ("credit_note", "purchase", [(20_000, "vat"), (1, "item")], "exclusive", 12, 0, True),
    ("refund", 0, 100, 3),  # the rest of CN-00001
    ("refund", 0, 40, 5),  # 40 % of VC-00001, the only approved one left
    ("credit_note", "sales", [(5_000, "both")], "exclusive", 20, 0, True),
    ("void_credit", 2, 4),  # CN-00002, nothing used of it
    ("pay", "sales", 0, 100, 30),
)
