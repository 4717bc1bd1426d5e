"""Credit notes: what is allocated and refunded of each follows from its allocations and refund
payments, its status from those, and allocations sit only where they may."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Subquery, and_, case, func, or_, select

from newledger.ledger.models import CreditAllocation, CreditNote, Payment
from newledger.ledger.verify.documents import document_label
from newledger.ledger.verify.drift import AMOUNT_PAID, STATUS, Books, Drift, money

__all__ = ["credit_figures"]

_USED = ("approved", "applied")  # posted, not voided: the statuses that take allocations


def _sums(books: Books, status: str) -> Subquery:
    return (
        select(
            CreditAllocation.credit_note_id.label("note_id"),
            func.sum(CreditAllocation.amount).label("amount"),
            func.count().label("n"),
        )
        .where(CreditAllocation.company_id == books.cid, CreditAllocation.status == status)
        .group_by(CreditAllocation.credit_note_id)
        .subquery()
    )


def credit_figures(books: Books) -> Iterator[Drift]:
    """``amount_allocated`` is the sum of the applied allocations and ``amount_refunded`` the
    sum of the refund payments; together they never pass the total. An approved credit note with
    nothing left is ``applied`` and one with something left ``approved``. Applied allocations and
    refunds belong to approved or applied credit notes, proposed allocations to drafts."""
    applied, proposed = _sums(books, "applied"), _sums(books, "proposed")
    refunds = (
        select(Payment.credit_note_id.label("note_id"), func.sum(Payment.amount).label("amount"))
        .where(Payment.company_id == books.cid, Payment.credit_note_id.is_not(None))
        .group_by(Payment.credit_note_id)
        .subquery()
    )
    cn = CreditNote
    allocated = func.coalesce(applied.c.amount, 0)
    refunded = func.coalesce(refunds.c.amount, 0)
    n_proposed = func.coalesce(proposed.c.n, 0)
    used = cn.status.in_(_USED)
    expected_status = case(
        (~used, cn.status),
        (allocated + refunded == cn.total, "applied"),
        else_="approved",
    )
    rows = books.session.execute(
        select(
            document_label(cn),
            cn.currency,
            cn.status,
            cn.total,
            cn.amount_allocated,
            allocated,
            cn.amount_refunded,
            refunded,
            expected_status,
            n_proposed,
        )
        .outerjoin(applied, applied.c.note_id == cn.id)
        .outerjoin(proposed, proposed.c.note_id == cn.id)
        .outerjoin(refunds, refunds.c.note_id == cn.id)
        .where(
            cn.company_id == books.cid,
            or_(
                cn.amount_allocated != allocated,
                cn.amount_refunded != refunded,
                cn.status != expected_status,
                allocated + refunded > cn.total,
                and_(~used, allocated + refunded > 0),
                and_(cn.status != "draft", n_proposed > 0),
            ),
        )
        .order_by(cn.id)
    )
    for label, cur, status, total, stored, want, stored_ref, want_ref, want_status, n in rows:
        if stored != want:
            yield books.drift(
                AMOUNT_PAID, label, money(want, cur), money(stored, cur),
                "amount allocated differs from the allocations applied",
            )  # fmt: skip
        if stored_ref != want_ref:
            yield books.drift(
                AMOUNT_PAID, label, money(want_ref, cur), money(stored_ref, cur),
                "amount refunded differs from the refund payments",
            )  # fmt: skip
        if status != want_status:
            yield books.drift(
                STATUS, label, want_status, status,
                f"the status does not follow from {money(want + want_ref, cur)} used of "
                f"{money(total, cur)}",
            )  # fmt: skip
        if want + want_ref > total:
            yield books.drift(
                AMOUNT_PAID, label, f"at most {money(total, cur)}", money(want + want_ref, cur),
                "more is allocated and refunded than the total",
            )  # fmt: skip
        if status not in _USED and want + want_ref > 0:
            yield books.drift(
                AMOUNT_PAID, label, "nothing used", money(want + want_ref, cur),
                f"a {status} credit note is allocated or refunded",
            )  # fmt: skip
        if status != "draft" and n:
            yield books.drift(
                STATUS, label, "no proposed allocations", f"{n} proposed",
                f"a {status} credit note still has proposed allocations",
            )  # fmt: skip
