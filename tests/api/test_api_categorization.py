"""Categorization hints over REST API v1: advice from approved history, abstaining when unsure."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from newledger.ledger.chart import account_by_code
from newledger.ledger.contacts import create_contact
from newledger.ledger.expenses import approve_expense, create_draft_expense
from tests.conftest import LiveServer
from tests.support.api import api_for
from tests.support.appconnect import server_key
from tests.support.books import make_books

__all__ = ["server_key"]


def test_a_vendor_with_consistent_history_gets_a_confident_hint(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=0)
    with sessions.begin() as session:
        actor = books.tenant.actor(session)
        staples = create_contact(session, actor, name="Staples", kind="vendor")
        office = account_by_code(session, books.company_id, "6500")
        for i in range(6):
            expense = create_draft_expense(
                session,
                actor,
                date=dt.date(2025, 1, 1) + dt.timedelta(days=7 * i),
                contact_id=staples.id,
                lines=[
                    {"description": "Printer paper", "amount": "24.99", "account_id": office.id}
                ],
            )
            approve_expense(session, actor, expense.id)
        vendor_id, office_id = staples.id, office.id
    api, _ = api_for(live_server.url, sessions, books, "expenses:read")
    hint = api.post(
        "/categorization/suggestions",
        json={"description": "Toner cartridges", "contact_id": vendor_id, "amount": "80.00"},
    )
    assert hint.status_code == 200, hint.text
    body = hint.json()
    assert body["abstained"] is False
    assert body["account_id"] == office_id
    assert body["account_code"] == "6500"
    assert 0.6 <= body["confidence"] <= 1
    assert "Staples" in body["evidence"]
    unknown = api.post(
        "/categorization/suggestions", json={"description": "Quarterly zebra grooming"}
    ).json()
    assert unknown["abstained"] is True
    assert unknown["account_id"] is None


def test_a_hint_needs_expenses_read(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=0)
    api, _ = api_for(live_server.url, sessions, books, "invoices:read")
    response = api.post("/categorization/suggestions", json={"description": "Paper"})
    assert response.status_code == 403
    assert response.json()["required"] == ["expenses:read"]
