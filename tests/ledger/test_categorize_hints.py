"""Categorization hints: vendor history first, then wording; abstain when unsure."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.demo import load_demo
from newledger.errors import PermissionDenied
from newledger.identity.permissions import Permission, role_permissions
from newledger.identity.services import create_company
from newledger.ledger.categorize import THRESHOLD, evaluate, suggest, suggest_for_bank
from newledger.ledger.chart import create_standard_chart
from newledger.ledger.models import BankTransaction, Contact, Expense, ExpenseLine

AS_OF = dt.date(2026, 3, 14)


def _demo(session: Session) -> int:
    result = load_demo(session, as_of=AS_OF)
    assert result is not None
    session.commit()
    return result.company_id


def _viewer(company_id: int) -> Actor:
    return Actor("user", company_id, role_permissions("viewer"), user_id=None, label="viewer")


def test_a_regular_vendor_gets_its_usual_account_with_the_evidence(session: Session) -> None:
    cid = _demo(session)
    hint = suggest(session, _viewer(cid), cid, "Toner cartridges", "Staples", 54_20)
    assert not hint.abstained
    assert hint.account_name == "Office Supplies"
    assert hint.confidence >= THRESHOLD
    assert "past 'Staples' expenses → Office Supplies" in hint.evidence


def test_a_vendor_can_be_named_by_contact_id(session: Session) -> None:
    cid = _demo(session)
    adobe = session.scalar(
        select(Contact.id).where(Contact.company_id == cid, Contact.name == "Adobe")
    )
    hint = suggest(session, _viewer(cid), cid, "Creative Cloud", adobe, 390_00)
    assert hint.account_name == "Software and Subscriptions"


def test_a_new_vendor_is_judged_by_the_wording_of_past_expenses(session: Session) -> None:
    cid = _demo(session)
    hint = suggest(session, _viewer(cid), cid, "UBER *EATS 7731", None, 31_50)
    assert hint.account_name == "Meals and Entertainment"
    assert "most similar past expenses" in hint.evidence


def test_something_never_seen_before_gets_no_guess(session: Session) -> None:
    cid = _demo(session)
    hint = suggest(session, _viewer(cid), cid, "Flux capacitor calibration", "Doc Brown Labs", 99)
    assert hint.abstained and hint.account_id is None
    assert hint.evidence


def test_hints_need_expenses_or_bank_read(session: Session) -> None:
    cid = _demo(session)
    nobody = Actor("user", cid, frozenset({Permission.INVOICES_READ}), user_id=None)
    with pytest.raises(PermissionDenied):
        suggest(session, nobody, cid, "Toner", "Staples", 100)
    bank_only = Actor("app", cid, frozenset({Permission.BANK_READ}), app_id=1)
    assert not suggest(session, bank_only, cid, "Toner", "Staples", 100).abstained
    other_company = Actor("user", cid + 1, role_permissions("owner"), user_id=None)
    with pytest.raises(PermissionDenied):
        suggest(session, other_company, cid, "Toner", "Staples", 100)


def test_only_approved_history_teaches(session: Session) -> None:
    company = create_company(session, name="Tiny", slug="tiny")
    acc = create_standard_chart(session, company)
    vendor = Contact(company_id=company.id, kind="vendor", name="Corner Store")
    session.add(vendor)
    session.flush()

    def expense(status: str, code: str, day: int) -> None:
        exp = Expense(
            company_id=company.id,
            kind="expense",
            contact_id=vendor.id,
            date=dt.date(2026, 1, day),
            currency="USD",
            status=status,
            total=12_00,
            description="Snacks",
        )
        exp.lines = [
            ExpenseLine(
                company_id=company.id, description="Snacks", amount=12_00, account_id=acc[code].id
            )
        ]
        session.add(exp)

    for day in (1, 2, 3, 4):
        expense("paid", "6400", day)
    for day in (5, 6, 7, 8, 9, 10):
        expense("draft", "7900", day)
    expense("rejected", "7900", 11)
    session.commit()
    hint = suggest(session, Actor.system(company.id), company.id, "Snacks", "corner store", 9_00)
    assert hint.account_name == "Meals and Entertainment"
    assert "4 of 4 past 'Corner Store' expenses" in hint.evidence
    assert hint.confidence == pytest.approx(0.8)


def test_evaluation_holds_out_the_newest_history(session: Session) -> None:
    cid = _demo(session)
    result = evaluate(session, _viewer(cid), cid, holdout=0.2)
    assert result.test == pytest.approx((result.train + result.test) * 0.2, abs=2)
    assert 0 < result.suggested <= result.test
    # Honest books have mixed vendors and slips: good, but not perfect.
    assert 0.7 < result.accuracy < 1.0
    assert 0.6 < result.coverage <= 1.0


def test_categorize_eval_reports_accuracy_and_coverage(session: Session, database_url: str) -> None:
    _demo(session)
    env = {**os.environ, "NEWLEDGER_DATABASE_URL": database_url}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "newledger.cli.main",
            "categorize",
            "eval",
            "--company",
            "northwind",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(run.stdout)
    assert set(figures) >= {"accuracy", "coverage", "train", "test", "suggested", "correct"}
    assert 0 < figures["accuracy"] < 1 and 0 < figures["coverage"] <= 1


def test_the_bank_pages_hints_are_suggests_own_for_money_out_and_none_for_money_in(
    session: Session,
) -> None:
    cid = _demo(session)
    viewer = _viewer(cid)
    waiting = list(
        session.scalars(
            select(BankTransaction)
            .where(BankTransaction.company_id == cid, BankTransaction.status == "uncategorized")
            .order_by(BankTransaction.id)
        )
    )
    money_in = BankTransaction(
        company_id=cid,
        bank_account_id=waiting[0].bank_account_id,
        external_id="refund-1",
        date=AS_OF,
        description="STAPLES REFUND",
        amount=12_00,
        currency=waiting[0].currency,
        status="uncategorized",
    )
    session.add(money_in)
    session.flush()
    hints = suggest_for_bank(session, viewer, cid, [*waiting, money_in])
    assert set(hints) == {t.id for t in waiting} | {money_in.id}
    for txn in waiting[:5]:
        # One model for the page, the same answer as asking for each line alone.
        assert txn.amount < 0
        alone = suggest(session, viewer, cid, txn.description, None, -txn.amount)
        assert hints[txn.id] == alone
    assert sum(not h.abstained for h in hints.values()) > 0
    assert hints[money_in.id].abstained and hints[money_in.id].account_id is None
    with pytest.raises(PermissionDenied):
        suggest_for_bank(session, Actor("user", cid, frozenset(), label="nobody"), cid, waiting)
