"""The webhook worker: claims due deliveries from the outbox, signs and sends them, records
the outcome. It runs as ``newledger worker`` or as a thread inside ``newledger serve``
(``NEWLEDGER_WEBHOOK_WORKER``); see ``events.outbox`` for why any number can run at once."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.outbound import OutboundRefused, post
from newledger.config import get_settings
from newledger.db import session_scope, utcnow
from newledger.events import signing
from newledger.events.outbox import Claimed, claim, finish
from newledger.runtime import get_sessionmaker

__all__ = ["Worker", "serve_lifespan"]

log = logging.getLogger("newledger.events")

Outcome = tuple[int | None, str | None]


def send(delivery: Claimed) -> Outcome:
    """POST one delivery, signed now; the status code, or why there was none."""
    secret = signing.unseal(delivery.sealed_secret)
    headers = signing.signed_headers(secret, delivery.message_id, delivery.payload, utcnow())
    try:
        answer = post(delivery.url, delivery.payload.encode(), headers)
    except OutboundRefused as exc:
        return None, exc.reason
    return answer.status, None


class Worker:
    def __init__(
        self, sessions: sessionmaker[Session], *, batch: int = 32, concurrency: int = 8
    ) -> None:
        self.sessions = sessions
        self.batch = batch
        self.name = f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 10**6}"
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="webhook")
        self._settings = get_settings()

    def run_once(self) -> int:
        """Claim one batch and deliver it; return how many deliveries were attempted."""
        with session_scope(self.sessions) as session:
            claimed = claim(session, self.name, self.batch, self._settings.webhook_lease_seconds)
        futures = {
            self._pool.submit(send, delivery): delivery for delivery in claimed if delivery.allowed
        }
        for delivery in claimed:
            if not delivery.allowed:
                self._finish(delivery, (None, "app_cannot_read"), give_up=True)
        for future in as_completed(futures):
            self._finish(futures[future], future.result())
        return len(claimed)

    def _finish(self, delivery: Claimed, outcome: Outcome, *, give_up: bool = False) -> None:
        status, error = outcome
        if status is None or not 200 <= status < 300:
            log.warning(
                "webhook delivery %s to %s failed: %s", delivery.id, delivery.url, error or status
            )
        with session_scope(self.sessions) as session:
            finish(
                session,
                delivery.id,
                self.name,
                status_code=status,
                error=error,
                retry_base_seconds=self._settings.webhook_retry_base_seconds,
                give_up=give_up,
            )

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set, resting ``webhook_poll_seconds`` when there is none."""
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:  # the database went away, say: keep the worker alive
                log.exception("webhook worker: claiming or recording failed")
                done = 0
            if not done:
                stop.wait(self._settings.webhook_poll_seconds)
        self._pool.shutdown(wait=True)


@asynccontextmanager
async def serve_lifespan(_app: Any) -> AsyncIterator[None]:
    """Run a worker thread for as long as the web app, when ``NEWLEDGER_WEBHOOK_WORKER`` is on."""
    if not get_settings().webhook_worker:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=Worker(get_sessionmaker()).run, args=(stop,), name="webhook-worker", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=15)
