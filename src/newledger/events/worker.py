"""The webhook worker: claims due deliveries from the outbox, signs and sends them, records
the outcome. It runs as ``newledger worker`` or as a thread inside ``newledger serve``
(``NEWLEDGER_WEBHOOK_WORKER``); see ``events.outbox`` for why any number can run at once."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.outbound import OutboundRefused, keep_alive_client, post
from newledger.config import get_settings
from newledger.db import session_scope, utcnow
from newledger.events import signing
from newledger.events.outbox import Claimed, Outcome, claim, finish
from newledger.events.prune import prune
from newledger.runtime import get_sessionmaker

__all__ = ["Worker", "serve_lifespan"]

log = logging.getLogger("newledger.events")


_local = threading.local()


def send(delivery: Claimed) -> Outcome:
    """POST one delivery, signed now; the status code, or why there was none. Each sending
    thread keeps its own connection open for the next delivery."""
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = keep_alive_client()
    try:
        secrets = [signing.unseal(sealed) for sealed in delivery.sealed_secrets]
        headers = signing.signed_headers(secrets, delivery.message_id, delivery.payload, utcnow())
        answer = post(delivery.url, delivery.payload.encode(), headers, client=client)
    except OutboundRefused as exc:
        return Outcome(delivery.id, None, exc.reason)
    except Exception:  # a secret sealed under another server key, say: retried, not stuck
        log.exception("webhook delivery %s could not be sent", delivery.id)
        return Outcome(delivery.id, None, "internal_error")
    return Outcome(delivery.id, answer.status)


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
        """Claim one batch, deliver it, record the outcomes in one transaction; return how many
        deliveries were attempted. (Killed before that transaction, the batch is sent again when
        its lease ends: at least once.)"""
        with session_scope(self.sessions) as session:
            claimed = claim(session, self.name, self.batch, self._settings.webhook_lease_seconds)
        outcomes = list(self._pool.map(send, [d for d in claimed if d.allowed]))
        outcomes += [Outcome(d.id, None, "app_cannot_read", True) for d in claimed if not d.allowed]
        for outcome in outcomes:
            if not outcome.ok:
                log.warning("webhook delivery %s failed: %s",
                            outcome.delivery_id, outcome.error or outcome.status_code)  # fmt: skip
        with session_scope(self.sessions) as session:
            finish(
                session,
                self.name,
                outcomes,
                retry_base_seconds=self._settings.webhook_retry_base_seconds,
            )
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set, resting ``webhook_poll_seconds`` when there is none;
        prune (``events.prune``) at start and every ``prune_interval_seconds``."""
        next_prune = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + self._settings.prune_interval_seconds
                try:
                    prune(self.sessions)
                except Exception:  # tried again next interval; delivering goes on
                    log.exception("webhook worker: pruning failed")
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
