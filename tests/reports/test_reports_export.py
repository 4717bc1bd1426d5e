"""The ledger-cli export: `ledger -f FILE bal` agrees with the trial balance to the cent."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import PermissionDenied
from newledger.ledger.export import iter_ledger_journal, ledger_account_names, write_ledger_journal
from newledger.ledger.models import Account, CreditNote
from newledger.ledger.posting import LineSpec, post_entry
from tests.support.books import make_books as make_taxed_books
from tests.support.ledger_cli import ledger_balances, needs_ledger, trial_balances
from tests.support.reports_books import Books, D, make_books, random_books
from tests.support.taxed_books import Taxed, apply_operation
from tests.support.taxed_operations import CREDIT_SCENE, OPERATIONS


def tb_balances(b: Books, as_of: dt.date) -> dict[tuple[str, str], int]:
    return trial_balances(b.session, b.actor, b.cid, as_of)


@needs_ledger
def test_ledger_bal_on_the_export_agrees_with_the_trial_balance(
    session: Session, tmp_path: Path
) -> None:
    b = random_books(session, 7)
    path = tmp_path / "books.ledger"
    with path.open("w") as fh:
        count = write_ledger_journal(session, b.actor, b.cid, fh)
    assert count > 150
    assert ledger_balances(path) == tb_balances(b, D(2100, 1, 1))


@needs_ledger
def test_awkward_names_and_zero_decimal_currencies_survive_the_export(
    session: Session, tmp_path: Path
) -> None:
    b = make_books(session, "yen", currency="JPY")
    odd = [
        Account(company_id=b.cid, code=code, name=name, type="expense", subtype="expense")
        for code, name in [
            ("6010", "Travel: Air  (intl) ; misc"),
            ("6011", "Travel; Air (intl): misc"),
            ("6012", "[Virtual] *cleared* !pending @rate =auto"),
        ]
    ]
    session.add_all(odd)
    session.flush()
    for i, acc in enumerate(odd):
        post_entry(
            session,
            company_id=b.cid,
            date=D(2024, 3, 1 + i),
            lines=[
                LineSpec(acc.id, 1_234_567 + i, "JPY"),
                LineSpec(b.acct("1000"), -1_234_567 - i, "JPY"),
            ],
            source_type="manual",
            memo="line one\nline two; with a semicolon",
        )
    b.post(D(2024, 3, 9), ("1000", 10), ("4000", -10))
    post_entry(
        session,
        company_id=b.cid,
        date=D(2024, 3, 10),
        lines=[LineSpec(b.acct("1010"), 1_001, "KWD"), LineSpec(b.acct("4900"), -1_001, "KWD")],
        source_type="manual",
    )
    names = ledger_account_names(session, b.cid)
    assert len({names[a.id] for a in odd}) == 3
    assert names[b.acct("1000")] == "Assets:Business Checking"
    path = tmp_path / "yen.ledger"
    path.write_text("".join(iter_ledger_journal(session, b.actor, b.cid)))
    text = path.read_text()
    assert "1234567 JPY" in text and "1.001 KWD" in text
    assert ledger_balances(path) == tb_balances(b, D(2100, 1, 1))


def test_the_export_streams_one_transaction_at_a_time(session: Session) -> None:
    b = make_books(session)
    for i in range(5):
        b.post(D(2024, 1, 1 + i), ("1000", 100 + i), ("4000", -100 - i))
    blocks = list(iter_ledger_journal(session, b.actor, b.cid))
    assert len(blocks) == 6  # the header, then one block per entry, in date order
    assert blocks[1].startswith("\n2024-01-01 * (")
    assert "    Income:Sales  -1.00 USD\n" in blocks[1]
    out = io.StringIO()
    assert write_ledger_journal(session, b.actor, b.cid, out) == 5


def test_exporting_needs_journal_read(session: Session) -> None:
    b = make_books(session)
    with pytest.raises(PermissionDenied):
        list(iter_ledger_journal(session, Actor("user", b.cid, frozenset()), b.cid))


@needs_ledger
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPERATIONS, max_size=12))
def test_taxed_books_with_credit_notes_and_refunds_export_to_the_cent(
    session: Session, ops: list[tuple[Any, ...]]
) -> None:
    books = make_taxed_books(session)
    taxed = Taxed(session, books)
    for op in CREDIT_SCENE:
        apply_operation(session, taxed, op)
    notes = {
        n.number: n
        for n in session.scalars(
            select(CreditNote).where(CreditNote.company_id == books.company_id)
        )
    }
    assert notes["CN-00001"].amount_refunded and notes["CN-00001"].amount_allocated
    assert notes["VC-00001"].amount_refunded and notes["CN-00002"].status == "voided"
    for op in ops:
        apply_operation(session, taxed, op)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "books.ledger"
        with path.open("w", encoding="utf-8") as fh:
            write_ledger_journal(session, books.actor, books.company_id, fh)
        text = path.read_text(encoding="utf-8")
        balances = ledger_balances(path)
    assert balances == trial_balances(session, books.actor, books.company_id, D(2100, 1, 1))
    # Each credit note's entries name it: the posting, its refund and its void.
    assert "* (" in text
    for payee in (
        "Credit note CN-00001 · Acme Corp",
        "Refund of credit note CN-00001",
        "Vendor credit VC-00001 · Staples",
        "Refund of vendor credit VC-00001",
        "Void credit note CN-00002",
    ):
        assert payee in text, payee
