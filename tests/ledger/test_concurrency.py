"""Races: eight clicks, reviewers or integrations doing the same thing to one document at once.

Each test runs 20 rounds of 8 simultaneous attempts, on SQLite and on PostgreSQL. Approve and
reject go through a real ``newledger serve --workers 2`` (the review queue's forms); draft PATCH
and DELETE through REST API v1 with one ``If-Match``; void and record-payment, which the UI does
not offer yet, through the services from eight threads, each with its own connection. Exactly one
attempt wins each round, and the books stay clean: one posting per document, every entry
balanced, daily totals equal to the lines.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.appconnect.apps import create_app
from newledger.audit.models import Activity
from newledger.db import session_scope
from newledger.errors import DomainError
from newledger.identity.models import User
from newledger.identity.permissions import Permission
from newledger.identity.services import user_actor
from newledger.ledger.bank import categorize_transaction, import_transactions
from newledger.ledger.categorization_drafts import (
    approve_categorization_draft,
    create_categorization_draft,
)
from newledger.ledger.credit_allocations import allocate_credit_note
from newledger.ledger.credit_notes import approve_credit_note, create_draft_credit_note
from newledger.ledger.invoices import (
    approve_invoice,
    create_draft_invoice,
    update_draft_invoice,
    void_invoice,
)
from newledger.ledger.models import (
    BankAccount,
    BankTransaction,
    CreditNote,
    Invoice,
    InvoiceLine,
    JournalEntry,
    Payment,
)
from newledger.ledger.payment_drafts import approve_payment_draft, create_payment_draft
from newledger.ledger.payments import record_payment
from newledger.ledger.verify import verify_books
from tests.conftest import LiveServer
from tests.support.books import app_actor
from tests.support.ledger_pages import PageBooks, make_page_books
from tests.support.workspace import client, csrf, sign_in

ROUNDS = 20
PARALLEL = 8
T = TypeVar("T")


@pytest.fixture(scope="module")
def two_workers(
    engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = LiveServer(database_url, tmp_path_factory.mktemp("race"), args=["--workers", "2"])
    yield server
    server.stop()


def all_at_once(attempt: Callable[[int], T]) -> list[T]:
    """Run ``attempt(i)`` for i in 0..7 on eight threads released together."""
    start = threading.Barrier(PARALLEL)

    def run(i: int) -> T:
        start.wait()
        return attempt(i)

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(run, range(PARALLEL)))


def draft(sessions: sessionmaker[Session], books: PageBooks, price: str = "100.00") -> int:
    with sessions() as s:
        invoice = create_draft_invoice(
            s,
            app_actor(books.company_id, books.owner.user_id),
            contact_id=books.customer_id,
            issue_date=dt.date.today(),
            lines=[{"description": "Consulting", "quantity": "1", "unit_price": price}],
        )
        s.commit()
        return invoice.id


def assert_books_clean(session: Session, company_id: int) -> None:
    """``newledger db verify`` finds nothing: every entry balances, one posting per document,
    daily totals equal the lines, totals equal the lines, amounts paid equal the payments."""
    assert verify_books(session, company_id) == []


def postings(session: Session, source_type: str, source_id: int) -> int:
    """Entries posted with this source (a void's reversal has source type ``void``)."""
    return int(
        session.scalar(
            select(func.count()).where(
                JournalEntry.source_type == source_type, JournalEntry.source_id == source_id
            )
        )
        or 0
    )


def reviewers(url: str, cookies: httpx.Cookies) -> list[httpx.Client]:
    clients = [client(url) for _ in range(PARALLEL)]
    for c in clients:
        c.cookies = cookies
    return clients


def _eight_reviewers(
    server: LiveServer,
    sessions: sessionmaker[Session],
    verb: str,
    form: Callable[[int], dict[str, str]],
    check: Callable[[Session, int], None],
) -> None:
    """Each round: a new draft, then eight reviewers (one signed-in session, as a double-click
    or two tabs) post ``/review/invoices/{id}/{verb}`` at once; one 303, seven 409s."""
    books = make_page_books(sessions)
    with client(server.url) as c:
        sign_in(c, books.owner)
        token = csrf(c.get("/review").text)
        clicks = reviewers(server.url, c.cookies)
        for _ in range(ROUNDS):
            invoice_id = draft(sessions, books)
            statuses = all_at_once(
                lambda i, invoice_id=invoice_id: (
                    clicks[i]
                    .post(
                        f"/review/invoices/{invoice_id}/{verb}",
                        data={"csrf_token": token, **form(i)},
                    )
                    .status_code
                )
            )
            assert sorted(statuses) == [303] + [409] * (PARALLEL - 1)
            with sessions() as s:
                check(s, invoice_id)
        for each in clicks:
            each.close()
    with sessions() as s:
        assert_books_clean(s, books.company_id)


def test_eight_simultaneous_approvals_post_an_invoice_once(
    two_workers: LiveServer, sessions: sessionmaker[Session]
) -> None:
    def posted_once(s: Session, invoice_id: int) -> None:
        assert postings(s, "invoice", invoice_id) == 1
        invoice = s.get(Invoice, invoice_id)
        assert invoice is not None and invoice.status == "approved"

    _eight_reviewers(two_workers, sessions, "approve", lambda _i: {"version": "1"}, posted_once)


def test_eight_simultaneous_rejections_reject_a_draft_once(
    two_workers: LiveServer, sessions: sessionmaker[Session]
) -> None:
    def rejected_once(s: Session, invoice_id: int) -> None:
        rejections = s.scalar(
            select(func.count()).where(
                Activity.event == "ledger:invoice:rejected", Activity.subject_id == invoice_id
            )
        )
        assert rejections == 1

    _eight_reviewers(
        two_workers,
        sessions,
        "reject",
        lambda i: {"reason": f"reviewer {i} says no"},
        rejected_once,
    )


def _api_token(two_workers: LiveServer, sessions: sessionmaker[Session], books: PageBooks) -> str:
    with sessions() as s:
        owner = s.get(User, books.owner.user_id)
        assert owner is not None
        _app, secret = create_app(
            s,
            user_actor(s, owner, books.company_id),
            name="Sync",
            permissions=["invoices:read", "invoices:draft"],
        )
        client_id = _app.client_id
        s.commit()
    response = httpx.post(
        f"{two_workers.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_eight_simultaneous_patches_with_one_if_match_make_one_edit(
    two_workers: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    token = _api_token(two_workers, sessions, books)
    api = httpx.Client(
        base_url=f"{two_workers.url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    for _ in range(ROUNDS):
        invoice_id = draft(sessions, books)
        responses = all_at_once(
            lambda i, invoice_id=invoice_id: api.patch(
                f"/invoices/{invoice_id}",
                headers={"If-Match": 'W/"1"'},
                json={
                    "lines": [
                        {"description": f"writer {i}", "quantity": "1", "unit_price": "10.00"},
                        {"description": f"writer {i}", "quantity": "1", "unit_price": f"{i}.00"},
                    ]
                },
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [412] * (PARALLEL - 1), statuses
        winner = next(r.json() for r in responses if r.status_code == 200)
        with sessions() as s:
            invoice = s.get(Invoice, invoice_id)
            assert invoice is not None and invoice.version == 2
            lines = s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id))
            descriptions = {line.description for line in lines}
            assert descriptions == {winner["lines"][0]["description"]}
            line_total = s.scalar(
                select(func.sum(InvoiceLine.amount)).where(InvoiceLine.invoice_id == invoice_id)
            )
            assert invoice.total == line_total
    api.close()
    with sessions() as s:
        assert_books_clean(s, books.company_id)


def test_eight_simultaneous_deletes_delete_a_draft_once(
    two_workers: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    token = _api_token(two_workers, sessions, books)
    api = httpx.Client(
        base_url=f"{two_workers.url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    for _ in range(ROUNDS):
        invoice_id = draft(sessions, books)
        with sessions() as s:
            before = _deletions(s)
        statuses = all_at_once(
            lambda i, invoice_id=invoice_id: (
                api.delete(f"/invoices/{invoice_id}", headers={"If-Match": 'W/"1"'}).status_code
            )
        )
        wins = Counter(statuses)
        assert wins[204] == 1 and set(wins) <= {204, 404, 412}, statuses
        with sessions() as s:
            assert _deletions(s) == before + 1
            assert s.get(Invoice, invoice_id) is None
    api.close()
    with sessions() as s:
        assert_books_clean(s, books.company_id)


def _deletions(s: Session) -> int:
    return int(
        s.scalar(select(func.count()).where(Activity.event == "ledger:invoice:deleted")) or 0
    )


def _race_service(
    sessions: sessionmaker[Session], books: PageBooks, act: Callable[[Session], object]
) -> list[str]:
    """Eight threads, each a unit of work on its own connection; 'won' or the error code."""

    def attempt(_i: int) -> str:
        try:
            with session_scope(sessions) as s:
                act(s)
            return "won"
        except DomainError as exc:
            return exc.code

    return all_at_once(attempt)


def _approved(sessions: sessionmaker[Session], books: PageBooks) -> int:
    invoice_id = draft(sessions, books)
    with sessions() as s:
        owner = s.get(User, books.owner.user_id)
        assert owner is not None
        approve_invoice(s, user_actor(s, owner, books.company_id), invoice_id)
        s.commit()
    return invoice_id


def _owner_actor(s: Session, books: PageBooks) -> Actor:
    owner = s.get(User, books.owner.user_id)
    assert owner is not None
    return user_actor(s, owner, books.company_id)


def _bank_id(sessions: sessionmaker[Session], books: PageBooks) -> int:
    with sessions() as s:
        bank_id = s.scalar(
            select(BankAccount.id).where(BankAccount.company_id == books.company_id).limit(1)
        )
    assert bank_id is not None
    return bank_id


def _uncategorized_lines(sessions: sessionmaker[Session], books: PageBooks) -> list[int]:
    """One new uncategorized bank fee per round, imported by the owner."""
    bank_id = _bank_id(sessions, books)
    imported = [
        {"external_id": f"line-{n}", "date": "2025-01-02", "description": "Fee", "amount": "-5"}
        for n in range(ROUNDS)
    ]
    with sessions() as s:
        import_transactions(s, _owner_actor(s, books), bank_id, imported)
        s.commit()
        return list(
            s.scalars(select(BankTransaction.id).where(BankTransaction.bank_account_id == bank_id))
        )


def test_eight_simultaneous_voids_reverse_an_invoice_once(
    sessions: sessionmaker[Session],
) -> None:
    books = make_page_books(sessions)
    for _ in range(ROUNDS):
        invoice_id = _approved(sessions, books)
        outcomes = _race_service(
            sessions,
            books,
            lambda s, invoice_id=invoice_id: void_invoice(
                s, _owner_actor(s, books), invoice_id, reason="duplicate"
            ),
        )
        assert outcomes.count("won") == 1, outcomes
        with sessions() as s:
            assert postings(s, "void", invoice_id) == 1
    with sessions() as s:
        assert_books_clean(s, books.company_id)


def test_eight_simultaneous_payments_of_the_amount_due_pay_once(
    sessions: sessionmaker[Session],
) -> None:
    books = make_page_books(sessions)
    bank_id = _bank_id(sessions, books)
    for _ in range(ROUNDS):
        invoice_id = _approved(sessions, books)
        outcomes = _race_service(
            sessions,
            books,
            lambda s, invoice_id=invoice_id: record_payment(
                s,
                _owner_actor(s, books),
                invoice_id=invoice_id,
                bank_account_id=bank_id,
                date=dt.date.today(),
                amount="100.00",
            ),
        )
        assert outcomes.count("won") == 1, outcomes
        with sessions() as s:
            invoice = s.get(Invoice, invoice_id)
            assert invoice is not None
            assert (invoice.status, invoice.amount_paid) == ("paid", invoice.total)
            paid = s.scalar(select(func.count()).where(Payment.invoice_id == invoice_id))
            assert paid == 1
    with sessions() as s:
        assert_books_clean(s, books.company_id)


def test_eight_simultaneous_categorizations_post_a_bank_line_once(
    sessions: sessionmaker[Session],
) -> None:
    books = make_page_books(sessions)
    line_ids = _uncategorized_lines(sessions, books)
    assert len(line_ids) == ROUNDS
    for line_id in line_ids:
        outcomes = _race_service(
            sessions,
            books,
            lambda s, line_id=line_id: categorize_transaction(
                s, _owner_actor(s, books), line_id, books.expense_account_id
            ),
        )
        assert outcomes.count("won") == 1, outcomes
        with sessions() as s:
            assert postings(s, "bank", line_id) == 1
    with sessions() as s:
        assert_books_clean(s, books.company_id)


def test_eight_simultaneous_draft_edits_of_one_version_in_the_services_make_one_edit(
    sessions: sessionmaker[Session],
) -> None:
    """The same race below HTTP (an integration and a reviewer's edit page, say): the lost
    update the review found left a draft with both writers' lines and one writer's total."""
    books = make_page_books(sessions)
    bot = app_actor(books.company_id, books.owner.user_id)
    for _ in range(ROUNDS):
        invoice_id = draft(sessions, books)

        def edit(s: Session, invoice_id: int = invoice_id) -> None:
            me = threading.get_ident()
            lines = [{"description": f"writer {me}", "quantity": "1", "unit_price": "1.00"}]
            update_draft_invoice(s, bot, invoice_id, {"lines": lines * 2}, expected_version=1)

        outcomes = _race_service(sessions, books, edit)
        assert outcomes.count("won") == 1, outcomes
        assert set(outcomes) <= {"won", "version_mismatch", "concurrent_update"}, outcomes
        with sessions() as s:
            invoice = s.get(Invoice, invoice_id)
            assert invoice is not None and invoice.version == 2
            lines = list(s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)))
            assert len(lines) == 2 and len({line.description for line in lines}) == 1
            assert invoice.total == sum(line.amount for line in lines)
    with sessions() as s:
        assert_books_clean(s, books.company_id)


def test_eight_simultaneous_approvals_of_a_payment_draft_record_one_payment(
    sessions: sessionmaker[Session],
) -> None:
    books = make_page_books(sessions)
    bank_id = _bank_id(sessions, books)
    for _ in range(ROUNDS):
        invoice_id = _approved(sessions, books)
        with session_scope(sessions) as s:
            proposal = create_payment_draft(
                s,
                app_actor(books.company_id, books.owner.user_id, Permission.PAYMENTS_DRAFT),
                invoice_id=invoice_id,
                bank_account_id=bank_id,
                date=dt.date.today(),
                amount="60.00",
            )
            draft_id = proposal.id
        outcomes = _race_service(
            sessions,
            books,
            lambda s, draft_id=draft_id: approve_payment_draft(s, _owner_actor(s, books), draft_id),
        )
        assert outcomes.count("won") == 1, outcomes
        with sessions() as s:
            invoice = s.get(Invoice, invoice_id)
            assert invoice is not None
            assert (invoice.status, invoice.amount_paid) == ("partially_paid", 6000)
            paid = s.scalar(select(func.count()).where(Payment.invoice_id == invoice_id))
            assert paid == 1
    with sessions() as s:
        assert_books_clean(s, books.company_id)


def test_eight_simultaneous_approvals_of_a_categorization_draft_post_a_bank_line_once(
    sessions: sessionmaker[Session],
) -> None:
    books = make_page_books(sessions)
    line_ids = _uncategorized_lines(sessions, books)
    for line_id in line_ids:
        with session_scope(sessions) as s:
            proposal = create_categorization_draft(
                s,
                app_actor(books.company_id, books.owner.user_id, Permission.BANK_DRAFT),
                bank_transaction_id=line_id,
                account_id=books.expense_account_id,
                confidence=0.9,
                evidence="bank fees",
            )
            draft_id = proposal.id
        outcomes = _race_service(
            sessions,
            books,
            lambda s, draft_id=draft_id: approve_categorization_draft(
                s, _owner_actor(s, books), draft_id
            ),
        )
        assert outcomes.count("won") == 1, outcomes
        with sessions() as s:
            assert postings(s, "bank", line_id) == 1
    with sessions() as s:
        assert_books_clean(s, books.company_id)


def _approved_credit(sessions: sessionmaker[Session], books: PageBooks) -> int:
    """An approved 100.00 credit note to the customer, nothing of it used."""
    with sessions() as s:
        note = create_draft_credit_note(
            s,
            _owner_actor(s, books),
            kind="sales",
            contact_id=books.customer_id,
            date=dt.date.today(),
            lines=[{"description": "Returned", "unit_price": "100.00"}],
        )
        approve_credit_note(s, _owner_actor(s, books), "sales", note.id)
        s.commit()
        return note.id


def test_eight_simultaneous_uses_of_one_credit_note_apply_it_once(
    sessions: sessionmaker[Session],
) -> None:
    """Eight people apply the same 100.00 credit to the same 100.00 invoice: one allocation is
    made, the invoice is settled once, and the books verify."""
    books = make_page_books(sessions)
    for _ in range(ROUNDS // 4):
        invoice_id = _approved(sessions, books)
        note_id = _approved_credit(sessions, books)
        outcomes = _race_service(
            sessions,
            books,
            lambda s, invoice_id=invoice_id, note_id=note_id: allocate_credit_note(
                s, _owner_actor(s, books), "sales", note_id, document_id=invoice_id, amount="100.00"
            ),
        )
        assert outcomes.count("won") == 1, outcomes
        with sessions() as s:
            invoice, note = s.get(Invoice, invoice_id), s.get(CreditNote, note_id)
            assert invoice is not None and note is not None
            assert (invoice.status, invoice.amount_credited) == ("paid", invoice.total)
            assert (note.status, note.amount_allocated) == ("applied", note.total)
    with sessions() as s:
        assert_books_clean(s, books.company_id)
