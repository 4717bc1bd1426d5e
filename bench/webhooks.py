"""Webhook delivery throughput: events/s from the outbox to a local HTTPS receiver.

A fresh database (SQLite in a temp dir, or ``--database-url`` for PostgreSQL) gets one company,
an API credential app and a webhook endpoint at a local HTTPS receiver (``trustme`` certificate,
the same receiver as the tests). ``--events`` deliveries are put in the outbox at once, as
committed changes would leave them; then ``--workers`` ``newledger worker`` processes start and
the clock runs until every delivery is marked delivered. The receiver checks nothing and answers
204; it runs in this process, so on a 2-core machine it competes with the workers.

    .venv/bin/python bench/webhooks.py                       # 2000 events, 1 worker
    .venv/bin/python bench/webhooks.py --workers 2 --database-url postgresql://postgres@127.0.0.1:5432/nlbench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # tests.support.webhooks: the receiver

from tests.support.webhooks import Receiver, WorkerProcess  # noqa: E402

from newledger.actor import Actor  # noqa: E402
from newledger.appconnect import apps  # noqa: E402
from newledger.db import make_engine, make_sessionmaker, utcnow  # noqa: E402
from newledger.events.changes import new_message_id  # noqa: E402
from newledger.events.endpoints import create_endpoint  # noqa: E402
from newledger.events.models import WebhookDelivery, WebhookEndpoint  # noqa: E402
from newledger.identity.services import create_company, create_user, user_actor  # noqa: E402
from newledger.migrate import upgrade  # noqa: E402

OUT = ROOT / "out"


def set_up(sessions: sessionmaker[Session], url: str) -> int:
    with sessions.begin() as session:
        owner = create_user(session, email="owner@bench.test", name="Owner", password="x" * 16)
        company = create_company(session, name="Bench", slug="bench", owner=owner)
        actor: Actor = user_actor(session, owner, company.id)
        app, _ = apps.create_app(session, actor, name="Bench", permissions=["invoices:read"])
        endpoint, _ = create_endpoint(
            session, actor, app.client_id, url=url, event_types=["invoice.drafted"]
        )
        return endpoint.id


def fill(sessions: sessionmaker[Session], endpoint_id: int, events: int) -> None:
    with sessions.begin() as session:
        company_id = session.get_one(WebhookEndpoint, endpoint_id).company_id
        now = utcnow()
        rows = [
            {
                "company_id": company_id,
                "endpoint_id": endpoint_id,
                "message_id": new_message_id(),
                "event_type": "invoice.drafted",
                "payload": json.dumps({"type": "invoice.drafted", "data": {"id": i}}),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for i in range(events)
        ]
        session.execute(insert(WebhookDelivery), rows)


def delivered(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = select(func.count()).where(WebhookDelivery.status == "delivered")
        return int(session.scalar(query) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nl-webhooks-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("NEWLEDGER_SECRET_KEY", "bench-secret-key-0123456789abcdef0123456789")
    os.environ["NEWLEDGER_DATA_DIR"] = str(tmp)
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    receiver = Receiver(tmp, answer=lambda n: 204)
    endpoint_id = set_up(sessions, receiver.url)
    fill(sessions, endpoint_id, args.events)
    started = time.perf_counter()
    workers = [WorkerProcess(url, receiver.env()) for _ in range(args.workers)]
    try:
        while delivered(sessions) < args.events:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.stop()
        receiver.close()
    rate = args.events / elapsed
    engine_name = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(
        f"{args.events} webhooks, {args.workers} worker(s), {engine_name}: "
        f"{elapsed:.2f} s, {rate:.0f} events/s (worker start-up included)"
    )
    OUT.mkdir(exist_ok=True)
    result = {
        "events": args.events, "workers": args.workers, "database": engine_name,
        "seconds": round(elapsed, 3), "events_per_second": round(rate, 1),
        "received": len(receiver.received), "machine": platform.platform(),
    }  # fmt: skip
    (OUT / "webhooks.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
