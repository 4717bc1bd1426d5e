"""The Alembic migrations and the SQLAlchemy models describe the same schema."""

import datetime as dt

from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from newledger.ledger.invoices import approve_invoice, create_draft_invoice
from newledger.ledger.payments import record_payment
from newledger.migrate import downgrade, pending_model_changes, upgrade
from tests.support.books import make_books


def test_migrated_database_matches_the_models(engine: Engine) -> None:
    assert pending_model_changes(engine) == []


def _counts(engine: Engine, tables: list[str]) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_migrating_down_and_up_keeps_every_row(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The migrations rebuild tables on SQLite (batch mode); with foreign keys on, dropping
    ``invoices`` used to delete every invoice line through ON DELETE CASCADE."""
    with sessions() as session:
        books = make_books(session)
        invoice = create_draft_invoice(
            session,
            books.actor,
            contact_id=books.customer.id,
            issue_date=dt.date(2025, 1, 1),
            lines=[{"description": "Work", "quantity": "2", "unit_price": "50.00"}],
        )
        approve_invoice(session, books.actor, invoice.id)
        record_payment(
            session,
            books.actor,
            invoice_id=invoice.id,
            amount="40.00",
            date="2025-01-05",
            bank_account_id=books.checking.id,
        )
        session.commit()
    tables = [
        "companies", "users", "memberships", "accounts", "contacts", "invoices", "invoice_lines",
        "payments", "journal_entries", "journal_lines", "account_daily_balances", "activity",
    ]  # fmt: skip
    before = _counts(engine, tables)
    assert before["invoice_lines"] == 1 and before["journal_lines"] == 4
    try:
        downgrade(engine, "0001")
        assert _counts(engine, tables) == before
    finally:
        upgrade(engine)
    assert _counts(engine, tables) == before
    assert pending_model_changes(engine) == []


def test_the_events_migration_goes_down_to_0007_and_back(engine: Engine) -> None:
    """0008 adds the change feed and webhook tables, and removes exactly them."""
    tables = {"change_counters", "change_events", "webhook_endpoints", "webhook_deliveries",
              "webhook_attempts"}  # fmt: skip
    try:
        downgrade(engine, "0007")
        assert not tables & set(inspect(engine).get_table_names())
    finally:
        upgrade(engine)
    assert tables <= set(inspect(engine).get_table_names())
    assert pending_model_changes(engine) == []
