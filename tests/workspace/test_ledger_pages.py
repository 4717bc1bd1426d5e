"""The ledger pages over real HTTP: lists, filters and details, the draft review queue
(approve, edit, reject with a reason), reports, and who may do what."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.apps import create_app, revoke_app
from newledger.audit.models import Activity
from newledger.audit.tags import Event
from newledger.identity.models import Company, User
from newledger.identity.services import user_actor
from newledger.ledger.chart import create_standard_chart
from newledger.ledger.contacts import create_contact
from newledger.ledger.invoices import approve_invoice, create_draft_invoice
from newledger.ledger.models import BankAccount
from newledger.ledger.payments import record_payment
from tests.conftest import LiveServer
from tests.support.api import invoice_body
from tests.support.appconnect import Tenant, make_app, token_for
from tests.support.ledger_pages import TODAY, expense, invoice, make_page_books
from tests.support.workspace import client, csrf, make_person, sign_in

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def assert_csp_clean(html: str) -> None:
    """Nothing the strict CSP would block: no inline script, style element or style attribute."""
    assert not _INLINE_SCRIPT.search(html)
    assert "<style" not in html.lower()
    assert not re.search(r"\sstyle=", html, re.IGNORECASE)


def amount(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', html)
    assert match, f"no #{element_id} on the page"
    return match.group(1).strip()


def test_every_ledger_page_renders_for_the_owner_without_inline_script_or_style(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        for path in (
            "/",
            "/invoices",
            f"/invoices/{books.app_invoice_id}",
            "/expenses",
            f"/expenses/{books.expense_id}",
            "/contacts",
            f"/contacts/{books.customer_id}",
            "/review",
            f"/review/invoices/{books.app_invoice_id}/edit",
            f"/review/expenses/{books.expense_id}/edit",
            "/reports",
            "/reports/profit-and-loss",
            "/reports/balance-sheet",
            "/reports/trial-balance",
            "/reports/cash-position",
            "/reports/ar-aging",
            "/reports/ap-aging",
            "/reports/expenses-by-category",
            f"/reports/accounts/{books.income_account_id}",
        ):
            response = c.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            assert_csp_clean(response.text)
        dashboard = c.get("/").text
        assert amount(dashboard, "drafts-count") == "3"
        assert amount(dashboard, "apps-count") == "0"
        for chart in ("chart-cash", "chart-aging", "chart-expenses"):
            assert f'aria-labelledby="{chart}-title {chart}-desc"' in dashboard


def test_the_review_queue_shows_where_each_draft_came_from(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        queue = c.get("/review").text
        app_card = queue[queue.index(f'id="invoice-{books.app_invoice_id}"') :]
        assert "API credential app · Receipt Bot" in app_card[: app_card.index("</article>")]
        ui_card = queue[queue.index(f'id="invoice-{books.ui_invoice_id}"') :]
        assert "NewLedger UI · owner@example.com" in ui_card[: ui_card.index("</article>")]
        only_api = c.get("/review", params={"source": "api"}).text
        assert f'id="invoice-{books.app_invoice_id}"' in only_api
        assert f'id="invoice-{books.ui_invoice_id}"' not in only_api


def test_a_viewer_reads_the_lists_but_cannot_approve_edit_or_reject(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.viewer)
        for path in ("/invoices", "/expenses", "/contacts", "/reports", "/review"):
            assert c.get(path).status_code == 200, path
        queue = c.get("/review").text
        assert f'id="invoice-{books.app_invoice_id}"' in queue  # viewers may look
        assert "Approve" not in queue and "/approve" not in queue and "/reject" not in queue
        dashboard = c.get("/").text
        assert ">Review</a>" in dashboard  # the queue they may read is in the menu
        assert 'href="/settings/appconnect"' not in dashboard
        token = csrf(queue)
        approve = c.post(
            f"/review/invoices/{books.app_invoice_id}/approve",
            data={"csrf_token": token, "version": "1"},
        )
        assert approve.status_code == 403
        assert "ledger:post" in approve.text
        reject = c.post(
            f"/review/invoices/{books.app_invoice_id}/reject",
            data={"csrf_token": token, "reason": "nope"},
        )
        assert reject.status_code == 403
        assert c.get(f"/review/invoices/{books.app_invoice_id}/edit").status_code == 403
        edit = c.post(
            f"/review/expenses/{books.expense_id}/edit",
            data={"csrf_token": token, "version": "1", "date": TODAY.isoformat()},
        )
        assert edit.status_code == 403
    assert invoice(sessions, books.app_invoice_id).status == "draft"
    assert expense(sessions, books.expense_id).status == "draft"


def test_approving_without_the_csrf_token_is_refused(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        response = c.post(f"/review/invoices/{books.app_invoice_id}/approve", data={})
        assert response.status_code == 403
    assert invoice(sessions, books.app_invoice_id).status == "draft"


def test_rejecting_needs_a_reason_and_keeps_it_for_whoever_drafted_it(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        token = csrf(c.get("/review").text)
        path = f"/review/invoices/{books.app_invoice_id}/reject"
        blank = c.post(path, data={"csrf_token": token, "reason": "   "})
        assert blank.status_code == 422
        assert f'id="error-invoice-{books.app_invoice_id}"' in blank.text
        assert "Say why the draft is rejected" in blank.text
        assert invoice(sessions, books.app_invoice_id).status == "draft"

        done = c.post(path, data={"csrf_token": token, "reason": "Wrong customer, bill Globex"})
        assert done.status_code == 303
        assert done.headers["location"].startswith("/review?done=")
        queue = c.get(done.headers["location"]).text
        assert "rejected" in amount(queue, "review-done")
        assert f'id="invoice-{books.app_invoice_id}"' not in queue
        detail = c.get(f"/invoices/{books.app_invoice_id}").text
        assert amount(detail, "rejected-reason") == "Wrong customer, bill Globex"
        # Deciding twice is a clear conflict, not a crash.
        again = c.post(path, data={"csrf_token": token, "reason": "again"})
        assert again.status_code == 409
    rejected = invoice(sessions, books.app_invoice_id)
    assert (rejected.status, rejected.rejected_reason) == (
        "rejected",
        "Wrong customer, bill Globex",
    )
    with sessions() as s:
        row = s.scalar(select(Activity).where(Activity.event == Event.INVOICE_REJECTED))
        assert row is not None and row.actor_label == "owner@example.com"
        assert row.details["reason"] == "Wrong customer, bill Globex"


def test_approving_from_the_queue_posts_and_the_balance_sheet_moves(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        before = amount(c.get("/reports/balance-sheet").text, "bs-total-assets")
        token = csrf(c.get("/review").text)
        stale = c.post(
            f"/review/invoices/{books.app_invoice_id}/approve",
            data={"csrf_token": token, "version": "99"},
        )
        assert stale.status_code == 409  # the draft changed since the page was loaded
        ok = c.post(
            f"/review/invoices/{books.app_invoice_id}/approve",
            data={"csrf_token": token, "version": "1"},
        )
        assert ok.status_code == 303
        after = amount(c.get("/reports/balance-sheet").text, "bs-total-assets")
        expense_ok = c.post(
            f"/review/expenses/{books.expense_id}/approve",
            data={"csrf_token": token, "version": "1"},
        )
        assert expense_ok.status_code == 303
        assert amount(c.get("/").text, "drafts-count") == "1"
    assert (before, after) == ("$0.00", "$1,200.00")
    approved = invoice(sessions, books.app_invoice_id)
    assert approved.status == "approved" and approved.journal_entry_id is not None
    assert expense(sessions, books.expense_id).status == "paid"


def test_editing_a_draft_from_the_queue_replaces_its_lines_and_keeps_it_a_draft(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    path = f"/review/invoices/{books.app_invoice_id}/edit"
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        page = c.get(path).text
        assert 'name="lines-0-unit_price" type="text" inputmode="decimal" value="400.00"' in page
        form = {
            "csrf_token": csrf(page),
            "version": "1",
            "contact_id": str(books.other_customer_id),
            "issue_date": TODAY.isoformat(),
            "due_date": TODAY.isoformat(),
            "memo": "Re-billed",
            "lines-0-description": "Consulting",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "400.00",
            "lines-0-account_id": str(books.income_account_id),
            "lines-1-description": "",  # a spare row left empty is dropped
            "lines-1-quantity": "",
            "lines-1-unit_price": "",
            "lines-1-account_id": "",
            "lines-2-description": "Travel",
            "lines-2-quantity": "1",
            "lines-2-unit_price": "55.50",
            "lines-2-account_id": "",
        }
        bad = c.post(path, data={**form, "lines-2-unit_price": "12.345"})
        assert bad.status_code == 422
        assert 'id="error-lines-1-unit_price"' in bad.text  # the re-numbered row
        assert 'value="12.345"' in bad.text  # what was typed is kept
        saved = c.post(path, data=form)
        assert saved.status_code == 303, saved.text[:500]
        stale = c.post(path, data=form)  # still version 1: someone saved in between
        assert stale.status_code == 409
        assert "changed since you loaded it" in stale.text
    edited = invoice(sessions, books.app_invoice_id)
    assert (edited.status, edited.total, edited.version) == ("draft", 855_50, 2)
    assert (edited.contact_id, edited.memo) == (books.other_customer_id, "Re-billed")


def test_editing_an_expense_draft_through_the_form(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    path = f"/review/expenses/{books.expense_id}/edit"
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        page = c.get(path).text
        saved = c.post(
            path,
            data={
                "csrf_token": csrf(page),
                "version": "1",
                "kind": "bill",
                "contact_id": str(books.vendor_id),
                "date": TODAY.isoformat(),
                "due_date": "",
                "description": "Paper and toner",
                "lines-0-description": "Paper",
                "lines-0-amount": "42.50",
                "lines-0-account_id": str(books.expense_account_id),
                "lines-1-description": "Toner",
                "lines-1-amount": "80.00",
                "lines-1-account_id": str(books.expense_account_id),
            },
        )
        assert saved.status_code == 303, saved.text[:800]
    edited = expense(sessions, books.expense_id)
    assert (edited.kind, edited.status, edited.total) == ("bill", "draft", 122_50)
    assert edited.due_date is not None  # the vendor's terms fill it in


def test_lists_filter_by_status_contact_and_date_range(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    recent, older = f'id="invoice-{books.app_invoice_id}"', f'id="invoice-{books.ui_invoice_id}"'
    with client(live_server.url) as c:
        sign_in(c, books.owner)

        def invoices(**params: str) -> str:
            response = c.get("/invoices", params=params)
            assert response.status_code == 200
            return response.text

        everything = invoices()
        assert recent in everything and older in everything
        by_contact = invoices(contact_id=str(books.other_customer_id))
        assert older in by_contact and recent not in by_contact
        since = invoices(**{"from": TODAY.isoformat()})
        assert recent in since and older not in since
        assert recent not in invoices(status="approved")
        bad = c.get("/invoices", params={"from": "yesterday", "status": "lost"})
        assert bad.status_code == 422
        assert "Use a date like" in bad.text

        expenses = c.get("/expenses", params={"kind": "expense", "status": "draft"}).text
        assert f'id="expense-{books.expense_id}"' in expenses
        assert (
            f'id="expense-{books.expense_id}"'
            not in c.get("/expenses", params={"kind": "bill"}).text
        )
        contacts = c.get("/contacts", params={"q": "glob"}).text
        assert f'id="contact-{books.other_customer_id}"' in contacts
        assert f'id="contact-{books.customer_id}"' not in contacts


def test_another_companys_documents_are_not_found(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    other = make_page_books_in_other_company(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        token = csrf(c.get("/review").text)
        assert c.get(f"/invoices/{other}").status_code == 404
        approve = c.post(
            f"/review/invoices/{other}/approve", data={"csrf_token": token, "version": "1"}
        )
        assert approve.status_code == 404


def make_page_books_in_other_company(sessions: sessionmaker[Session]) -> int:
    person = make_person(sessions, "rival@example.com", company="rival")
    with sessions() as s:
        company = s.get(Company, person.company_id)
        user = s.get(User, person.user_id)
        assert company is not None and user is not None
        create_standard_chart(s, company)
        me = user_actor(s, user, company.id)
        customer = create_contact(s, me, kind="customer", name="Initech")
        draft = create_draft_invoice(
            s,
            me,
            contact_id=customer.id,
            issue_date=TODAY,
            lines=[{"description": "x", "unit_price": "1.00"}],
        )
        s.commit()
        return draft.id


def test_signed_out_visitors_are_sent_to_sign_in(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as c:
        for path in ("/", "/invoices", "/review", "/reports"):
            response = c.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/signin?next=")


def test_an_invoice_page_lists_only_its_own_payments_and_the_dashboard_counts_active_apps(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with sessions() as s:
        owner = s.get(User, books.owner.user_id)
        assert owner is not None
        me = user_actor(s, owner, books.company_id)
        checking = s.scalars(select(BankAccount).order_by(BankAccount.id)).first()
        assert checking is not None
        for invoice_id in (books.app_invoice_id, books.ui_invoice_id):
            approve_invoice(s, me, invoice_id)
        record_payment(
            s,
            me,
            amount="500.00",
            date=TODAY,
            bank_account_id=checking.id,
            invoice_id=books.app_invoice_id,
            reference="wire-1",
        )
        record_payment(
            s,
            me,
            amount="100.00",
            date=TODAY,
            bank_account_id=checking.id,
            invoice_id=books.ui_invoice_id,
            reference="wire-2",
        )
        create_app(s, me, name="Zapier", permissions=["invoices:read"])
        revoked, _secret = create_app(s, me, name="Old script", permissions=["invoices:read"])
        revoke_app(s, me, revoked.client_id)
        s.commit()
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        detail = c.get(f"/invoices/{books.app_invoice_id}").text
        assert "wire-1" in detail and "wire-2" not in detail
        assert "partially paid" in detail
        dashboard = c.get("/").text
        assert amount(dashboard, "apps-count") == "1"
        assert amount(dashboard, "drafts-count") == "1"
        assert amount(dashboard, "ar-total") == "$700.00"
        # Headline figures, formatted for the company's locale (en_US): cash is both payments.
        assert amount(dashboard, "cash-total") == "$600.00"
        assert amount(dashboard, "overdue-receivables") == "$0.00"
        assert amount(dashboard, "payables-due") == "$0.00"
    with sessions() as s:
        s.execute(update(Company).where(Company.id == books.company_id).values(locale="de_DE"))
        s.commit()
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        assert amount(c.get("/").text, "cash-total") == "600,00\u00a0$"


def test_someone_in_no_company_gets_a_dashboard_that_says_so(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    loner = make_person(sessions, "loner@example.com", role=None)
    with client(live_server.url) as c:
        sign_in(c, loner)
        page = c.get("/")
        assert page.status_code == 200
        assert "not a member of any company" in page.text
        assert c.get("/invoices").status_code == 403


def test_an_approval_in_the_browser_is_logged_via_web_and_the_log_names_the_drafting_app(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with sessions() as s:
        company = s.get(Company, books.company_id)
        owner = s.get(User, books.owner.user_id)
        assert company is not None and owner is not None
        tenant = Tenant(company, owner, owner)
    cred = make_app(sessions, tenant, "invoices:draft", name="Receipt Bot")
    token = token_for(live_server.url, cred)
    drafted = httpx.post(
        f"{live_server.url}/api/v1/invoices",
        json=invoice_body(books.customer_id),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "activity-source-1"},
    )
    assert drafted.status_code == 201
    invoice_id = drafted.json()["id"]
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        approved = c.post(
            f"/review/invoices/{invoice_id}/approve",
            data={"csrf_token": csrf(c.get("/review").text), "version": "1"},
        )
        assert approved.status_code == 303
        page = c.get("/activity").text
    with sessions() as s:
        rows = {
            row.event: row
            for row in s.scalars(select(Activity).where(Activity.subject_id == invoice_id))
            if row.subject_type == "invoice"
        }
    draft_row, approval_row = rows[Event.INVOICE_DRAFTED], rows[Event.INVOICE_APPROVED]
    assert (draft_row.actor_type, draft_row.source) == ("app", "api")
    assert (approval_row.actor_type, approval_row.source) == ("user", "web")
    assert approval_row.details["draft_source"] == "api"
    assert "(user, via web)" in page and "(app, via api)" in page
    assert f'<a href="/settings/appconnect/apps/{cred.client_id}">Receipt Bot</a>' in page


def test_an_approved_invoice_past_its_due_date_is_flagged_overdue_and_counted(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)  # the UI invoice was issued 40 days ago on 30-day terms
    with sessions() as s:
        owner = s.get(User, books.owner.user_id)
        assert owner is not None
        approve_invoice(s, user_actor(s, owner, books.company_id), books.ui_invoice_id)
        s.commit()
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        listing = c.get("/invoices").text
        row = re.search(
            rf'<tr[^>]*>(?:(?!</tr>).)*?/invoices/{books.ui_invoice_id}".*?</tr>', listing, re.S
        )
        assert row and 'class="status status-overdue"' in row.group(0)
        assert "overdue 10 d" in row.group(0)
        detail = c.get(f"/invoices/{books.ui_invoice_id}").text
        assert "status-overdue" in detail
        assert "status-overdue" not in c.get(f"/invoices/{books.app_invoice_id}").text  # a draft
        assert amount(c.get("/").text, "overdue-receivables") == "$100.00"
