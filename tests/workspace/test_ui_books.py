"""Keeping the books in the UI, over real HTTP against the running app: new invoices, bills and
contacts through their forms; approve, record a payment and void from the document's page; and
the refusals (a viewer, bad input, a stale version, an overpayment, a void without a reason),
each leaving nothing written."""

from __future__ import annotations

import html

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger import expenses as expense_service
from newledger.ledger import invoices as invoice_service
from newledger.ledger.models import Contact, Invoice, JournalEntry
from tests.conftest import LiveServer
from tests.support.books import row_counts
from tests.support.books_ui import (
    TODAY,
    UiBooks,
    bill_fields,
    created_id,
    expense_row,
    invoice_fields,
    invoice_row,
    make_ui_books,
    payments_of,
    submit,
)
from tests.support.workspace import client, csrf, sign_in


def _approved_invoice(sessions: sessionmaker[Session], ui: UiBooks, price: str = "1200.00") -> int:
    with sessions.begin() as s:
        owner = s.get(User, ui.owner.user_id)
        assert owner is not None
        me = user_actor(s, owner, ui.books.company_id)
        invoice = invoice_service.create_draft_invoice(
            s,
            me,
            contact_id=ui.books.customer_id,
            issue_date=TODAY,
            lines=[{"description": "Design", "unit_price": price}],
        )
        invoice_service.approve_invoice(s, me, invoice.id)
        return invoice.id


def _text(response: httpx.Response) -> str:
    return html.unescape(response.text)


BOOKS = ("invoices", "invoice_lines", "expenses", "expense_lines", "payments", "contacts",
         "journal_entries", "journal_lines", "bank_transactions")  # fmt: skip


def _books(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows in the tables that hold the books (sign-ins and refusals write elsewhere)."""
    with sessions() as s:
        counts = row_counts(s)
    return {name: counts[name] for name in BOOKS}


def _activity(sessions: sessionmaker[Session], event: Event) -> list[Activity]:
    with sessions() as s:
        return list(s.scalars(select(Activity).where(Activity.event == event)))


def test_a_viewer_can_neither_open_the_forms_nor_post_them(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = _approved_invoice(sessions, ui)
    before = _books(sessions)
    with client(live_server.url) as c:
        sign_in(c, ui.viewer)
        for path in (
            "/invoices/new",
            "/expenses/new?kind=bill",
            "/expenses/new",
            "/contacts/new",
            f"/invoices/{invoice_id}/edit",
        ):
            refused = c.get(path)
            assert refused.status_code == 403, path
            assert "Not allowed" in refused.text
        page = c.get(f"/invoices/{invoice_id}")
        assert page.status_code == 200
        for absent in ('id="payment-form"', 'id="void-form"', "/approve"):
            assert absent not in page.text
        listing = c.get("/invoices").text
        assert 'id="new-invoice"' not in listing
        token = csrf(page.text)
        for path, data in (
            ("/invoices/new", invoice_fields(ui.books.customer_id, ("Work", "1", "10.00"))),
            ("/expenses/new", bill_fields(ui.books.vendor.id, ui.acct("6500"), ("Paper", "9"))),
            ("/contacts/new", {"name": "Initech", "kind": "customer", "payment_terms_days": "30"}),
            (f"/invoices/{invoice_id}/payments", {"amount": "1.00", "date": TODAY.isoformat()}),
            (f"/invoices/{invoice_id}/void", {"reason": "Because"}),
            (f"/invoices/{invoice_id}/approve", {"version": "2"}),
            ("/bank/categorize", {"accept": "1", "account-1": str(ui.acct("6500"))}),
        ):
            refused = c.post(path, data={"csrf_token": token, **data})
            assert refused.status_code == 403, path
    assert _books(sessions) == before
    assert invoice_row(sessions, invoice_id).status == "approved"


def test_an_invoice_drafted_in_the_form_is_a_draft_from_the_ui_that_awaits_approval(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    fields = invoice_fields(
        ui.books.customer_id, ("Design", "2", "500.00"), ("Hosting", "1", "200.00")
    )
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        assert 'id="new-invoice"' in c.get("/invoices").text
        saved = submit(c, "/invoices/new", "/invoices/new", fields)
        invoice_id = created_id(saved)
        page = c.get(saved.headers["location"])
    drafted = invoice_row(sessions, invoice_id)
    assert (drafted.status, drafted.total, drafted.journal_entry_id) == ("draft", 1200_00, None)
    assert (drafted.source, drafted.source_label) == ("ui", ui.owner.email)
    assert [(line.description, line.amount) for line in drafted.lines] == [
        ("Design", 1000_00),
        ("Hosting", 200_00),
    ]
    # No due date given: the customer's terms (14 days) set it, as through the API.
    assert (drafted.due_date - drafted.issue_date).days == 14
    text = _text(page)
    assert f"Invoice {drafted.number} saved; it is a draft until someone approves it." in text
    assert f'action="/invoices/{invoice_id}/approve"' in page.text
    assert f'href="/invoices/{invoice_id}/edit"' in page.text
    [row] = _activity(sessions, Event.INVOICE_DRAFTED)
    assert (row.subject_id, row.actor_user_id, row.source) == (invoice_id, ui.owner.user_id, "web")


def test_line_rows_are_added_and_removed_by_the_form_itself_without_saving(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    fields = invoice_fields(
        ui.books.customer_id, ("Design", "2", "500.00"), ("Hosting", "1", "200.00")
    )
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        blank = c.get("/invoices/new").text
        assert blank.count('class="line-row"') == 3  # a few empty rows to start
        added = submit(c, "/invoices/new", "/invoices/new", {**fields, "add_line": "1"})
        removed = submit(c, "/invoices/new", "/invoices/new", {**fields, "remove_line": "0"})
    assert added.status_code == 200
    # Both lines kept, and one empty row more than "Add line" was sent with (none here).
    assert 'name="lines-0-description" type="text" value="Design"' in added.text
    assert 'name="lines-1-description" type="text" value="Hosting"' in added.text
    assert added.text.count('class="line-row"') == 2 + 1
    assert removed.status_code == 200
    assert 'value="Design"' not in removed.text
    assert 'name="lines-0-description" type="text" value="Hosting"' in removed.text
    with sessions() as s:
        assert s.scalar(select(Invoice.id)) is None  # neither button saved anything


def test_bad_input_comes_back_in_the_form_with_the_field_named(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = _approved_invoice(sessions, ui)
    before = _books(sessions)
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        no_customer = submit(
            c,
            "/invoices/new",
            "/invoices/new",
            {**invoice_fields(ui.books.customer_id, ("Design", "2", "500.00")), "contact_id": ""},
        )
        bad_price = submit(
            c,
            "/invoices/new",
            "/invoices/new",
            invoice_fields(ui.books.customer_id, ("Design", "2", "5OO")),
        )
        no_vendor = submit(
            c,
            "/expenses/new?kind=bill",
            "/expenses/new",
            {
                **bill_fields(ui.books.vendor.id, ui.acct("6500"), ("Paper", "12.50")),
                "contact_id": "",
            },
        )
        no_name = submit(
            c,
            "/contacts/new",
            "/contacts/new",
            {
                "name": "",
                "kind": "vendor",
                "email": "ap@initech.example",
                "payment_terms_days": "30",
            },
        )
        bad_amount = submit(
            c,
            f"/invoices/{invoice_id}",
            f"/invoices/{invoice_id}/payments",
            {
                "amount": "lots",
                "date": TODAY.isoformat(),
                "bank_account_id": str(ui.books.checking.id),
            },
        )
    assert no_customer.status_code == 422
    assert "Customer or vendor: required" in _text(no_customer)
    assert 'id="error-contact_id"' in no_customer.text
    assert 'value="Design"' in no_customer.text  # what was typed stays
    assert bad_price.status_code == 422
    assert "Line 1 unit price:" in _text(bad_price)
    assert 'id="error-lines-0-unit_price"' in bad_price.text
    assert 'value="5OO"' in bad_price.text
    assert no_vendor.status_code == 422
    assert 'id="error-contact_id"' in no_vendor.text
    assert 'value="12.50"' in no_vendor.text
    assert no_name.status_code == 422
    assert 'id="error-name"' in no_name.text
    assert 'value="ap@initech.example"' in no_name.text
    assert bad_amount.status_code == 422
    assert 'id="error-amount"' in bad_amount.text
    assert 'id="pay-amount" name="amount" type="text" inputmode="decimal" value="lots"' in (
        bad_amount.text
    )
    assert _books(sessions) == before


def test_a_stale_version_is_a_clear_conflict_that_keeps_what_was_typed(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        invoice_id = created_id(
            submit(
                c,
                "/invoices/new",
                "/invoices/new",
                invoice_fields(ui.books.customer_id, ("Design", "1", "100.00")),
            )
        )
        edit_page = c.get(f"/invoices/{invoice_id}/edit").text
        doc_page = c.get(f"/invoices/{invoice_id}").text
        # Meanwhile someone else edits the draft (version 1 → 2).
        with sessions.begin() as s:
            owner = s.get(User, ui.owner.user_id)
            assert owner is not None
            me = user_actor(s, owner, ui.books.company_id)
            invoice_service.update_draft_invoice(s, me, invoice_id, {"memo": "Theirs"})
        edit = c.post(
            f"/invoices/{invoice_id}/edit",
            data={
                "csrf_token": csrf(edit_page),
                **invoice_fields(ui.books.customer_id, ("Design", "3", "100.00")),
                "memo": "Mine",
                "version": "1",
            },
        )
        approve = c.post(
            f"/invoices/{invoice_id}/approve", data={"csrf_token": csrf(doc_page), "version": "1"}
        )
        # Reloaded, the same edit goes through and comes back to the invoice's page.
        again = submit(
            c,
            f"/invoices/{invoice_id}/edit",
            f"/invoices/{invoice_id}/edit",
            {
                **invoice_fields(ui.books.customer_id, ("Design", "3", "100.00")),
                "due_date": TODAY.isoformat(),  # an edit shows the draft's own
                "memo": "Mine",
                "version": "2",
            },
        )
    assert edit.status_code == 409
    assert "changed since you loaded it" in _text(edit)
    assert 'value="Mine"' in edit.text and 'value="3"' in edit.text
    assert approve.status_code == 409
    assert 'id="action-error"' in approve.text
    assert "changed since you loaded it" in _text(approve)
    assert again.status_code == 303
    assert again.headers["location"].startswith(f"/invoices/{invoice_id}?done=")
    kept = invoice_row(sessions, invoice_id)
    assert (kept.status, kept.memo, kept.total, kept.version) == ("draft", "Mine", 300_00, 3)


def test_a_part_payment_leaves_the_rest_open_and_an_overpayment_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        invoice_id = created_id(
            submit(
                c,
                "/invoices/new",
                "/invoices/new",
                invoice_fields(ui.books.customer_id, ("Design", "2", "600.00")),
            )
        )
        page = f"/invoices/{invoice_id}"
        approved = submit(c, page, f"{page}/approve", {"version": "1"})
        assert approved.status_code == 303
        form = c.get(page).text
        # The amount starts as what is open, through the one bank account.
        assert 'id="pay-amount" name="amount" type="text" inputmode="decimal" value="1200.00"' in (
            form
        )
        bank = str(ui.books.checking.id)
        part = submit(
            c,
            page,
            f"{page}/payments",
            {
                "amount": "400.00",
                "date": TODAY.isoformat(),
                "bank_account_id": bank,
                "reference": "Wire 1",
            },
        )
        after_part = c.get(part.headers["location"])
        over = submit(
            c,
            page,
            f"{page}/payments",
            {
                "amount": "900.00",
                "date": TODAY.isoformat(),
                "bank_account_id": bank,
                "reference": "",
            },
        )
    assert part.status_code == 303
    assert "is partially paid" in _text(after_part)
    assert 'id="pay-amount" name="amount" type="text" inputmode="decimal" value="800.00"' in (
        after_part.text
    )
    assert over.status_code == 422
    assert "more than the 800.00 USD due" in _text(over)
    assert 'value="900.00"' in over.text
    paid = invoice_row(sessions, invoice_id)
    assert (paid.status, paid.amount_paid) == ("partially_paid", 400_00)
    assert [(p.amount, p.reference) for p in payments_of(sessions, invoice_id)] == [
        (400_00, "Wire 1")
    ]
    [row] = _activity(sessions, Event.PAYMENT_RECORDED)
    assert (row.actor_user_id, row.source) == (ui.owner.user_id, "web")


def test_a_void_needs_a_reason_which_is_kept_and_shown(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    paid_invoice = _approved_invoice(sessions, ui, "300.00")
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        bill_id = created_id(
            submit(
                c,
                "/expenses/new?kind=bill",
                "/expenses/new",
                bill_fields(ui.books.vendor.id, ui.acct("6500"), ("Paper", "75.00")),
            )
        )
        page = f"/expenses/{bill_id}"
        assert submit(c, page, f"{page}/approve", {"version": "1"}).status_code == 303
        no_reason = submit(c, page, f"{page}/void", {"reason": "  "})
        voided = submit(c, page, f"{page}/void", {"reason": "Entered twice"})
        shown = c.get(page).text
        # Money received against an invoice keeps it from being voided.
        invoice_page = f"/invoices/{paid_invoice}"
        bank = str(ui.books.checking.id)
        paid = submit(
            c,
            invoice_page,
            f"{invoice_page}/payments",
            {"amount": "100.00", "date": TODAY.isoformat(), "bank_account_id": bank},
        )
        assert paid.status_code == 303
        refused = c.post(
            f"{invoice_page}/void",
            data={"csrf_token": csrf(shown), "reason": "Customer cancelled"},
        )
    assert no_reason.status_code == 422
    assert 'id="error-reason"' in no_reason.text
    assert voided.status_code == 303
    assert 'id="void-reason-shown">Entered twice<' in shown
    assert 'id="void-form"' not in shown and 'id="payment-form"' not in shown
    bill = expense_row(sessions, bill_id)
    assert bill.status == "voided" and bill.void_entry_id is not None
    with sessions() as s:
        entry = s.get(JournalEntry, bill.void_entry_id)
        assert entry is not None and entry.reverses_entry_id == bill.journal_entry_id
    [row] = _activity(sessions, Event.EXPENSE_VOIDED)
    assert (row.details["reason"], row.source) == ("Entered twice", "web")
    assert refused.status_code == 409
    assert "has payments recorded against it" in _text(refused)
    assert invoice_row(sessions, paid_invoice).status == "partially_paid"


def test_a_bookkeepers_draft_made_in_the_ui_waits_for_the_owner_in_the_queue(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    with client(live_server.url) as keeper:
        sign_in(keeper, ui.keeper)
        bill_id = created_id(
            submit(
                keeper,
                "/expenses/new?kind=bill",
                "/expenses/new",
                bill_fields(ui.books.vendor.id, ui.acct("6500"), ("Toner", "89.90")),
            )
        )
    drafted = expense_row(sessions, bill_id)
    assert (drafted.status, drafted.journal_entry_id) == ("draft", None)
    assert (drafted.source, drafted.source_label) == ("ui", ui.keeper.email)
    with client(live_server.url) as owner:
        sign_in(owner, ui.owner)
        queue = owner.get("/review").text
        assert f'id="expense-{bill_id}"' in queue
        assert "NewLedger UI · keeper@example.com" in html.unescape(queue)
        approved = submit(owner, "/review", f"/review/expenses/{bill_id}/approve", {"version": "1"})
    assert approved.status_code == 303
    decided = expense_row(sessions, bill_id)
    assert decided.status == "approved" and decided.journal_entry_id is not None
    assert (decided.created_by_user_id, decided.approved_by_user_id) == (
        ui.keeper.user_id,
        ui.owner.user_id,
    )


def test_a_contact_added_from_the_invoice_form_comes_back_chosen_on_it(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        form = c.get("/invoices/new").text
        assert 'href="/contacts/new?kind=customer&amp;next=invoice"' in form
        created = submit(
            c,
            "/contacts/new?kind=customer&next=invoice",
            "/contacts/new",
            {
                "name": "Initech",
                "kind": "customer",
                "email": "ap@initech.example",
                "payment_terms_days": "30",
                "billing-line1": "1 Main St",
                "billing-city": "Austin",
                "billing-country": "US",
                "next": "invoice",
            },
        )
        with sessions() as s:
            contact = s.scalar(select(Contact).where(Contact.name == "Initech"))
            assert contact is not None
            assert (contact.kind, contact.email, contact.billing_address.city) == (
                "customer",
                "ap@initech.example",
                "Austin",
            )
        assert created.status_code == 303
        assert created.headers["location"] == f"/invoices/new?contact_id={contact.id}"
        back = c.get(created.headers["location"]).text
    assert f'<option value="{contact.id}" selected>Initech</option>' in back
    [row] = _activity(sessions, Event.CONTACT_CREATED)
    assert (row.subject_id, row.source) == (contact.id, "web")


def test_an_expense_is_paid_when_approved_and_voids_with_its_reason(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        expense_id = created_id(
            submit(
                c,
                "/expenses/new?kind=expense",
                "/expenses/new",
                {
                    **bill_fields(ui.books.vendor.id, ui.acct("6500"), ("Pens", "12.00")),
                    "kind": "expense",
                },
            )
        )
        page = f"/expenses/{expense_id}"
        assert submit(c, page, f"{page}/approve", {"version": "1"}).status_code == 303
        approved = c.get(page).text
        assert 'id="payment-form"' not in approved  # paid at once: nothing to record
        assert submit(c, page, f"{page}/void", {"reason": "Personal purchase"}).status_code == 303
    voided = expense_row(sessions, expense_id)
    assert (voided.kind, voided.status) == ("expense", "voided")
    with sessions() as s:
        note = expense_service.void_note(s, voided)
    assert note is not None and note.reason == "Personal purchase"
