"""Idempotency keys without HTTP: what an MCP tool gets from ``newledger.idempotency``.

The REST behaviour (headers, 422, concurrent replays) is tested over HTTP in the API tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import orjson
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.errors import NotFound
from newledger.idempotency.models import IdempotencyKey
from newledger.idempotency.service import KeyReused, Outcome, fingerprint, run_once
from newledger.identity.permissions import Permission
from newledger.ledger.contacts import create_contact
from newledger.ledger.models import Contact
from tests.support.appconnect import make_app, make_tenant


def app_actor(company_id: int, app_id: int) -> Actor:
    return Actor("app", company_id, frozenset({Permission.CONTACTS_WRITE}), app_id=app_id)


def tool_call(name: str) -> str:
    """The fingerprint an MCP ``tools/call`` of ``create_contact`` would make."""
    return fingerprint("tools/call", "create_contact", payload=orjson.dumps({"name": name}))


def creating(session: Session, actor: Actor, name: str) -> Callable[[], Outcome]:
    def create() -> Outcome:
        contact = create_contact(session, actor, name=name)
        return Outcome(201, {"id": contact.id, "name": name}, {"Location": f"/c/{contact.id}"})

    return create


def contacts(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


@pytest.fixture
def actors(sessions: sessionmaker[Session]) -> tuple[Actor, Actor]:
    tenant = make_tenant(sessions)
    one = make_app(sessions, tenant, "contacts:write", name="One")
    two = make_app(sessions, tenant, "contacts:write", name="Two")
    return app_actor(tenant.company.id, one.app_id), app_actor(tenant.company.id, two.app_id)


def test_a_repeated_call_returns_the_first_outcome_and_creates_once(
    sessions: sessionmaker[Session], actors: tuple[Actor, Actor]
) -> None:
    actor, _ = actors
    outcomes = []
    for _ in range(3):
        with sessions() as session:
            fp = tool_call("Globex")
            outcomes.append(run_once(session, actor, "k-1", fp, creating(session, actor, "Globex")))
    first, *repeats = outcomes
    assert not first.replayed and all(r.replayed for r in repeats)
    assert {(o.status, o.body["id"], o.headers["Location"]) for o in outcomes} == {
        (201, first.body["id"], f"/c/{first.body['id']}")
    }
    assert contacts(sessions) == 1


def test_the_same_key_with_a_different_request_is_refused(
    sessions: sessionmaker[Session], actors: tuple[Actor, Actor]
) -> None:
    actor, _ = actors
    with sessions() as session:
        run_once(session, actor, "k-2", tool_call("Globex"), creating(session, actor, "Globex"))
    with sessions() as session, pytest.raises(KeyReused):
        run_once(session, actor, "k-2", tool_call("Initech"), creating(session, actor, "Initech"))
    assert contacts(sessions) == 1


def test_a_failed_create_leaves_its_key_free_for_a_corrected_retry(
    sessions: sessionmaker[Session], actors: tuple[Actor, Actor]
) -> None:
    actor, _ = actors

    def fails() -> Outcome:
        raise NotFound("no such account")

    with sessions() as session, pytest.raises(NotFound):
        run_once(session, actor, "k-3", tool_call("Globex"), fails)
    with sessions() as session:
        outcome = run_once(
            session, actor, "k-3", tool_call("Globex"), creating(session, actor, "Globex")
        )
    assert not outcome.replayed and contacts(sessions) == 1


def test_keys_are_per_app_and_expire_after_a_day(
    sessions: sessionmaker[Session], actors: tuple[Actor, Actor]
) -> None:
    one, two = actors
    for actor in (one, two):
        with sessions() as session:
            fp = tool_call("Globex")
            assert not run_once(session, actor, "k-4", fp, creating(session, actor, "G")).replayed
    with sessions.begin() as session:
        day_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
        session.execute(update(IdempotencyKey).values(created_at=day_ago))
    with sessions() as session:
        fp = tool_call("Globex")
        assert not run_once(session, one, "k-4", fp, creating(session, one, "G")).replayed
    assert contacts(sessions) == 3


def test_without_a_key_the_create_runs_every_time(
    sessions: sessionmaker[Session], actors: tuple[Actor, Actor]
) -> None:
    actor, _ = actors
    for _ in range(2):
        with sessions() as session:
            run_once(session, actor, None, "", creating(session, actor, "Globex"))
    assert contacts(sessions) == 2


def test_a_fingerprint_ignores_json_key_order_but_not_the_operation() -> None:
    a = fingerprint("post", "/api/v1/contacts", payload=b'{"name": "G", "kind": "customer"}')
    b = fingerprint("POST", "/api/v1/contacts", payload=b'{"kind":"customer","name":"G"}')
    other = fingerprint("POST", "/api/v1/invoices", payload=b'{"kind":"customer","name":"G"}')
    assert a == b != other
