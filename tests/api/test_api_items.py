"""REST items: an app with ``accounts:read`` lists and reads items, and a CRM that sends only an
item and a quantity gets a line priced, booked and taxed from the item."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from newledger.ledger.items import create_item, update_item
from newledger.ledger.tax_rates import create_tax_rate
from tests.conftest import LiveServer
from tests.support.api import api_for
from tests.support.appconnect import server_key
from tests.support.books import make_books

__all__ = ["server_key"]


def test_items_are_read_with_accounts_read_and_fill_an_invoice_drafts_lines(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions)
    with sessions.begin() as session:
        actor = books.tenant.actor(session)
        rate = create_tax_rate(session, actor, name="State", rate="7.25")
        hosting = create_item(
            session,
            actor,
            code="HOST-M",
            name="Hosting, monthly",
            unit_price="49.99",
            income_account_id=books.acct("4100"),
            tax_rate_id=rate.id,
        )
        old = create_item(session, actor, code="OLD", name="Old plan")
        update_item(session, actor, old.id, {"is_active": False})
        hosting_id, old_id, rate_id = hosting.id, old.id, rate.id

    reader, _ = api_for(live_server.url, sessions, books, "accounts:read")
    listed = reader.get("/items")
    assert listed.status_code == 200
    assert [i["code"] for i in listed.json()["data"]] == ["HOST-M"]
    every = reader.get("/items", params={"include_archived": "true"}).json()["data"]
    assert {i["code"] for i in every} == {"HOST-M", "OLD"}
    one = reader.get(f"/items/{hosting_id}")
    assert one.status_code == 200 and one.headers["etag"]
    assert one.json()["unit_price"] == "49.99" and one.json()["tax_rate_id"] == rate_id
    assert reader.get("/items/999999").status_code == 404
    assert reader.get("/items", params={"colour": "red"}).status_code == 400
    reader.close()

    nobody, _ = api_for(live_server.url, sessions, books, "invoices:read")
    assert nobody.get("/items").status_code == 403
    nobody.close()

    crm, _ = api_for(live_server.url, sessions, books, "invoices:draft", "invoices:read")
    created = crm.post(
        "/invoices",
        json={
            "contact_id": books.customer_id,
            "issue_date": "2026-03-02",
            "lines": [{"item_id": hosting_id, "quantity": "3"}],
        },
        headers={"Idempotency-Key": "crm-order-7"},
    )
    assert created.status_code == 201, created.text
    [line] = created.json()["lines"]
    # 3 x 49.99 = 149.97; 149.97 x 7.25 % = 10.873 → 10.87.
    assert (line["description"], line["unit_price"], line["amount"]) == (
        "Hosting, monthly",
        "49.99",
        "149.97",
    )
    assert (line["account_id"], line["tax_rate_id"], line["tax_amount"], line["item_id"]) == (
        books.acct("4100"),
        rate_id,
        "10.87",
        hosting_id,
    )
    archived = crm.post(
        "/invoices",
        json={
            "contact_id": books.customer_id,
            "issue_date": "2026-03-02",
            "lines": [{"item_id": old_id, "unit_price": "1.00"}],
        },
        headers={"Idempotency-Key": "crm-order-8"},
    )
    assert archived.status_code == 422
    assert archived.headers["content-type"].startswith("application/problem+json")
    crm.close()


def test_a_crm_sends_its_product_code_on_invoice_and_bill_lines(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions)
    with sessions.begin() as session:
        actor = books.tenant.actor(session)
        plan = create_item(
            session,
            actor,
            code="PLAN-PRO",
            name="Pro plan",
            unit_price="99.00",
            income_account_id=books.acct("4100"),
            expense_account_id=books.acct("6500"),
        )
        create_item(session, actor, code="PLAN-TEAM", name="Team plan", unit_price="250")
        plan_id = plan.id

    crm, _ = api_for(
        live_server.url,
        sessions,
        books,
        "invoices:draft",
        "invoices:read",
        "expenses:draft",
        "accounts:read",
    )
    found = crm.get("/items", params={"q": "pro"}).json()["data"]
    assert [i["code"] for i in found] == ["PLAN-PRO"]
    invoice = {"contact_id": books.customer_id, "issue_date": "2026-03-02"}
    created = crm.post(
        "/invoices",
        json={**invoice, "lines": [{"item_code": "PLAN-PRO", "quantity": "2"}]},
        headers={"Idempotency-Key": "crm-code-1"},
    )
    assert created.status_code == 201, created.text
    [line] = created.json()["lines"]
    assert (line["item_id"], line["amount"], line["account_id"]) == (
        plan_id,
        "198.00",
        books.acct("4100"),
    )
    bill = crm.post(
        "/expenses",
        json={
            "kind": "bill",
            "contact_id": books.vendor.id,
            "date": "2026-03-02",
            "lines": [{"item_code": "PLAN-PRO", "item_id": plan_id}],
        },
        headers={"Idempotency-Key": "crm-code-2"},
    )
    assert bill.status_code == 201, bill.text
    assert bill.json()["lines"][0]["account_id"] == books.acct("6500")

    unknown = crm.post(
        "/invoices",
        json={**invoice, "lines": [{"item_code": "PLAN-PRO"}, {"item_code": "PLAN-GOLD"}]},
        headers={"Idempotency-Key": "crm-code-3"},
    )
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["code"] == "unknown_item"
    assert unknown.json()["errors"] == {"lines[1].item_code": "unknown item code"}
    both = crm.post(
        "/invoices",
        json={**invoice, "lines": [{"item_code": "PLAN-TEAM", "item_id": plan_id}]},
        headers={"Idempotency-Key": "crm-code-4"},
    )
    assert both.status_code == 422
    assert list(both.json()["errors"]) == ["lines[0].item_code"]
    empty = crm.post(
        "/invoices",
        json={**invoice, "lines": [{"item_code": ""}]},
        headers={"Idempotency-Key": "crm-code-5"},
    )
    assert empty.status_code == 422 and "lines.0.item_code" in str(empty.json()["errors"])
    crm.close()
