"""``newledger worker``: deliver webhooks from the outbox until stopped (SIGTERM or Ctrl+C)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from newledger.cli.common import console
from newledger.events.worker import Worker
from newledger.runtime import get_sessionmaker


def worker(
    concurrency: int = typer.Option(8, min=1, max=64, help="Deliveries sent at once"),
    batch: int = typer.Option(32, min=1, max=500, help="Deliveries claimed at a time"),
) -> None:
    """Deliver webhooks. Run any number of these on PostgreSQL; each delivery goes to one."""
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    console.print("NewLedger webhook worker running; press Ctrl+C to stop.")
    Worker(get_sessionmaker(), batch=batch, concurrency=concurrency).run(stop)
