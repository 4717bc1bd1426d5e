"""Payment drafts and categorization drafts: proposed from outside, decided by a person.

A proposal touches nothing until a person holding ``ledger:post`` approves it, approval goes
through the same payment and categorization services a person uses, and a refused approval
leaves every table as it was.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.audit.models import Activity
from newledger.errors import Conflict, InvalidState, PermissionDenied, ValidationFailed
from newledger.events.models import ChangeEvent
from newledger.identity.permissions import ROLES, Permission, Role
from newledger.ledger import bank, categorization_drafts, expenses, invoices, payment_drafts
from newledger.ledger.models import BankTransaction, Invoice, JournalEntry
from newledger.ledger.review import count_drafts_awaiting_review, list_drafts_awaiting_review
from tests.support.books import Books, make_books, net, row_counts

D = dt.date(2026, 5, 4)


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def _approved_invoice(session: Session, books: Books, price: str = "500.00") -> Invoice:
    inv = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D,
        lines=[{"description": "Design sprint", "unit_price": price}],
    )
    return invoices.approve_invoice(session, books.actor, inv.id)


def _events(session: Session, company_id: int) -> list[str]:
    return list(
        session.scalars(
            select(ChangeEvent.event_type)
            .where(ChangeEvent.company_id == company_id)
            .order_by(ChangeEvent.seq)
        )
    )


def _propose(session: Session, books: Books, invoice_id: int, amount: str) -> int:
    draft = payment_drafts.create_payment_draft(
        session,
        books.app(Permission.PAYMENTS_DRAFT),
        invoice_id=invoice_id,
        amount=amount,
        date=D,
        bank_account_id=books.checking.id,
        reference="Wire 881",
    )
    return draft.id


def test_a_proposed_part_payment_touches_nothing_until_a_person_approves_it(
    session: Session, books: Books
) -> None:
    inv = _approved_invoice(session, books)
    before = row_counts(session)
    draft_id = _propose(session, books, inv.id, "200.00")
    after = row_counts(session)
    # The draft, its activity row and its change event; no payment, entry or invoice change.
    changed = {t for t in after if after[t] != before[t]}
    assert changed == {"payment_drafts", "activity", "change_events"}
    draft = payment_drafts.get_payment_draft(session, books.actor, draft_id)
    assert (draft.status, draft.direction, draft.source, draft.source_label) == (
        "draft",
        "received",
        "api",
        "Receipt Bot",
    )
    assert net(session, books.acct("1000")) == 0
    with pytest.raises(PermissionDenied) as refused:
        payment_drafts.approve_payment_draft(session, books.app(), draft_id)
    assert refused.value.code == "external_cannot_post"

    approved = payment_drafts.approve_payment_draft(
        session, books.actor, draft_id, expected_version=1
    )
    assert approved.status == "approved" and approved.payment_id is not None
    assert approved.approved_by_user_id == books.owner.id
    session.refresh(inv)
    assert (inv.status, inv.amount_paid) == ("partially_paid", 200_00)
    assert net(session, books.acct("1000")) == 200_00
    assert net(session, books.acct("1100")) == 500_00 - 200_00
    assert _events(session, books.company_id)[-4:] == [
        "payment_draft.created",
        "payment.recorded",
        "invoice.partially_paid",
        "payment_draft.approved",
    ]
    logged = session.scalars(
        select(Activity.event).where(Activity.subject_type == "payment_draft")
    ).all()
    assert logged == ["ledger:payment_draft:created", "ledger:payment_draft:approved"]
    with pytest.raises(InvalidState):
        payment_drafts.approve_payment_draft(session, books.actor, draft_id)


def test_an_over_payment_is_refused_when_proposed_and_again_when_approved(
    session: Session, books: Books
) -> None:
    inv = _approved_invoice(session, books)
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as too_much:
        _propose(session, books, inv.id, "500.01")
    assert too_much.value.code == "overpayment"
    assert too_much.value.errors == {"amount": "at most 500.00"}
    assert row_counts(session) == before
    first, second = (
        _propose(session, books, inv.id, "300.00"),
        _propose(session, books, inv.id, "300.00"),
    )
    payment_drafts.approve_payment_draft(session, books.actor, first)
    session.commit()
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as late:
        payment_drafts.approve_payment_draft(session, books.actor, second)
    assert late.value.code == "overpayment"
    session.rollback()
    assert row_counts(session) == before
    assert payment_drafts.get_payment_draft(session, books.actor, second).status == "draft"


def test_approving_after_the_invoice_was_voided_is_refused_and_changes_nothing(
    session: Session, books: Books
) -> None:
    inv = _approved_invoice(session, books)
    draft_id = _propose(session, books, inv.id, "100.00")
    invoices.void_invoice(session, books.actor, inv.id, reason="Sent twice")
    session.commit()
    before = row_counts(session)
    with pytest.raises(InvalidState) as refused:
        payment_drafts.approve_payment_draft(session, books.actor, draft_id)
    assert refused.value.code == "not_payable"
    assert "voided" in refused.value.message
    session.rollback()
    assert row_counts(session) == before
    assert payment_drafts.get_payment_draft(session, books.actor, draft_id).status == "draft"
    rejected = payment_drafts.reject_payment_draft(
        session, books.actor, draft_id, reason="The invoice was voided"
    )
    assert (rejected.status, rejected.rejected_reason) == ("rejected", "The invoice was voided")


def test_a_bill_is_paid_in_full_from_an_approved_proposal(session: Session, books: Books) -> None:
    bill = expenses.create_draft_expense(
        session,
        books.actor,
        kind="bill",
        contact_id=books.vendor.id,
        date=D,
        lines=[{"amount": "80.00", "account_id": books.acct("6500")}],
    )
    expenses.approve_expense(session, books.actor, bill.id)
    draft = payment_drafts.create_payment_draft(
        session,
        books.connection(),
        expense_id=bill.id,
        amount="80.00",
        date=D,
        bank_account_id=books.checking.id,
    )
    assert (draft.direction, draft.source) == ("made", "mcp")
    payment_drafts.approve_payment_draft(session, books.actor, draft.id)
    session.refresh(bill)
    assert (bill.status, bill.amount_paid) == ("paid", 80_00)
    assert net(session, books.acct("1000")) == -80_00


def test_proposing_needs_payments_draft_and_only_on_open_documents(
    session: Session, books: Books
) -> None:
    inv = _approved_invoice(session, books)
    with pytest.raises(PermissionDenied) as refused:
        payment_drafts.create_payment_draft(
            session,
            books.app(Permission.PAYMENTS_READ),
            invoice_id=inv.id,
            amount="1.00",
            date=D,
            bank_account_id=books.checking.id,
        )
    assert refused.value.required == (Permission.PAYMENTS_DRAFT,)
    draft = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D,
        lines=[{"unit_price": "5.00"}],
    )
    with pytest.raises(InvalidState):
        _propose(session, books, draft.id, "1.00")
    with pytest.raises(ValidationFailed):
        payment_drafts.create_payment_draft(
            session, books.app(), amount="1.00", date=D, bank_account_id=books.checking.id
        )
    assert Permission.PAYMENTS_DRAFT in ROLES[Role.BOOKKEEPER]
    assert (
        Permission.BANK_DRAFT in ROLES[Role.BOOKKEEPER]
        and Permission.BANK_DRAFT not in (ROLES[Role.VIEWER])
    )


# -- categorization drafts ------------------------------------------------------------------

HISTORY = [
    {"external_id": f"h{i}", "date": "2026-04-0" + str(i), "description": f"STAPLES STORE {i}0",
     "amount": "-2" + str(i) + ".00"}
    for i in range(1, 5)
]  # fmt: skip
NEW = [
    {"external_id": "n1", "date": "2026-05-01", "description": "STAPLES STORE 99",
     "amount": "-37.25"},
    {"external_id": "n2", "date": "2026-05-02", "description": "Mystery wire", "amount": "-9.00"},
]  # fmt: skip


def _bank_lines(session: Session, books: Books) -> list[BankTransaction]:
    """Four Staples lines a person categorized to 6500 (the history), then two new ones."""
    past = bank.import_transactions(session, books.actor, books.checking.id, HISTORY)
    for txn in past.transactions:
        bank.categorize_transaction(session, books.actor, txn.id, books.acct("6500"))
    return bank.import_transactions(session, books.actor, books.checking.id, NEW).transactions


def test_a_categorization_draft_from_a_hint_is_posted_when_approved(
    session: Session, books: Books
) -> None:
    staples, _ = _bank_lines(session, books)
    bot = books.app(Permission.BANK_DRAFT, Permission.BANK_READ)
    spent_before = net(session, books.acct("6500"))
    cash_before = net(session, books.acct("1000"))
    draft = categorization_drafts.create_categorization_draft(
        session, bot, bank_transaction_id=staples.id
    )
    assert draft.account_id == books.acct("6500") and draft.hint_origin == "history"
    assert draft.confidence is not None and float(draft.confidence) >= 0.6
    assert "most similar past expenses → Office Supplies" in draft.evidence
    session.refresh(staples)
    assert staples.status == "uncategorized" and staples.journal_entry_id is None
    assert net(session, books.acct("6500")) == spent_before

    categorization_drafts.approve_categorization_draft(session, books.actor, draft.id)
    session.refresh(staples)
    assert staples.status == "categorized"
    assert staples.category_account_id == books.acct("6500")
    entry = session.get(JournalEntry, staples.journal_entry_id)
    assert entry is not None and sum(line.amount for line in entry.lines) == 0
    assert net(session, books.acct("6500")) == spent_before + 37_25
    assert net(session, books.acct("1000")) == cash_before - 37_25
    assert _events(session, books.company_id)[-3:] == [
        "categorization_draft.created",
        "bank_transaction.categorized",
        "categorization_draft.approved",
    ]


def test_a_rejected_categorization_leaves_the_line_uncategorized(
    session: Session, books: Books
) -> None:
    _, mystery = _bank_lines(session, books)
    bot = books.app(Permission.BANK_DRAFT)
    draft = categorization_drafts.create_categorization_draft(
        session,
        bot,
        bank_transaction_id=mystery.id,
        account_id=books.acct("6100"),
        confidence=0.55,
        evidence="Looks like a fee",
    )
    shown = categorization_drafts.categorization_draft_dict(draft)
    assert (shown["hint_origin"], shown["confidence"], shown["evidence"]) == (
        "app",
        0.55,
        "Looks like a fee",
    )
    # One open proposal per transaction: a second is refused while the first waits.
    before = row_counts(session)
    with pytest.raises(Conflict) as taken:
        categorization_drafts.create_categorization_draft(
            session, bot, bank_transaction_id=mystery.id, account_id=books.acct("6500")
        )
    assert taken.value.code == "draft_exists"
    assert row_counts(session) == before
    cash = net(session, books.acct("1000"))
    categorization_drafts.reject_categorization_draft(
        session, books.actor, draft.id, reason="It is a refund we owe"
    )
    session.refresh(mystery)
    assert mystery.status == "uncategorized" and mystery.journal_entry_id is None
    assert net(session, books.acct("1000")) == cash
    assert (
        categorization_drafts.get_categorization_draft(
            session, books.actor, draft.id
        ).rejected_reason
        == "It is a refund we owe"
    )
    # Decided, it no longer blocks a new proposal.
    again = categorization_drafts.create_categorization_draft(
        session, bot, bank_transaction_id=mystery.id, account_id=books.acct("6500")
    )
    assert again.status == "draft"


def test_a_categorization_without_a_confident_hint_or_of_a_done_line_is_refused(
    session: Session, books: Books
) -> None:
    staples, mystery = _bank_lines(session, books)
    reader = books.app(Permission.BANK_DRAFT, Permission.BANK_READ)
    with pytest.raises(ValidationFailed) as unsure:
        categorization_drafts.create_categorization_draft(
            session, reader, bank_transaction_id=mystery.id
        )
    assert unsure.value.code == "no_confident_hint"
    # NewLedger's hint quotes the books' history: it needs a read permission.
    with pytest.raises(PermissionDenied):
        categorization_drafts.create_categorization_draft(
            session, books.app(Permission.BANK_DRAFT), bank_transaction_id=staples.id
        )
    with pytest.raises(ValidationFailed):
        categorization_drafts.create_categorization_draft(
            session, reader, bank_transaction_id=staples.id, account_id=books.acct("1000")
        )
    draft = categorization_drafts.create_categorization_draft(
        session, reader, bank_transaction_id=staples.id, account_id=books.acct("6500")
    )
    bank.categorize_transaction(session, books.actor, staples.id, books.acct("6100"))
    session.commit()
    before = row_counts(session)
    with pytest.raises(InvalidState) as done:
        categorization_drafts.approve_categorization_draft(session, books.actor, draft.id)
    assert done.value.code == "already_reconciled"
    session.rollback()
    assert row_counts(session) == before
    with pytest.raises(InvalidState):
        categorization_drafts.create_categorization_draft(
            session, reader, bank_transaction_id=staples.id, account_id=books.acct("6500")
        )


def test_the_review_queue_shows_and_counts_proposals_to_those_who_may_read_them(
    session: Session, books: Books
) -> None:
    inv = _approved_invoice(session, books)
    pay_id = _propose(session, books, inv.id, "125.00")
    staples, _ = _bank_lines(session, books)
    cat = categorization_drafts.create_categorization_draft(
        session,
        books.app(Permission.BANK_DRAFT),
        bank_transaction_id=staples.id,
        account_id=books.acct("6500"),
        confidence=0.9,
        evidence="Staples is office supplies",
    )
    queue = list_drafts_awaiting_review(session, books.actor)
    assert [(i.type, i.id) for i in queue] == [("payment", pay_id), ("categorization", cat.id)]
    payment, categorization = queue
    facts = dict(payment.facts)
    assert payment.title == f"Payment received for invoice {inv.number}"
    assert facts["Open on it"] == "500.00 USD of 500.00 USD"
    assert payment.as_dict()["total"] == "125.00" and payment.link == f"/invoices/{inv.id}"
    facts = dict(categorization.facts)
    assert facts["Proposed account"].startswith("6500 ")
    assert (facts["Confidence"], facts["Evidence"]) == ("90%", "Staples is office supplies")
    assert categorization.source_label == "Receipt Bot"
    assert count_drafts_awaiting_review(session, books.actor) == {
        "invoice": 0,
        "expense": 0,
        "bill": 0,
        "credit_note": 0,
        "vendor_credit": 0,
        "payment": 1,
        "categorization": 1,
        "external": 2,
        "total": 2,
    }
    only_bank = books.app(Permission.BANK_READ)
    assert [i.type for i in list_drafts_awaiting_review(session, only_bank)] == ["categorization"]
