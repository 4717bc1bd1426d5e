"""An external id names one contact per company, even when transactions race: an upsert that
loses the race to insert updates the winner's contact, and a create that loses it is told the id
is taken. Each writer has its own connection, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.errors import ValidationFailed
from newledger.events.models import ChangeEvent
from newledger.ledger.contact_fields import ExternalIdTaken
from newledger.ledger.contacts import create_contact, update_contact, upsert_contact
from newledger.ledger.models import Contact
from tests.support.books import Books, make_books


@pytest.fixture
def books(sessions: sessionmaker[Session]) -> Books:
    return make_books(sessions)


def _with_external_id(sessions: sessionmaker[Session], external_id: str) -> list[Contact]:
    with sessions() as session:
        return list(session.scalars(select(Contact).where(Contact.external_id == external_id)))


def test_an_upsert_that_loses_the_race_to_insert_updates_the_winners_contact(
    sessions: sessionmaker[Session], books: Books
) -> None:
    """The first transaction has inserted and not committed when the second one starts: the
    second waits (PostgreSQL: on the unique index; SQLite: for the write lock), then finds the
    contact and updates it instead of failing or making a second one."""
    inserted = threading.Event()
    second: dict[str, object] = {}

    def late() -> None:
        inserted.wait(10)
        with sessions() as session:
            contact, created = upsert_contact(
                session, books.actor, "crm-77", {"name": "Initech", "phone": "555-0100"}
            )
            second.update(id=contact.id, created=created)
            session.commit()

    thread = threading.Thread(target=late)
    thread.start()
    with sessions() as session:
        contact, created = upsert_contact(session, books.actor, "crm-77", {"name": "Initech"})
        inserted.set()
        time.sleep(0.5)  # the other transaction is now waiting on this one
        session.commit()
        first_id = contact.id
    thread.join(20)
    assert created is True and second == {"id": first_id, "created": False}
    [contact] = _with_external_id(sessions, "crm-77")
    assert contact.phone == "555-0100" and contact.version == 2
    with sessions() as session:
        events = list(session.scalars(select(ChangeEvent.event_type).order_by(ChangeEvent.seq)))
    assert events == ["contact.created", "contact.updated"]


def test_a_create_that_loses_the_race_is_told_the_external_id_is_taken(
    sessions: sessionmaker[Session], books: Books
) -> None:
    inserted = threading.Event()
    outcome: list[BaseException] = []

    def late() -> None:
        inserted.wait(10)
        with sessions() as session:
            try:
                create_contact(session, books.actor, name="Twin", external_id="crm-8")
                session.commit()
            except BaseException as exc:
                outcome.append(exc)

    thread = threading.Thread(target=late)
    thread.start()
    with sessions() as session:
        create_contact(session, books.actor, name="First", external_id="crm-8")
        inserted.set()
        time.sleep(0.5)
        session.commit()
    thread.join(20)
    assert len(outcome) == 1 and isinstance(outcome[0], ExternalIdTaken), outcome
    assert [c.name for c in _with_external_id(sessions, "crm-8")] == ["First"]


def test_eight_upserts_at_once_make_one_contact_each_round(
    sessions: sessionmaker[Session], books: Books
) -> None:
    for round_ in range(10):
        start = threading.Barrier(8)

        def upsert(i: int, round_: int = round_, start: threading.Barrier = start) -> bool:
            start.wait()
            with sessions() as session:
                _, created = upsert_contact(
                    session, books.actor, f"race-{round_}", {"name": f"Racer {i}"}
                )
                session.commit()
                return created

        with ThreadPoolExecutor(8) as pool:
            assert Counter(pool.map(upsert, range(8))) == Counter({True: 1, False: 7})
        [contact] = _with_external_id(sessions, f"race-{round_}")
        assert contact.version == 8  # made once, then renamed by each of the other seven


def test_addresses_and_external_ids_are_validated_by_the_service(
    sessions: sessionmaker[Session], books: Books
) -> None:
    with sessions() as session, pytest.raises(ValidationFailed) as bad:
        create_contact(
            session, books.actor, name="Acme", external_id="no spaces please",
            billing_address={"line1": "1 Main St", "country": "Narnia"},
            shipping_address={"city": "Paris"},
        )  # fmt: skip
    assert bad.value.errors == {
        "external_id": "1 to 100 letters, digits and . _ ~ : @ -, starting with a letter or digit",
        "billing_address.country": "not an ISO 3166-1 alpha-2 country code",
        "shipping_address.country": "required for an address",
    }
    with sessions() as session:
        made = create_contact(
            session, books.actor, name="Acme",
            billing_address={"line1": " 1 Main St ", "city": "Lyon", "country": "fr"},
        )  # fmt: skip
        assert made.billing_address.line1 == "1 Main St"
        assert made.billing_address.country == "FR"
        assert made.billing_address.lines() == ["1 Main St", "Lyon", "France"]
        assert made.shipping_address.is_empty
        update_contact(session, books.actor, made.id, {"billing_address": None})
        assert made.billing_address.is_empty and made.version == 2
        session.commit()
