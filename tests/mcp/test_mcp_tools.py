"""The official MCP Python SDK client, in both protocol eras, against a running NewLedger."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger.chart import account_by_code
from newledger.ledger.items import create_item
from newledger.ledger.models import Invoice, Item
from newledger.ledger.review import list_drafts_awaiting_review
from tests.conftest import LiveServer
from tests.support.mcp import (
    AS_OF,
    ERAS,
    EVERY_READ,
    Demo,
    demo_app,
    mcp_client,
    mcp_token,
    mcp_url,
)

READS = EVERY_READ.split()
EXPECTED_TOOLS = {
    "company_info",
    "cash_position",
    "ar_aging",
    "ap_aging",
    "profit_and_loss",
    "balance_sheet",
    "expenses_by_category",
    "sales_tax_owed",
    "search_invoices",
    "get_invoice",
    "list_expenses",
    "list_credit_notes",
    "search_contacts",
    "list_items",
    "uncategorized_bank_transactions",
    "suggest_category",
    "create_invoice_draft",
    "create_expense_draft",
    "draft_payment",
    "draft_categorization",
    "draft_credit_note",
    "draft_vendor_credit",
    "create_contact",
}


def _call(url: str, token: str, era: str, name: str, args: dict[str, Any]) -> Any:
    async def go() -> Any:
        async with mcp_client(url, token, era) as client:
            return await client.call_tool(name, args)

    return anyio.run(go)


def _rest(base: str, token: str, path: str) -> Any:
    response = httpx.get(f"{base}/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("era", ERAS)
def test_tools_are_listed_with_schemas_and_annotations(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, *READS)
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)

    async def go() -> Any:
        async with mcp_client(url, token, era) as client:
            return await client.list_tools()

    tools = {t.name: t for t in anyio.run(go).tools}
    assert set(tools) == EXPECTED_TOOLS
    for tool in tools.values():
        assert tool.description and tool.output_schema and tool.annotations
        assert tool.annotations.read_only_hint is not None
        assert tool.annotations.open_world_hint is False
    assert tools["create_invoice_draft"].annotations.read_only_hint is False
    assert "idempotency_key" in tools["create_invoice_draft"].input_schema["required"]
    period = tools["profit_and_loss"].input_schema["properties"]["period"]
    assert "quarter_to_date" in str(period)
    assert "date" in str(tools["balance_sheet"].input_schema["properties"]["as_of"])


@pytest.mark.parametrize("era", ERAS)
def test_every_read_tool_agrees_with_the_rest_report(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, *READS)
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    rest = mcp_token(live_server.url, cred, f"{live_server.url}/api/v1")
    day = AS_OF.isoformat()
    start = AS_OF.replace(month=1, day=1).isoformat()
    pairs: list[tuple[str, dict[str, Any], str]] = [
        (
            "cash_position",
            {"start": start, "end": day},
            f"/reports/cash-position?from={start}&to={day}",
        ),
        ("ar_aging", {"as_of": day}, f"/reports/ar-aging?as_of={day}"),
        ("ap_aging", {"as_of": day}, f"/reports/ap-aging?as_of={day}"),
        ("balance_sheet", {"as_of": day}, f"/reports/balance-sheet?as_of={day}"),
        (
            "profit_and_loss",
            {"start": start, "end": day, "compare": 1},
            f"/reports/profit-and-loss?from={start}&to={day}&compare=1",
        ),
        (
            "expenses_by_category",
            {"start": start, "end": day},
            f"/reports/expenses-by-category?from={start}&to={day}",
        ),
        (
            "sales_tax_owed",
            {"start": start, "end": day},
            f"/reports/sales-tax?from={start}&to={day}",
        ),
    ]
    for name, args, path in pairs:
        result = _call(url, token, era, name, args)
        assert not result.is_error, result.content
        report = _rest(live_server.url, rest, path)
        mcp = {k: v for k, v in result.structured_content.items() if k not in ("url", "late")}
        assert mcp == report, name
        assert result.content[0].text
    aging = _call(url, token, era, "ar_aging", {"as_of": day}).structured_content
    late = {row["contact_id"] for row in aging["late"]}
    overdue = {c["contact_id"] for c in aging["contacts"] if c["total"] != c["current"]}
    assert late == overdue
    # The demo charges and pays tax: the tool's answer is a real one, and it ties out.
    owed = _call(url, token, era, "sales_tax_owed", {"start": start, "end": day})
    assert owed.structured_content["ties_out"] is True
    assert owed.structured_content["totals"]["sales_tax"] != "0.00"
    assert owed.structured_content["totals"]["net_owed"] in owed.content[0].text

    company = _call(url, token, era, "company_info", {})
    assert company.structured_content["slug"] == demo.slug
    assert company.structured_content["home_currency"] == "USD"

    invoices = _call(url, token, era, "search_invoices", {"limit": 5})
    page = invoices.structured_content
    assert len(page["invoices"]) == 5 and page["next_cursor"]
    listed = _rest(live_server.url, rest, "/invoices?limit=200")
    assert page["total"] >= len(listed["data"])
    first = page["invoices"][0]
    assert first["url"].endswith(f"/invoices/{first['id']}")
    one = _call(url, token, era, "get_invoice", {"invoice_id": first["id"]}).structured_content
    detail = _rest(live_server.url, rest, f"/invoices/{first['id']}")
    assert (one["total"], one["amount_paid"], one["currency"]) == (
        detail["total"],
        detail["amount_paid"],
        detail["currency"],
    )
    assert isinstance(one["payments"], list)

    more = _call(url, token, era, "search_invoices", {"limit": 5, "cursor": page["next_cursor"]})
    assert {i["id"] for i in more.structured_content["invoices"]}.isdisjoint(
        {i["id"] for i in page["invoices"]}
    )
    expenses = _call(url, token, era, "list_expenses", {"kind": "bill", "limit": 3})
    assert all(e["kind"] == "bill" for e in expenses.structured_content["expenses"])
    contacts = _call(url, token, era, "search_contacts", {"search": "a", "limit": 3})
    assert contacts.structured_content["total"] >= len(contacts.structured_content["contacts"])
    bank = _call(url, token, era, "uncategorized_bank_transactions", {"limit": 3})
    assert all(t["status"] == "uncategorized" for t in bank.structured_content["transactions"])
    hint = _call(url, token, era, "suggest_category", {"description": "Adobe Creative Cloud"})
    assert not hint.is_error and "evidence" in hint.structured_content

    wrong = _call(url, token, era, "get_invoice", {"invoice_id": 999999})
    assert wrong.is_error and "id" in wrong.content[0].text


@pytest.mark.parametrize("era", ERAS)
def test_a_draft_lands_in_the_review_queue_once_per_idempotency_key(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, "invoices:draft", "contacts:read", name=f"Claude {era}")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    contacts = _call(url, token, era, "search_contacts", {"kind": "customer", "limit": 1})
    customer = contacts.structured_content["contacts"][0]["id"]
    args = {
        "idempotency_key": f"draft-{era}",
        "contact_id": customer,
        "lines": [{"description": "Consulting", "quantity": "12", "unit_price": "150.00"}],
    }
    first = _call(url, token, era, "create_invoice_draft", args)
    again = _call(url, token, era, "create_invoice_draft", args)
    assert not first.is_error, first.content
    made = first.structured_content
    assert made["total"] == "1800.00" and made["status"] == "draft"
    assert made["replayed"] is False and again.structured_content["replayed"] is True
    assert again.structured_content["id"] == made["id"]

    with books() as session:
        assert session.scalar(select(Invoice).where(Invoice.id == made["id"])) is not None
        owner = session.get(User, demo.owner_id)
        assert owner is not None
        queue = list_drafts_awaiting_review(session, user_actor(session, owner, demo.company_id))
        mine = [d for d in queue if d.type == "invoice" and d.id == made["id"]]
        assert len(mine) == 1 and mine[0].source_label == f"Claude {era}"
        drafted = session.scalars(
            select(Activity).where(
                Activity.event == "ledger:invoice:drafted", Activity.subject_id == made["id"]
            )
        ).all()
        assert len(drafted) == 1 and drafted[0].actor_label == f"Claude {era}"

    other = _call(url, token, era, "create_invoice_draft", {**args, "memo": "changed"})
    assert other.is_error and "idempotency_key" in other.content[0].text


@pytest.mark.parametrize("era", ERAS)
def test_a_read_only_grant_is_asked_to_step_up_when_it_drafts(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    cred = demo_app(books, demo, *READS)
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    args = {
        "idempotency_key": "k",
        "contact_id": 1,
        "lines": [{"unit_price": "1.00"}],
    }
    from tests.support.mcp import rpc

    response = rpc(
        url, token, "tools/call", {"name": "create_invoice_draft", "arguments": args}, era=era
    )
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="invoices:draft"' in challenge
    assert f"/.well-known/oauth-protected-resource/mcp/{demo.slug}" in challenge


def _demo_items(books: sessionmaker[Session], demo: Demo) -> dict[str, int]:
    """Three items in the demo company (made once: the demo books stay between tests)."""
    wanted = {
        "DESIGN-H": ("Design, per hour", "95.00", "4100", None),
        "DESIGN-D": ("Design, per day", "700", "4100", None),
        "STOCK-IMG": ("Stock image licence", "19.99", None, "6500"),
    }
    with books.begin() as session:
        have = {
            item.code: item.id
            for item in session.scalars(select(Item).where(Item.company_id == demo.company_id))
        }
        owner = session.get(User, demo.owner_id)
        assert owner is not None
        me = user_actor(session, owner, demo.company_id)

        def account(code: str | None) -> int | None:
            return None if code is None else account_by_code(session, demo.company_id, code).id

        for code, (name, price, income, expense) in wanted.items():
            if code not in have:
                have[code] = create_item(
                    session,
                    me,
                    code=code,
                    name=name,
                    unit_price=price,
                    income_account_id=account(income),
                    expense_account_id=account(expense),
                ).id
        return have


@pytest.mark.parametrize("era", ERAS)
def test_items_are_listed_and_a_draft_line_names_one_by_its_code(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo, era: str
) -> None:
    ids = _demo_items(books, demo)
    cred = demo_app(
        books,
        demo,
        "accounts:read",
        "contacts:read",
        "invoices:draft",
        "expenses:draft",
        name=f"Shop {era}",
    )
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)

    first = _call(url, token, era, "list_items", {"search": "design", "limit": 1})
    assert not first.is_error, first.content
    page = first.structured_content
    assert page["total"] == 2 and page["next_cursor"]
    assert [i["code"] for i in page["items"]] == ["DESIGN-D"]
    assert page["items"][0]["unit_price"] == "700" and page["url"].endswith("/settings/items")
    assert "2 item(s) match." in first.content[0].text and "DESIGN-D" in first.content[0].text
    rest = _call(url, token, era, "list_items", {"search": "design", "cursor": page["next_cursor"]})
    assert [i["code"] for i in rest.structured_content["items"]] == ["DESIGN-H"]
    assert rest.structured_content["next_cursor"] is None

    customer = _call(url, token, era, "search_contacts", {"kind": "customer", "limit": 1})
    contact_id = customer.structured_content["contacts"][0]["id"]
    invoice = _call(
        url,
        token,
        era,
        "create_invoice_draft",
        {
            "idempotency_key": f"items-{era}",
            "contact_id": contact_id,
            "lines": [
                {"item_code": "DESIGN-H", "quantity": "3"},
                {"item_id": ids["DESIGN-D"], "description": "Workshop day"},
            ],
        },
    )
    assert not invoice.is_error, invoice.content
    made = invoice.structured_content
    assert [(line["item_id"], line["amount"]) for line in made["lines"]] == [
        (ids["DESIGN-H"], "285.00"),
        (ids["DESIGN-D"], "700.00"),
    ]
    assert made["lines"][0]["description"] == "Design, per hour"
    assert made["lines"][1]["description"] == "Workshop day"
    expense = _call(
        url,
        token,
        era,
        "create_expense_draft",
        {"idempotency_key": f"items-exp-{era}", "lines": [{"item_code": "STOCK-IMG"}]},
    )
    assert not expense.is_error, expense.content
    [line] = expense.structured_content["lines"]
    assert (line["item_id"], line["amount"]) == (ids["STOCK-IMG"], "19.99")

    unknown = _call(
        url,
        token,
        era,
        "create_invoice_draft",
        {
            "idempotency_key": f"items-bad-{era}",
            "contact_id": contact_id,
            "lines": [{"item_code": "NO-SUCH"}],
        },
    )
    assert unknown.is_error and "lines[0].item_code" in unknown.content[0].text
    with books() as session:
        drafts = session.scalars(select(Invoice).where(Invoice.source_label == f"Shop {era}"))
        assert [i.id for i in drafts] == [made["id"]]


def test_listing_items_needs_accounts_read(
    live_server: LiveServer, books: sessionmaker[Session], demo: Demo
) -> None:
    from tests.support.mcp import rpc

    cred = demo_app(books, demo, "invoices:read")
    url = mcp_url(live_server.url, demo.slug)
    token = mcp_token(live_server.url, cred, url)
    response = rpc(url, token, "tools/call", {"name": "list_items", "arguments": {}})
    assert response.status_code == 403
    assert 'scope="accounts:read"' in response.headers["www-authenticate"]
