"""Items: codes unique per company, a person's job to create and change, archived ones refused
on new lines, and an item's defaults filling what an invoice or expense line leaves out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from newledger.events.models import ChangeEvent
from newledger.identity.permissions import Permission
from newledger.ledger import expenses, invoices
from newledger.ledger.items import (
    ItemFilters,
    count_items,
    create_item,
    get_item,
    list_items,
    update_item,
)
from newledger.ledger.tax_rates import create_tax_rate
from newledger.ledger.verify import verify_books
from newledger.pagination import PageRequest
from tests.support.books import Books, make_books

D = dt.date(2026, 3, 2)


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def test_an_items_defaults_fill_what_an_invoice_line_leaves_out(
    session: Session, books: Books
) -> None:
    sales = create_tax_rate(session, books.actor, name="State", rate="7.25")
    item = create_item(
        session,
        books.actor,
        code="CONSULT",
        name="Consulting",
        description="Consulting, per hour",
        unit_price="120.00",
        income_account_id=books.acct("4100"),
        tax_rate_id=sales.id,
    )
    inv = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D,
        lines=[
            {"item_id": item.id, "quantity": "2"},
            # What the line says wins: its own price, description and no account override.
            {"item_id": item.id, "unit_price": "100.00", "description": "Discounted hour"},
        ],
    )
    first, second = inv.lines
    assert (first.description, first.unit_price, first.amount) == (
        "Consulting, per hour",
        12000,
        24000,
    )
    assert (first.account_id, first.tax_rate_id, first.item_id) == (
        books.acct("4100"),
        sales.id,
        item.id,
    )
    # 240.00 x 7.25 % = 17.40; 100.00 x 7.25 % = 7.25.
    assert (first.tax_amount, second.tax_amount) == (1740, 725)
    assert (second.description, second.unit_price) == ("Discounted hour", 10000)
    assert invoices.invoice_dict(inv)["lines"][0]["item_id"] == item.id
    invoices.approve_invoice(session, books.actor, inv.id)
    assert verify_books(session, books.company_id) == []


def test_an_expense_line_takes_the_items_expense_account_price_and_purchase_rate(
    session: Session, books: Books
) -> None:
    vat = create_tax_rate(session, books.actor, name="VAT", rate="20", kind="purchase")
    paper = create_item(
        session,
        books.actor,
        code="PAPER",
        name="Printer paper",
        unit_price="12.50",
        expense_account_id=books.acct("6500"),
        tax_rate_id=vat.id,
    )
    exp = expenses.create_draft_expense(session, books.actor, date=D, lines=[{"item_id": paper.id}])
    [line] = exp.lines
    assert (line.description, line.amount, line.account_id, line.tax_amount) == (
        "Printer paper",
        1250,
        books.acct("6500"),
        250,
    )
    # An item without an expense account: the line must say one.
    bare = create_item(session, books.actor, code="MISC", name="Misc", unit_price="1")
    with pytest.raises(ValidationFailed) as missing:
        expenses.create_draft_expense(session, books.actor, date=D, lines=[{"item_id": bare.id}])
    assert "lines[0].account_id" in missing.value.errors


def test_codes_are_unique_per_company_and_items_are_a_persons_job(
    session: Session, books: Books
) -> None:
    item = create_item(session, books.actor, code="A1", name="Widget")
    with pytest.raises(Conflict):
        create_item(session, books.actor, code="A1", name="Other widget")
    other = make_books(session, slug="other-co")
    create_item(session, other.actor, code="A1", name="Their widget")  # another company: fine
    with pytest.raises(NotFound):
        get_item(session, other.actor, item.id)
    with pytest.raises(PermissionDenied):
        create_item(session, books.app(), code="B1", name="From an app")
    with pytest.raises(PermissionDenied):
        update_item(session, books.app(), item.id, {"name": "Renamed by an app"})
    reader = books.app(Permission.ACCOUNTS_READ)
    assert get_item(session, reader, item.id).code == "A1"
    with pytest.raises(ValidationFailed):
        create_item(session, books.actor, code="", name="No code")
    with pytest.raises(ValidationFailed):
        create_item(
            session, books.actor, code="X", name="Wrong side", income_account_id=books.acct("6500")
        )


def test_archiving_hides_an_item_and_refuses_it_on_new_lines_with_audit_and_events(
    session: Session, books: Books
) -> None:
    item = create_item(session, books.actor, code="OLD", name="Old service", unit_price="5")
    update_item(session, books.actor, item.id, {"is_active": False}, expected_version=1)
    page = list_items(session, books.actor, ItemFilters(), PageRequest(limit=10, order="code"))
    assert item.id not in [i.id for i in page.items]
    everything = list_items(
        session, books.actor, ItemFilters(include_archived=True), PageRequest(limit=10)
    )
    assert item.id in [i.id for i in everything.items]
    with pytest.raises(ValidationFailed) as refused:
        invoices.create_draft_invoice(
            session,
            books.actor,
            contact_id=books.customer.id,
            issue_date=D,
            lines=[{"item_id": item.id}],
        )
    assert refused.value.errors == {"lines[0].item_id": "archived"}
    events = list(
        session.scalars(
            select(Activity.event).where(Activity.subject_type == "item").order_by(Activity.id)
        )
    )
    assert events == [Event.ITEM_CREATED, Event.ITEM_ARCHIVED]
    changes = list(
        session.scalars(
            select(ChangeEvent.event_type)
            .where(ChangeEvent.event_type.like("item.%"))
            .order_by(ChangeEvent.seq)
        )
    )
    assert changes == ["item.created", "item.archived"]


def test_a_line_may_name_its_item_by_code_as_a_crm_sends_it(session: Session, books: Books) -> None:
    vat = create_tax_rate(session, books.actor, name="VAT", rate="20", kind="both")
    hosting = create_item(
        session,
        books.actor,
        code="HOST-M",
        name="Hosting, monthly",
        unit_price="49.99",
        income_account_id=books.acct("4100"),
        expense_account_id=books.acct("6500"),
        tax_rate_id=vat.id,
    )
    inv = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D,
        lines=[
            {"item_code": " HOST-M ", "quantity": "2"},
            # The same item by id and by code: they agree, so it is taken.
            {"item_id": hosting.id, "item_code": "HOST-M", "unit_price": "10.00"},
        ],
    )
    first, second = inv.lines
    assert (first.item_id, first.unit_price, first.amount, first.account_id) == (
        hosting.id,
        4999,
        9998,
        books.acct("4100"),
    )
    assert (first.tax_rate_id, first.tax_amount) == (vat.id, 2000)
    assert (second.item_id, second.unit_price) == (hosting.id, 1000)
    exp = expenses.create_draft_expense(
        session, books.actor, date=D, lines=[{"item_code": "HOST-M"}]
    )
    [line] = exp.lines
    assert (line.item_id, line.amount, line.account_id) == (hosting.id, 4999, books.acct("6500"))
    # The code is resolved before the line is stored: edits see an item_id like any other.
    assert expenses.expense_dict(exp)["lines"][0]["item_id"] == hosting.id


def test_an_unknown_or_disagreeing_or_archived_item_code_names_the_line(
    session: Session, books: Books
) -> None:
    item = create_item(session, books.actor, code="A1", name="Widget", unit_price="5")
    other = create_item(session, books.actor, code="B2", name="Gadget", unit_price="7")

    def refused(*lines: dict[str, object]) -> ValidationFailed:
        with pytest.raises(ValidationFailed) as caught:
            invoices.create_draft_invoice(
                session, books.actor, contact_id=books.customer.id, issue_date=D, lines=list(lines)
            )
        return caught.value

    unknown = refused({"item_code": "A1"}, {"item_code": "NOPE"})
    assert unknown.code == "unknown_item"
    assert unknown.errors == {"lines[1].item_code": "unknown item code"}
    assert "Line 2" in unknown.message and "NOPE" in unknown.message
    mismatch = refused({"item_id": other.id, "item_code": "A1"})
    assert list(mismatch.errors) == ["lines[0].item_code"]
    assert mismatch.code == "item_mismatch"
    assert list(refused({"item_code": 7}).errors) == ["lines[0].item_code"]
    update_item(session, books.actor, item.id, {"is_active": False})
    assert refused({"item_code": "A1"}).errors == {"lines[0].item_code": "archived"}
    with pytest.raises(ValidationFailed) as on_expense:
        expenses.create_draft_expense(session, books.actor, date=D, lines=[{"item_code": "Z"}])
    assert on_expense.value.code == "unknown_item"
    assert on_expense.value.errors == {"lines[0].item_code": "unknown item code"}
    # Another company's code is as unknown as a missing one.
    elsewhere = make_books(session, slug="other-co")
    create_item(session, elsewhere.actor, code="THEIRS", name="Theirs", unit_price="1")
    assert refused({"item_code": "THEIRS"}).code == "unknown_item"


def test_items_are_searched_by_code_or_name_and_counted(session: Session, books: Books) -> None:
    for code, name in (("HOST-M", "Hosting, monthly"), ("HOST-Y", "Hosting, yearly")):
        create_item(session, books.actor, code=code, name=name)
    consult = create_item(session, books.actor, code="CONSULT", name="Consulting hour")
    update_item(session, books.actor, consult.id, {"is_active": False})
    by_code = ItemFilters(search="host")
    page = list_items(session, books.actor, by_code, PageRequest(limit=1, order="code"))
    assert [i.code for i in page.items] == ["HOST-M"] and page.next_cursor
    assert count_items(session, books.actor, by_code) == 2
    assert count_items(session, books.actor, ItemFilters(search="YEARLY")) == 1
    assert count_items(session, books.actor, ItemFilters(search="consult")) == 0
    archived = ItemFilters(archived_only=True)
    assert [i.code for i in list_items(session, books.actor, archived, PageRequest()).items] == [
        "CONSULT"
    ]
    assert count_items(session, books.actor, ItemFilters(include_archived=True)) == 3
    with pytest.raises(PermissionDenied):
        count_items(session, books.app(Permission.INVOICES_READ), ItemFilters())
