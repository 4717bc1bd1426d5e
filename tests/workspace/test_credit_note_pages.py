"""Credit notes and vendor credits in the UI, over real HTTP against the running app: the lists,
the pages, the draft form (new, from an invoice or bill, edit), and what a person holding
``ledger:post`` does from a credit's page (approve, reject, apply to an open invoice or bill,
take an allocation back, refund, void) and from the review queue; each refusal keeps what was
typed, names the field and leaves nothing written."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.ledger import invoices
from newledger.ledger.models import CreditAllocation
from newledger.ledger.payments import record_payment
from tests.conftest import LiveServer
from tests.support.books import app_actor, row_counts
from tests.support.books_ui import expense_row, invoice_row, make_ui_books, submit
from tests.support.credit_ui import (
    TODAY,
    approved_bill,
    approved_invoice,
    credit_fields,
    credit_id,
    credit_row,
    drafted_credit,
    owner_actor,
    refunds_of,
)
from tests.support.workspace import client, csrf, sign_in

BOOKS = ("invoices", "expenses", "credit_notes", "credit_note_lines", "credit_allocations",
         "payments", "journal_entries", "journal_lines")  # fmt: skip


def _books(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows in the tables that hold the books (sign-ins and refusals write elsewhere)."""
    with sessions() as s:
        counts = row_counts(s)
    return {name: counts[name] for name in BOOKS}


def _text(response: httpx.Response) -> str:
    return html.unescape(response.text)


def _activity(sessions: sessionmaker[Session], event: Event) -> list[Activity]:
    with sessions() as s:
        return list(s.scalars(select(Activity).where(Activity.event == event)))


def _value(page: str, name: str) -> str:
    """The value of the (first) input named ``name`` on ``page``."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert tag, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def test_a_credit_note_from_an_invoice_page_is_prefilled_and_applies_when_approved(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "1200.00")
    number = invoice_row(sessions, invoice_id).number
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        invoice_page = c.get(f"/invoices/{invoice_id}").text
        assert f'href="/credit-notes/new?invoice_id={invoice_id}"' in invoice_page
        start = f"/credit-notes/new?invoice_id={invoice_id}"
        form = c.get(start).text
        # The customer, the invoice's lines and what is due on it, applied to it.
        assert f'<option value="{ui.books.customer_id}" selected>Acme Corp</option>' in form
        assert 'name="lines-0-description" type="text" value="Design"' in form
        assert 'name="lines-0-unit_price" type="text" inputmode="decimal" value="1200.00"' in form
        assert _value(form, f"allocate-{invoice_id}") == "1200.00"
        assert f'href="/invoices/{invoice_id}">← Invoice {number}' in _text(c.get(start))
        fields = credit_fields(
            ui.books.customer_id, ("Design", "1", "300.00"), allocate={invoice_id: "300.00"}
        )
        fields["reference"] = number
        saved = c.post(start, data={"csrf_token": csrf(form), **fields})
        note_id = credit_id(saved)
        drafted_page = c.get(saved.headers["location"])
        proposed_on_invoice = c.get(f"/invoices/{invoice_id}").text
        approved = submit(
            c, f"/credit-notes/{note_id}", f"/credit-notes/{note_id}/approve", {"version": "1"}
        )
        after = c.get(approved.headers["location"])
        invoice_after = c.get(f"/invoices/{invoice_id}").text
    drafted_text = _text(drafted_page)
    assert "Credit note CN-00001 saved; it is a draft until someone approves it." in drafted_text
    assert "proposed" in drafted_text and f'href="/invoices/{invoice_id}"' in drafted_page.text
    assert f'action="/credit-notes/{note_id}/approve"' in drafted_page.text
    assert f'href="/credit-notes/{note_id}/edit"' in drafted_page.text
    assert f'<a href="/credit-notes/{note_id}">CN-00001</a>' in proposed_on_invoice
    assert approved.status_code == 303
    assert "Credit note CN-00001 approved and posted; $300.00 of it applied." in _text(after)
    note = credit_row(sessions, note_id)
    assert (note.status, note.total, note.amount_allocated, note.remaining) == (
        "applied",
        300_00,
        300_00,
        0,
    )
    assert (note.source, note.source_label, note.reference) == ("ui", ui.owner.email, number)
    invoice = invoice_row(sessions, invoice_id)
    assert (invoice.amount_credited, invoice.status) == (300_00, "partially_paid")
    assert 'id="amount-credited">$300.00<' in invoice_after
    assert 'id="amount-open">$900.00<' in invoice_after
    assert f'<a href="/credit-notes/{note_id}">CN-00001</a>' in invoice_after
    [row] = _activity(sessions, Event.CREDIT_NOTE_APPROVED)
    assert (row.actor_user_id, row.source) == (ui.owner.user_id, "web")


def test_the_new_form_shows_the_chosen_customers_open_invoices_without_saving(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "500.00")
    before = _books(sessions)
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        listing = c.get("/credit-notes").text
        assert 'id="new-credit-note"' in listing
        blank = c.get("/credit-notes/new")
        shown = submit(
            c,
            "/credit-notes/new",
            "/credit-notes/new",
            {**credit_fields(ui.books.customer_id, ("Refund", "1", "50.00")), "show_open": "1"},
        )
    assert blank.status_code == 200
    assert 'id="no-open-documents"' in blank.text and f'id="open-{invoice_id}"' not in blank.text
    assert shown.status_code == 200
    assert f'id="open-{invoice_id}"' in shown.text
    assert 'name="lines-0-unit_price" type="text" inputmode="decimal" value="50.00"' in shown.text
    assert _books(sessions) == before


def test_a_paid_invoice_offers_a_credit_note_with_nothing_to_apply_and_a_draft_offers_none(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    paid = approved_invoice(sessions, ui, "100.00")
    with owner_actor(sessions, ui) as (s, me):
        record_payment(
            s, me, amount="100.00", date=TODAY, bank_account_id=ui.books.checking.id,
            invoice_id=paid,
        )  # fmt: skip
        draft = invoices.create_draft_invoice(
            s,
            me,
            contact_id=ui.books.customer_id,
            issue_date=TODAY,
            lines=[{"description": "Later", "unit_price": "5.00"}],
        ).id
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        paid_page = c.get(f"/invoices/{paid}").text
        form = c.get(f"/credit-notes/new?invoice_id={paid}").text
        draft_page = c.get(f"/invoices/{draft}").text
    assert f'href="/credit-notes/new?invoice_id={paid}"' in paid_page
    assert _value(form, "lines-0-unit_price") == "100.00"
    assert f'name="allocate-{paid}"' not in form  # nothing due on it: the credit is refunded
    assert 'id="no-open-documents"' in form
    assert 'id="new-credit"' not in draft_page


def test_bad_input_in_the_credit_form_comes_back_with_the_field_named_and_nothing_saved(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "200.00")
    number = invoice_row(sessions, invoice_id).number
    before = _books(sessions)
    customer = ui.books.customer_id
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        bad_price = submit(
            c, "/credit-notes/new", "/credit-notes/new", credit_fields(customer, ("X", "1", "abc"))
        )
        over_due = submit(
            c,
            "/credit-notes/new",
            "/credit-notes/new",
            credit_fields(customer, ("Refund", "1", "500.00"), allocate={invoice_id: "250.00"}),
        )
        over_total = submit(
            c,
            "/credit-notes/new",
            "/credit-notes/new",
            credit_fields(customer, ("Refund", "1", "100.00"), allocate={invoice_id: "150.00"}),
        )
        vendor_on_a_credit_note = submit(
            c,
            "/credit-notes/new",
            "/credit-notes/new",
            credit_fields(ui.books.vendor.id, ("Refund", "1", "10.00")),
        )
    assert bad_price.status_code == 422
    assert "Line 1 unit price:" in _text(bad_price)
    assert 'id="error-lines-0-unit_price"' in bad_price.text
    assert 'value="abc"' in bad_price.text
    assert over_due.status_code == 422
    # The allocation is named by its invoice, and the field itself is marked, as typed.
    assert f"Amount applied to invoice {number}: at most 200.00" in _text(over_due)
    assert f'id="error-allocate-{invoice_id}"' in over_due.text
    assert _value(over_due.text, f"allocate-{invoice_id}") == "250.00"
    assert over_total.status_code == 422
    assert "Allocations: more than the total" in _text(over_total)
    assert 'id="error-allocations"' in over_total.text
    assert vendor_on_a_credit_note.status_code == 422
    assert 'id="error-contact_id"' in vendor_on_a_credit_note.text
    assert _books(sessions) == before


def test_a_draft_is_edited_in_the_form_and_a_stale_version_is_a_conflict(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "800.00")
    note_id = drafted_credit(sessions, ui, "300.00")
    edit = f"/credit-notes/{note_id}/edit"
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        form = c.get(edit).text
        fields = credit_fields(
            ui.books.customer_id, ("Returned", "2", "150.00"), allocate={invoice_id: "120.00"}
        )
        fields |= {"memo": "Two boxes back", "version": "1"}
        saved = c.post(edit, data={"csrf_token": csrf(form), **fields})
        stale = c.post(edit, data={"csrf_token": csrf(form), **fields, "memo": "Mine"})
    assert f'id="open-{invoice_id}"' in form  # the customer's open invoice, to apply it to
    assert saved.status_code == 303
    assert stale.status_code == 409
    assert "changed since you loaded it" in _text(stale)
    assert 'value="Mine"' in stale.text
    note = credit_row(sessions, note_id)
    assert (note.status, note.total, note.memo, note.version) == (
        "draft",
        300_00,
        "Two boxes back",
        2,
    )
    assert [(a.invoice_id, a.amount, a.status) for a in note.allocations] == [
        (invoice_id, 120_00, "proposed")
    ]


def test_lists_filter_by_status_and_each_kind_keeps_to_its_own_pages(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    draft = drafted_credit(sessions, ui, "40.00")
    approved = drafted_credit(sessions, ui, "60.00", approve=True)
    vendor_credit = drafted_credit(sessions, ui, "25.00", kind="purchase")
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        home = c.get("/").text
        everything = c.get("/credit-notes").text
        only_drafts = c.get("/credit-notes?status=draft").text
        bogus = c.get("/credit-notes?status=paid")
        vendor_list = c.get("/vendor-credits").text
        crossed = c.get(f"/vendor-credits/{draft}")
        crossed_back = c.get(f"/credit-notes/{vendor_credit}")
    nav = home.split('id="main-menu"')[1].split("</nav>")[0]
    assert '<a href="/credit-notes" >Credit notes</a>' in nav
    assert '<a href="/vendor-credits" >Vendor credits</a>' in nav
    assert (
        f'id="credit-note-{draft}"' in everything and f'id="credit-note-{approved}"' in everything
    )
    assert f'id="credit-note-{vendor_credit}"' not in everything
    row = everything.split(f'id="credit-note-{approved}"')[1].split("</tr>")[0]
    assert "Acme Corp" in row and "$60.00" in row and "CN-00002" in row
    assert f'id="credit-note-{draft}"' in only_drafts
    assert f'id="credit-note-{approved}"' not in only_drafts
    assert bogus.status_code == 422 and "Unknown status." in bogus.text
    assert f'id="vendor-credit-{vendor_credit}"' in vendor_list and "Staples" in vendor_list
    assert "VC-00001" in vendor_list
    assert (crossed.status_code, crossed_back.status_code) == (404, 404)


def test_applying_from_the_page_defaults_to_what_fits_and_a_refusal_keeps_the_amount(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    big = approved_invoice(sessions, ui, "1200.00")
    small = approved_invoice(sessions, ui, "200.00")
    small_number = invoice_row(sessions, small).number
    note_id = drafted_credit(sessions, ui, "500.00", approve=True)
    page = f"/credit-notes/{note_id}"
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        shown = c.get(page).text
        over = submit(c, page, f"{page}/allocations", {"document_id": str(big), "amount": "600.00"})
        before = _books(sessions)
        unknown = submit(c, page, f"{page}/allocations", {"document_id": "999999", "amount": "1"})
        applied = submit(
            c, page, f"{page}/allocations", {"document_id": str(small), "amount": "200.00"}
        )
        after = c.get(applied.headers["location"])
        small_page = c.get(f"/invoices/{small}").text
        [allocation] = credit_row(sessions, note_id).allocations
        taken_back = submit(c, page, f"{page}/allocations/{allocation.id}/remove", {})
        after_back = c.get(taken_back.headers["location"])
    # Each open invoice offers the less of what is left (500) and what is due on it.
    assert _value(shown, "amount") == "500.00"  # the older, larger invoice first
    assert f'id="allocate-amount-{small}"' in shown
    small_form = shown.split(f'id="open-{small}"')[1]
    assert _value(small_form, "amount") == "200.00"
    assert over.status_code == 422
    assert "more than the 500.00 USD left on CN-00001" in _text(over)
    over_row = over.text.split(f'id="open-{big}"')[1]
    assert _value(over_row, "amount") == "600.00" and 'id="error-amount"' in over_row
    assert unknown.status_code == 422 and "Unknown invoice 999999" in _text(unknown)
    assert _books(sessions) == before
    assert applied.status_code == 303
    assert (
        f"$200.00 applied to invoice {small_number}; $300.00 of Credit note CN-00001 is left."
        in (_text(after))
    )
    assert f'id="allocation-{allocation.id}"' in after.text
    assert f'<a href="/credit-notes/{note_id}">CN-00001</a>' in small_page
    assert taken_back.status_code == 303
    assert "Allocation taken back; $500.00 of Credit note CN-00001 is left." in _text(after_back)
    note = credit_row(sessions, note_id)
    assert (note.status, note.amount_allocated, note.allocations) == ("approved", 0, [])
    assert invoice_row(sessions, small).status == "approved"
    [allocated] = _activity(sessions, Event.CREDIT_NOTE_ALLOCATED)
    [removed] = _activity(sessions, Event.CREDIT_NOTE_UNALLOCATED)
    assert (allocated.source, removed.source) == ("web", "web")


def test_another_credits_allocation_cannot_be_taken_back_from_this_page(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "100.00")
    mine = drafted_credit(sessions, ui, "50.00", approve=True)
    other = drafted_credit(
        sessions,
        ui,
        "50.00",
        approve=True,
        allocations=[{"invoice_id": invoice_id, "amount": "50.00"}],
    )
    [allocation] = credit_row(sessions, other).allocations
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        refused = submit(
            c,
            f"/credit-notes/{mine}",
            f"/credit-notes/{mine}/allocations/{allocation.id}/remove",
            {},
        )
    assert refused.status_code == 404
    assert credit_row(sessions, other).amount_allocated == 50_00


def test_a_refund_of_the_rest_is_a_payment_and_refusals_name_the_field(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "100.00")
    note_id = drafted_credit(
        sessions,
        ui,
        "300.00",
        approve=True,
        allocations=[{"invoice_id": invoice_id, "amount": "100.00"}],
    )
    page = f"/credit-notes/{note_id}"
    bank = str(ui.books.checking.id)
    refund = {"amount": "200.00", "date": TODAY.isoformat(), "bank_account_id": bank}
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        shown = c.get(page).text
        before = _books(sessions)
        too_much = submit(c, page, f"{page}/refunds", {**refund, "amount": "250.00"})
        bad_date = submit(c, page, f"{page}/refunds", {**refund, "date": "someday"})
        no_bank = submit(c, page, f"{page}/refunds", {**refund, "bank_account_id": "999999"})
        assert _books(sessions) == before
        done = submit(c, page, f"{page}/refunds", {**refund, "reference": "Cheque 12"})
        after = c.get(done.headers["location"])
    # What is left, today, through the one bank account in USD.
    assert 'id="refund-amount" name="amount" type="text" inputmode="decimal" value="200.00"' in (
        shown
    )
    assert f'<option value="{bank}" selected>' in shown
    assert too_much.status_code == 422
    assert "more than the 200.00 USD left" in _text(too_much)
    assert 'id="refund-amount" name="amount" type="text" inputmode="decimal" value="250.00"' in (
        too_much.text
    )
    assert 'id="refund-error"' in too_much.text and 'id="error-amount"' in too_much.text
    assert bad_date.status_code == 422 and 'id="error-date"' in bad_date.text
    assert 'value="someday"' in bad_date.text
    assert no_bank.status_code == 422 and 'id="error-bank_account_id"' in no_bank.text
    assert done.status_code == 303
    assert "Refund of $200.00 recorded; Credit note CN-00001 is fully used." in _text(after)
    assert 'id="refunds"' in after.text and "Cheque 12" in after.text
    assert 'id="refund-form"' not in after.text and 'id="allocate"' not in after.text
    note = credit_row(sessions, note_id)
    assert (note.status, note.amount_refunded, note.remaining) == ("applied", 200_00, 0)
    [payment] = refunds_of(sessions, note_id)
    assert (payment.direction, payment.amount, payment.reference) == ("made", 200_00, "Cheque 12")
    [row] = _activity(sessions, Event.CREDIT_NOTE_REFUNDED)
    assert row.source == "web"


def test_a_void_needs_a_reason_and_is_refused_once_the_credit_is_used(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "100.00")
    unused = drafted_credit(sessions, ui, "40.00", approve=True)
    used = drafted_credit(
        sessions,
        ui,
        "40.00",
        approve=True,
        allocations=[{"invoice_id": invoice_id, "amount": "40.00"}],
    )
    page = f"/credit-notes/{unused}"
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        no_reason = submit(c, page, f"{page}/void", {"reason": "  "})
        too_long = submit(c, page, f"{page}/void", {"reason": "x" * 401})
        voided = submit(c, page, f"{page}/void", {"reason": "Issued by mistake"})
        shown = c.get(page).text
        used_page = c.get(f"/credit-notes/{used}").text
        refused = c.post(
            f"/credit-notes/{used}/void", data={"csrf_token": csrf(shown), "reason": "Oops"}
        )
    assert no_reason.status_code == 422 and 'id="error-reason"' in no_reason.text
    assert too_long.status_code == 422 and "at most 400 characters" in too_long.text
    assert voided.status_code == 303
    assert 'id="void-reason-shown">Issued by mistake<' in shown
    assert 'id="void-form"' not in shown and 'id="refund-form"' not in shown
    assert credit_row(sessions, unused).status == "voided"
    [row] = _activity(sessions, Event.CREDIT_NOTE_VOIDED)
    assert (row.details["reason"], row.source) == ("Issued by mistake", "web")
    assert 'id="void-form"' not in used_page
    assert refused.status_code == 409
    assert "remove its allocations before voiding it" in _text(refused)
    assert credit_row(sessions, used).status == "applied"


def test_a_draft_is_rejected_from_its_page_only_with_a_reason(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    note_id = drafted_credit(sessions, ui, "40.00")
    page = f"/credit-notes/{note_id}"
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        no_reason = submit(c, page, f"{page}/reject", {"reason": ""})
        rejected = submit(c, page, f"{page}/reject", {"reason": "Customer kept the goods"})
        shown = c.get(page).text
        again = c.post(f"{page}/approve", data={"csrf_token": csrf(shown), "version": "2"})
    assert no_reason.status_code == 422
    assert "Say why the draft is rejected" in _text(no_reason)
    assert rejected.status_code == 303
    assert 'id="rejected-reason">Customer kept the goods<' in shown
    assert f'action="{page}/approve"' not in shown
    assert again.status_code == 409 and 'id="action-error"' in again.text
    assert credit_row(sessions, note_id).status == "rejected"


def test_a_viewer_reads_the_pages_but_gets_no_forms_and_every_post_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "100.00")
    draft = drafted_credit(sessions, ui, "40.00")
    approved = drafted_credit(
        sessions,
        ui,
        "40.00",
        approve=True,
        allocations=[{"invoice_id": invoice_id, "amount": "10.00"}],
    )
    [allocation] = credit_row(sessions, approved).allocations
    before = _books(sessions)
    with client(live_server.url) as c:
        sign_in(c, ui.viewer)
        listing = c.get("/credit-notes")
        draft_page = c.get(f"/credit-notes/{draft}").text
        approved_page = c.get(f"/credit-notes/{approved}").text
        invoice_page = c.get(f"/invoices/{invoice_id}").text
        forms = [
            c.get(path).status_code
            for path in (
                "/credit-notes/new",
                f"/credit-notes/new?invoice_id={invoice_id}",
                f"/credit-notes/{draft}/edit",
                "/vendor-credits/new",
            )
        ]
        token = csrf(draft_page)
        refused = [
            c.post(path, data={"csrf_token": token, **data}).status_code
            for path, data in (
                ("/credit-notes/new", credit_fields(ui.books.customer_id, ("X", "1", "1.00"))),
                (f"/credit-notes/{draft}/approve", {"version": "1"}),
                (f"/credit-notes/{draft}/reject", {"reason": "No"}),
                (f"/credit-notes/{approved}/void", {"reason": "No"}),
                (
                    f"/credit-notes/{approved}/allocations",
                    {"document_id": str(invoice_id), "amount": "1.00"},
                ),
                (f"/credit-notes/{approved}/allocations/{allocation.id}/remove", {}),
                (
                    f"/credit-notes/{approved}/refunds",
                    {"amount": "1.00", "date": TODAY.isoformat(), "bank_account_id": "1"},
                ),
                (f"/review/credit-notes/{draft}/approve", {"version": "1"}),
            )
        ]
    assert listing.status_code == 200 and 'id="new-credit-note"' not in listing.text
    for page in (draft_page, approved_page):
        for absent in ("/approve", "/reject", "/edit", "refund-form", "void-form", "allocate-"):
            assert absent not in page, absent
    assert "remove-allocation" not in approved_page
    assert 'id="new-credit"' not in invoice_page  # no "New credit note" without invoices:draft
    assert f'<a href="/credit-notes/{approved}">CN-00002</a>' in invoice_page
    assert forms == [403, 403, 403, 403]
    assert refused == [403] * 8
    assert _books(sessions) == before


def test_a_vendor_credit_from_a_bill_page_takes_the_bill_down_when_approved(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    bill_id = approved_bill(sessions, ui, "400.00")
    expense_account = str(ui.acct("6500"))
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        bill_page = c.get(f"/expenses/{bill_id}").text
        start = f"/vendor-credits/new?bill_id={bill_id}"
        form = c.get(start).text
        fields = credit_fields(
            ui.books.vendor.id,
            ("Toner returned", "1", "150.00"),
            account_id=expense_account,
            allocate={bill_id: "150.00"},
        )
        note_id = credit_id(c.post(start, data={"csrf_token": csrf(form), **fields}))
        page = f"/vendor-credits/{note_id}"
        approved = submit(c, page, f"{page}/approve", {"version": "1"})
        bill_after = c.get(f"/expenses/{bill_id}").text
        not_a_bill = c.get("/vendor-credits/new?bill_id=999999")
    assert f'href="/vendor-credits/new?bill_id={bill_id}"' in bill_page
    assert "New vendor credit" in bill_page
    # The vendor, the bill's lines as unit prices on its expense account, and what is due.
    assert f'<option value="{ui.books.vendor.id}" selected>Staples</option>' in form
    assert _value(form, "lines-0-unit_price") == "400.00"
    assert f'<option value="{expense_account}" selected>' in form
    assert _value(form, f"allocate-{bill_id}") == "400.00"
    assert _value(form, "reference") == "STP-88"
    assert approved.status_code == 303
    note = credit_row(sessions, note_id)
    assert (note.kind, note.number, note.status) == ("purchase", "VC-00001", "applied")
    bill = expense_row(sessions, bill_id)
    assert (bill.amount_credited, bill.status) == (150_00, "partially_paid")
    assert f'<a href="/vendor-credits/{note_id}">VC-00001</a>' in bill_after
    assert 'id="amount-open">$250.00<' in bill_after
    assert not_a_bill.status_code == 404


def test_the_review_queue_shows_an_apps_credit_drafts_to_approve_or_reject(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    invoice_id = approved_invoice(sessions, ui, "500.00")
    number = invoice_row(sessions, invoice_id).number
    bot = app_actor(ui.books.company_id, ui.owner.user_id)
    note_id = drafted_credit(
        sessions,
        ui,
        "120.00",
        actor=bot,
        allocations=[{"invoice_id": invoice_id, "amount": "120.00"}],
    )
    vendor_credit = drafted_credit(sessions, ui, "30.00", kind="purchase", actor=bot)
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        home = c.get("/").text
        queue = c.get("/review")
        approved = submit(c, "/review", f"/review/credit-notes/{note_id}/approve", {"version": "1"})
        after = c.get(approved.headers["location"])
        no_reason = submit(c, "/review", f"/review/vendor-credits/{vendor_credit}/reject", {})
        rejected = submit(
            c,
            "/review",
            f"/review/vendor-credits/{vendor_credit}/reject",
            {"reason": "Not agreed with Staples"},
        )
        edit = c.get(f"/review/credit-notes/{note_id}/edit")
    assert 'id="drafts-count">2<' in home
    text = _text(queue)
    card = text.split(f'id="credit-note-{note_id}"')[1].split("</article>")[0]
    assert f'href="/credit-notes/{note_id}">Credit note CN-00001<' in card
    assert "API credential app · Receipt Bot" in card and "Acme Corp" in card
    assert f"invoice {number}: 120.00 USD" in card
    assert "Returned" in card  # its lines
    assert f'action="/review/credit-notes/{note_id}/approve"' in card
    assert f'href="/review/credit-notes/{note_id}/edit"' in card
    vc_card = text.split(f'id="vendor-credit-{vendor_credit}"')[1].split("</article>")[0]
    assert "Vendor credit VC-00001" in vc_card and "Staples" in vc_card
    assert approved.status_code == 303
    assert "Credit note CN-00001 approved and posted." in _text(after)
    assert f'id="credit-note-{note_id}"' not in after.text
    assert credit_row(sessions, note_id).status == "applied"
    assert invoice_row(sessions, invoice_id).amount_credited == 120_00
    assert no_reason.status_code == 422
    assert f'id="error-vendor-credit-{vendor_credit}"' in no_reason.text
    assert rejected.status_code == 303
    vc = credit_row(sessions, vendor_credit)
    assert (vc.status, vc.rejected_reason) == ("rejected", "Not agreed with Staples")
    assert edit.status_code == 404  # decided: no longer a draft to edit
    with sessions() as s:
        assert s.scalars(select(CreditAllocation.status)).all() == ["applied"]


def test_a_draft_edited_from_the_queue_goes_back_to_the_queue(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    bot = app_actor(ui.books.company_id, ui.owner.user_id)
    note_id = drafted_credit(sessions, ui, "30.00", kind="purchase", actor=bot)
    path = f"/review/vendor-credits/{note_id}/edit"
    fields = credit_fields(
        ui.books.vendor.id, ("Damaged", "3", "12.50"), account_id=ui.acct("6500")
    )
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        saved = submit(c, path, path, {**fields, "version": "1"})
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/review?done=")
    note = credit_row(sessions, note_id)
    assert (note.status, note.total, note.source, note.version) == ("draft", 37_50, "api", 2)
