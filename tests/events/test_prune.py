"""Housekeeping: finished webhook deliveries and changes past their retention are deleted (by
``newledger events prune`` and by every worker), nothing younger or still pending is, and the
change feed answers a cursor from before the pruned changes with 410 instead of skipping them."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.db import utcnow
from newledger.events.models import ChangeCounter, ChangeEvent, WebhookAttempt, WebhookDelivery
from newledger.events.prune import prune
from newledger.ledger import contacts
from tests.conftest import LiveServer
from tests.support.api import api_for
from tests.support.appconnect import make_app, server_key
from tests.support.books import Books, make_books
from tests.support.webhooks import WorkerProcess, add_endpoint

__all__ = ["server_key"]

HOOK = "https://hooks.example.com/newledger"  # never reached: no worker delivers in these tests


def _days_ago(days: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def _scenario(sessions: sessionmaker[Session]) -> tuple[Books, list[int]]:
    """Six contacts made (six changes and six deliveries), then aged: the first four changes
    100 days old; deliveries 0-1 delivered and 2 failed 40 days ago, 3 pending since then, 4
    delivered yesterday, 5 pending now. Each delivery has one attempt."""
    books = make_books(sessions)
    cred = make_app(sessions, books.tenant, "contacts:read")
    add_endpoint(sessions, books, cred.client_id, HOOK, "contact.created")
    with sessions.begin() as session:
        for i in range(6):
            contacts.create_contact(session, books.actor, name=f"Contact {i}")
    with sessions.begin() as session:
        seqs = list(session.scalars(select(ChangeEvent.seq).order_by(ChangeEvent.seq)))
        ids = list(session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))
        session.execute(
            update(ChangeEvent).where(ChangeEvent.seq <= seqs[3]).values(created_at=_days_ago(100))
        )
        aged = {0: ("delivered", 40), 1: ("delivered", 40), 2: ("failed", 40),
                3: ("pending", 40), 4: ("delivered", 1)}  # fmt: skip
        for i, (status, days) in aged.items():
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == ids[i])
                .values(status=status, next_attempt_at=_days_ago(days), created_at=_days_ago(days))
            )
        session.add_all(WebhookAttempt(delivery_id=d, status_code=200) for d in ids)
    return books, ids


def _left(sessions: sessionmaker[Session]) -> tuple[list[int], list[int], int, int]:
    with sessions() as session:
        deliveries = list(session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))
        seqs = list(session.scalars(select(ChangeEvent.seq).order_by(ChangeEvent.seq)))
        attempts = session.scalar(select(func.count()).select_from(WebhookAttempt)) or 0
        pruned = session.scalar(select(ChangeCounter.pruned_seq)) or 0
    return deliveries, seqs, attempts, pruned


def test_prune_deletes_only_finished_deliveries_and_changes_past_their_retention(
    sessions: sessionmaker[Session],
) -> None:
    _, ids = _scenario(sessions)
    done = prune(sessions)
    assert (done.deliveries, done.changes) == (3, 4)
    deliveries, seqs, attempts, pruned = _left(sessions)
    assert deliveries == [ids[3], ids[4], ids[5]]  # pending ones stay, however old
    assert seqs == [5, 6] and pruned == 4
    assert attempts == 3  # the attempts went with their deliveries
    again = prune(sessions)
    assert (again.deliveries, again.changes) == (0, 0)


def test_a_cursor_older_than_the_pruned_changes_is_answered_410(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books, _ = _scenario(sessions)
    api, _ = api_for(live_server.url, sessions, books, "contacts:read")
    assert api.get("/changes", params={"since": "2"}).status_code == 200  # nothing pruned yet
    with sessions.begin() as session:  # a prune between raising the mark and deleting the rows
        session.execute(update(ChangeCounter).values(pruned_seq=4))
    started = api.get("/changes").json()["data"]
    assert [c["cursor"] for c in started] == ["5", "6"]  # not the rows about to go
    prune(sessions)
    expired = api.get("/changes", params={"since": "2"})
    assert expired.status_code == 410, expired.text
    assert expired.headers["content-type"] == "application/problem+json"
    assert expired.json()["code"] == "cursor_expired"
    assert api.get("/changes", params={"since": "0"}).status_code == 410
    at_edge = api.get("/changes", params={"since": "4"})
    assert at_edge.status_code == 200
    assert [c["cursor"] for c in at_edge.json()["data"]] == ["5", "6"]
    fresh = api.get("/changes")  # a new reader starts at the oldest change kept
    assert fresh.status_code == 200 and [c["cursor"] for c in fresh.json()["data"]] == ["5", "6"]


def test_the_cli_and_the_worker_prune(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    _scenario(sessions)
    env = {**os.environ, "NEWLEDGER_DATABASE_URL": database_url,
           "NEWLEDGER_CHANGE_FEED_RETENTION_DAYS": "200"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", "events", "prune"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "pruned 3 webhook deliveries (older than 30 days) and 0 changes" in run.stdout
    assert _left(sessions)[1] == [1, 2, 3, 4, 5, 6]  # changes are kept 200 days here
    with sessions.begin() as session:  # nothing due: this worker has nowhere to deliver
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
            .values(next_attempt_at=utcnow() + dt.timedelta(days=1))
        )
    worker = WorkerProcess(database_url, {"NEWLEDGER_WEBHOOK_RETENTION_DAYS": "1"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (left := _left(sessions))[1] != [5, 6]:
            time.sleep(0.1)
    finally:
        worker.stop()
    deliveries, seqs, _, pruned = left
    assert seqs == [5, 6] and pruned == 4
    assert len(deliveries) == 2  # the day-old delivered one is past a 1-day retention too


@pytest.mark.parametrize("days", [0, -1])
def test_a_retention_shorter_than_a_day_is_refused(days: int, database_url: str) -> None:
    env = {**os.environ, "NEWLEDGER_DATABASE_URL": database_url,
           "NEWLEDGER_WEBHOOK_RETENTION_DAYS": str(days)}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", "events", "prune"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0 and "webhook_retention_days" in run.stderr
