"""A real HTTPS webhook receiver (certificate from a test CA made with ``trustme``) and
``newledger worker`` processes that trust that CA, for the webhook tests."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme
from sqlalchemy.orm import Session, sessionmaker

from newledger.events.endpoints import create_endpoint
from tests.support.books import Books

Answer = Callable[[int], int]  # the n-th request (1-based) → the status to answer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An HTTPS server on 127.0.0.1 that records every POST. ``answer`` picks each status;
    while ``hold`` is set, requests wait (to kill a worker mid-delivery)."""

    def __init__(self, tmp: Path, answer: Answer = lambda n: 200) -> None:
        ca = trustme.CA()
        self.ca_file = tmp / "webhook-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        self.received: list[Received] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    n = len(receiver.received)
                receiver.arrived.set()
                receiver.release.wait(30)
                self.send_response(answer(n))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the default 5 drops concurrent connects for a second

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # The handshake happens in the request's thread, not in the accepting one.
        self.server.socket = context.wrap_socket(
            self.server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.url = f"https://localhost:{self.server.server_address[1]}/hooks/newledger"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def env(self, **more: str) -> dict[str, str]:
        """What a worker (or server) needs to reach this receiver, with fast retries."""
        return {
            "NEWLEDGER_OUTBOUND_ALLOW_LOOPBACK": "true",
            # The test CA as the only trusted root (httpx reads SSL_CERT_FILE), as the
            # client metadata document tests do.
            "SSL_CERT_FILE": str(self.ca_file),
            "NEWLEDGER_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
            "NEWLEDGER_WEBHOOK_POLL_SECONDS": "0.05",
            **more,
        }

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} of {count} webhooks arrived")

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class WorkerProcess:
    """A ``newledger worker`` process against the test database."""

    def __init__(self, database_url: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newledger.cli.main", "worker"],
            env={**os.environ, "NEWLEDGER_DATABASE_URL": database_url, **env},
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def add_endpoint(
    sessions: sessionmaker[Session], books: Books, client_id: str, url: str, *types: str
) -> str:
    """An endpoint for the app, made by the books' owner; its signing secret."""
    with sessions.begin() as session:
        _, secret = create_endpoint(
            session,
            books.actor,
            client_id,
            url=url,
            event_types=list(types or ("invoice.drafted", "invoice.approved", "contact.created")),
        )
    return secret
