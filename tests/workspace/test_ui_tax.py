"""Tax in the UI over real HTTP: the draft form offers the active rates of the document's side
and the tax mode; a taxed invoice drafted in the form and approved on its page shows its
subtotal, tax and each line's tax, and the Sales tax report counts it."""

from __future__ import annotations

import html
import re

from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger.tax_rates import create_tax_rate, update_tax_rate
from tests.conftest import LiveServer
from tests.support.books_ui import (
    TODAY,
    created_id,
    invoice_fields,
    invoice_row,
    make_ui_books,
    submit,
)
from tests.support.report_pages import page_figures
from tests.support.workspace import client, sign_in


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return [html.unescape(o) for o in re.findall(r">([^<]*)</option>", select.group(1))]


def test_a_taxed_invoice_from_the_form_shows_its_tax_and_reaches_the_sales_tax_report(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    ui = make_ui_books(sessions)
    with sessions.begin() as s:
        owner = s.get(User, ui.owner.user_id)
        assert owner is not None
        me = user_actor(s, owner, ui.books.company_id)
        state = create_tax_rate(s, me, name="State tax", rate="7.25").id
        create_tax_rate(s, me, name="VAT", rate="20", kind="purchase")
        old = create_tax_rate(s, me, name="Old tax", rate="5")
        update_tax_rate(s, me, old.id, {"is_active": False})
    fields = invoice_fields(
        ui.books.customer_id, ("Design", "2", "100.00"), ("Hosting", "1", "50.00")
    )
    fields |= {"tax_mode": "exclusive", "lines-0-tax_rate_id": str(state)}
    with client(live_server.url) as c:
        sign_in(c, ui.owner)
        form = c.get("/invoices/new").text
        # Sales rates only, active only; an expense offers the purchase rate.
        assert _options(form, "lines-0-tax_rate_id") == ["No tax", "State tax (7.25%)"]
        assert _options(form, "tax_mode")[0].startswith("Tax exclusive")
        assert _options(c.get("/expenses/new").text, "lines-0-tax_rate_id") == [
            "No tax",
            "VAT (20%)",
        ]
        saved = submit(c, "/invoices/new", "/invoices/new", fields)
        invoice_id = created_id(saved)
        drafted = invoice_row(sessions, invoice_id)
        # 200.00 x 7.25 % = 14.50 on the first line; the second is not taxed.
        assert (drafted.subtotal, drafted.tax_total, drafted.total) == (250_00, 14_50, 264_50)
        assert [line.tax_amount for line in drafted.lines] == [14_50, 0]
        # The edit form shows the rate chosen.
        edit = c.get(f"/invoices/{invoice_id}/edit").text
        assert re.search(rf'<option value="{state}" selected>State tax', edit)

        page = f"/invoices/{invoice_id}"
        approved = submit(c, page, f"{page}/approve", {"version": str(drafted.version)})
        assert approved.status_code == 303, approved.text
        shown = html.unescape(c.get(page).text)
        assert re.search(r'id="invoice-subtotal">\$250\.00<', shown)
        assert re.search(r'id="invoice-tax">\$14\.50 ', shown)
        assert re.search(r'id="invoice-total">\$264\.50<', shown)
        assert re.findall(r'class="num line-tax">([^<]*)<', shown) == ["$14.50", "$0.00"]
        assert "State tax (7.25%)" in shown

        day = TODAY.isoformat()
        report = c.get("/reports/sales-tax", params={"from": day, "to": day})
        assert report.status_code == 200
        figures = {key: text for key, text, _link in page_figures(report.text)}
        assert figures[f"rate-{state}/sales_net"] == "200.00"
        assert figures[f"rate-{state}/sales_tax"] == "14.50"
        assert figures["total/net_owed"] == "14.50"
        assert figures["tie-movement/net_owed"] == "14.50"
        assert 'id="report-balanced">ties out<' in report.text
    assert invoice_row(sessions, invoice_id).status == "approved"
