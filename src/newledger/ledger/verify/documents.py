"""Figures derived from document lines and payments: totals, amounts paid, statuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, false, func, or_, select

from newledger.ledger.models import CreditAllocation, CreditNote, Expense, Invoice, Payment
from newledger.ledger.verify.drift import (
    AMOUNT_PAID,
    DOCUMENT_TOTAL,
    OPEN,
    STATUS,
    Books,
    Document,
    Drift,
    money,
)

__all__ = ["amounts_paid", "document_label", "document_totals"]


def document_label(model: Document) -> ColumnElement[str]:
    """The label of each document as SQL: invoice INV-7, bill #12, expense #12, credit note
    CN-00003, vendor credit VC-00001."""
    if model is Invoice:
        return "invoice " + Invoice.number
    if model is CreditNote:
        noun = case((CreditNote.kind == "sales", "credit note "), else_="vendor credit ")
        return noun + CreditNote.number
    return Expense.kind + " #" + cast(Expense.id, String)


def document_totals(books: Books, model: Document, line_model: Any, key: Any) -> Iterator[Drift]:
    """A document's tax is the sum of its lines' tax, and its total the sum of its lines (plus
    that tax when the lines are tax-exclusive); the subtotal is the total less the tax."""
    lines = (
        select(
            key.label("document_id"),
            func.sum(line_model.amount).label("total"),
            func.sum(line_model.tax_amount).label("tax"),
        )
        .where(line_model.company_id == books.cid)
        .group_by(key)
        .subquery()
    )
    tax = func.coalesce(lines.c.tax, 0)
    on_top = case((model.tax_mode == "inclusive", 0), else_=tax)
    expected = func.coalesce(lines.c.total, 0) + on_top
    rows = books.session.execute(
        select(
            document_label(model),
            model.currency,
            expected,
            model.total,
            tax,
            model.tax_total,
            model.subtotal,
        )
        .outerjoin(lines, lines.c.document_id == model.id)
        .where(
            model.company_id == books.cid,
            or_(
                model.total != expected,
                model.tax_total != tax,
                model.subtotal + model.tax_total != model.total,
                model.tax_mode.not_in(("exclusive", "inclusive")),
            ),
        )
        .order_by(model.id)
    )
    for label, cur, want, total, want_tax, tax_total, subtotal in rows:
        if total != want:
            yield books.drift(
                DOCUMENT_TOTAL,
                label,
                money(want, cur),
                money(total, cur),
                "the total differs from the sum of its lines and their tax",
            )
        if tax_total != want_tax:
            yield books.drift(
                DOCUMENT_TOTAL,
                label,
                money(want_tax, cur),
                money(tax_total, cur),
                "the tax total differs from the sum of its lines' tax",
            )
        if subtotal + tax_total != total and total == want and tax_total == want_tax:
            yield books.drift(
                DOCUMENT_TOTAL,
                label,
                money(total - tax_total, cur),
                money(subtotal, cur),
                "the subtotal is not the total less the tax",
            )


def amounts_paid(books: Books, model: type[Invoice] | type[Expense]) -> Iterator[Drift]:
    """``amount_paid`` is the sum of the payments against the document (an expense paid at
    approval counts as paid in full), ``amount_credited`` the sum of the credit applied to it,
    and the status follows from the two."""
    key = Payment.invoice_id if model is Invoice else Payment.expense_id
    credit_key = CreditAllocation.invoice_id if model is Invoice else CreditAllocation.expense_id
    credit = (
        select(credit_key.label("document_id"), func.sum(CreditAllocation.amount).label("amount"))
        .where(
            CreditAllocation.company_id == books.cid,
            CreditAllocation.status == "applied",
            credit_key.is_not(None),
        )
        .group_by(credit_key)
        .subquery()
    )
    expected_credited = func.coalesce(credit.c.amount, 0)
    paid = (
        select(
            key.label("document_id"),
            func.sum(Payment.amount).label("paid"),
            func.count().label("payments"),
        )
        .where(Payment.company_id == books.cid, key.is_not(None))
        .group_by(key)
        .subquery()
    )
    payments = func.coalesce(paid.c.payments, 0)
    # An expense (not a bill) is paid from its payment account when approved: no payments.
    at_once: ColumnElement[bool] = Expense.kind == "expense" if model is Expense else false()
    expected_paid = case(
        (at_once, case((model.status.in_(("paid", "voided")), model.total), else_=0)),
        else_=func.coalesce(paid.c.paid, 0),
    )
    settled = expected_paid + expected_credited
    expected_status = case(
        (model.status.not_in(OPEN), model.status),
        (at_once, "paid"),
        (settled == 0, "approved"),
        (settled < model.total, "partially_paid"),
        else_="paid",
    )
    takes_none = or_(model.status.not_in(OPEN), at_once)
    rows = books.session.execute(
        select(
            document_label(model),
            model.currency,
            model.status,
            model.total,
            model.amount_paid,
            expected_paid,
            expected_status,
            payments,
            takes_none,
            model.amount_credited,
            expected_credited,
        )
        .outerjoin(paid, paid.c.document_id == model.id)
        .outerjoin(credit, credit.c.document_id == model.id)
        .where(
            model.company_id == books.cid,
            or_(
                model.amount_paid != expected_paid,
                model.amount_credited != expected_credited,
                model.status != expected_status,
                settled > model.total,
                and_(payments > 0, takes_none),
                and_(expected_credited > 0, takes_none),
            ),
        )
        .order_by(model.id)
    )
    for row in rows:
        label, cur, status, total, amount_paid, want, want_status, count, none = row[:9]
        credited, want_credited = row[9:]
        if credited != want_credited:
            yield books.drift(
                AMOUNT_PAID,
                label,
                money(want_credited, cur),
                money(credited, cur),
                "amount credited differs from the credit notes applied to it",
            )
        if want_credited and none:
            yield books.drift(
                AMOUNT_PAID,
                label,
                "no credit",
                money(want_credited, cur),
                f"credit is applied to a {status} document that takes none",
            )
        want_settled = want + want_credited
        if amount_paid != want:
            yield books.drift(
                AMOUNT_PAID,
                label,
                money(want, cur),
                money(amount_paid, cur),
                "amount paid differs from the payments recorded against it",
            )
        if status != want_status:
            yield books.drift(
                STATUS,
                label,
                want_status,
                status,
                f"the status does not follow from {money(want_settled, cur)} paid or credited "
                f"of {money(total, cur)}",
            )
        if want_settled > total:
            yield books.drift(
                AMOUNT_PAID,
                label,
                f"at most {money(total, cur)}",
                money(want_settled, cur),
                "more is paid and credited than the total",
            )
        if count and none:
            yield books.drift(
                AMOUNT_PAID,
                label,
                "no payments",
                f"{count} payment(s)",
                f"payments are recorded against a {status} document that takes none",
            )
