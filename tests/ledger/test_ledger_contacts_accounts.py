"""Contacts and the chart of accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.audit.models import Activity
from newledger.errors import Conflict, InvalidState, NotFound, PermissionDenied, ValidationFailed
from newledger.identity.permissions import Permission, Role
from newledger.ledger import accounts, contacts
from newledger.ledger.journal import create_manual_entry
from newledger.ledger.models import BankAccount
from newledger.pagination import PageRequest
from tests.support.books import Books, make_books, row_counts

ANY_CONTACT = contacts.ContactFilters()
ANY_ACCOUNT = accounts.AccountFilters()


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def test_a_customer_is_created_listed_and_updated_with_activity(
    session: Session, books: Books
) -> None:
    c = contacts.create_contact(
        session,
        books.actor,
        name="  Blue Bottle ",
        kind="customer",
        email="ap@blue.example",
        payment_terms_days=45,
    )
    assert c.name == "Blue Bottle"
    customers = contacts.ContactFilters(kind="customer")
    names = [
        x.name
        for x in contacts.list_contacts(
            session, books.actor, customers, PageRequest(order="name")
        ).items
    ]
    assert names == ["Acme Corp", "Blue Bottle"]
    blue = contacts.list_contacts(
        session, books.actor, contacts.ContactFilters(search="blue"), PageRequest()
    )
    assert [x.name for x in blue.items] == ["Blue Bottle"]
    contacts.update_contact(session, books.actor, c.id, {"kind": "both", "payment_terms_days": 0})
    assert contacts.get_contact(session, books.actor, c.id).kind == "both"
    vendors = contacts.ContactFilters(kind="vendor")
    assert c.id in [
        x.id for x in contacts.list_contacts(session, books.actor, vendors, PageRequest()).items
    ]
    events = session.scalars(
        select(Activity.event).where(
            Activity.subject_type == "contact", Activity.subject_id == c.id
        )
    ).all()
    assert events == ["ledger:contact:created", "ledger:contact:updated"]
    assert contacts.contact_dict(c)["payment_terms_days"] == 0


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"name": "  "}, "name"),
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "payment_terms_days": 366}, "payment_terms_days"),
        ({"name": "X", "payment_terms_days": -1}, "payment_terms_days"),
        ({"name": "X", "kind": "friend"}, "kind"),
    ],
)
def test_an_invalid_contact_is_refused_per_field_and_nothing_is_written(
    session: Session, books: Books, fields: dict[str, object], bad: str
) -> None:
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as exc:
        contacts.create_contact(session, books.actor, **fields)  # type: ignore[arg-type]
    assert bad in exc.value.errors
    assert row_counts(session) == before


def test_contacts_need_contacts_permissions_and_stay_in_their_company(
    session: Session, books: Books
) -> None:
    other = make_books(session)
    with pytest.raises(NotFound):
        contacts.get_contact(session, books.actor, other.customer.id)
    with pytest.raises(NotFound):
        contacts.update_contact(session, books.actor, other.customer.id, {"name": "Hijack"})
    reader = books.app(Permission.CONTACTS_READ)
    with pytest.raises(PermissionDenied):
        contacts.create_contact(session, reader, name="Nope")
    assert contacts.list_contacts(session, reader, ANY_CONTACT, PageRequest()).items
    with pytest.raises(PermissionDenied):
        contacts.list_contacts(
            session, books.app(Permission.INVOICES_READ), ANY_CONTACT, PageRequest()
        )
    theirs = contacts.list_contacts(session, other.actor, ANY_CONTACT, PageRequest()).items
    assert books.customer.id not in [c.id for c in theirs]


def test_the_chart_lists_by_code_and_balances_come_from_daily_totals(
    session: Session, books: Books
) -> None:
    chart = accounts.list_accounts(
        session, books.actor, ANY_ACCOUNT, PageRequest(500, order="code")
    )
    codes = [a.code for a in chart.items]
    assert codes[0] == "1000" and codes == sorted(codes)
    create_manual_entry(
        session,
        books.actor,
        date=dt.date(2026, 1, 5),
        memo="Owner investment",
        lines=[
            {"account_id": books.acct("1000"), "debit": "1000.00"},
            {"account_id": books.acct("3000"), "credit": "1000.00"},
        ],
    )
    bal = {b.code: b for b in accounts.account_balances(session, books.actor)}
    assert bal["1000"].balance == 100000 and bal["3000"].balance == 100000
    assert bal["3000"].net == -100000
    assert bal["1000"].as_dict()["balance"] == "1000.00"
    assert "6000" not in bal
    early = accounts.account_balances(session, books.actor, as_of=dt.date(2026, 1, 4))
    assert early == []
    assert len(accounts.account_balances(session, books.actor, include_zero=True)) == len(codes)


def test_a_new_bank_account_gets_its_bank_record_and_a_wrong_subtype_is_refused(
    session: Session, books: Books
) -> None:
    acct = accounts.create_account(
        session,
        books.actor,
        code="1020",
        name="Payroll Checking",
        type="asset",
        subtype="bank",
        last4="1234",
    )
    bank = session.scalars(select(BankAccount).where(BankAccount.account_id == acct.id)).one()
    assert bank.currency == "USD" and bank.last4 == "1234"
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_account(
            session, books.actor, code="4500", name="X", type="income", subtype="bank"
        )
    assert "subtype" in exc.value.errors
    with pytest.raises(ValidationFailed):
        accounts.create_account(
            session, books.actor, code="4500", name="X", type="revenue", subtype="income"
        )
    with pytest.raises(Conflict):
        accounts.create_account(
            session, books.actor, code="4000", name="Dup", type="income", subtype="income"
        )
    with pytest.raises(PermissionDenied):
        accounts.create_account(
            session, books.app(), code="4500", name="X", type="income", subtype="income"
        )
    with pytest.raises(PermissionDenied):
        accounts.create_account(
            session,
            books.role(Role.VIEWER),
            code="4500",
            name="X",
            type="income",
            subtype="income",
        )
    assert row_counts(session) == before


def test_archiving_refuses_control_accounts_and_accounts_with_a_balance(
    session: Session, books: Books
) -> None:
    with pytest.raises(InvalidState, match="control account"):
        accounts.archive_account(session, books.actor, books.acct("1100"))
    create_manual_entry(
        session,
        books.actor,
        date=dt.date(2026, 1, 5),
        lines=[
            {"account_id": books.acct("6500"), "debit": "10.00"},
            {"account_id": books.acct("1000"), "credit": "10.00"},
        ],
    )
    with pytest.raises(InvalidState, match=r"balance of 10\.00 USD"):
        accounts.archive_account(session, books.actor, books.acct("6500"))
    archived = accounts.archive_account(session, books.actor, books.acct("7400"))
    assert not archived.is_active
    chart = accounts.list_accounts(session, books.actor, ANY_ACCOUNT, PageRequest(limit=500))
    assert "7400" not in [a.code for a in chart.items]
    with pytest.raises(InvalidState):
        accounts.archive_account(session, books.actor, books.acct("7400"))
