"""Shared set-up for the OAuth-for-MCP tests (issue 9): registration bodies real MCP clients send,
a certificate authority of the test's own, and an https server on 127.0.0.1 that serves client ID
metadata documents (or redirects, or stalls) and counts what it was asked.

The other parts' helpers live beside this one (``oauth_<part>.py``)."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import os
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.engine import Engine

from newledger.config import get_settings
from tests.conftest import LiveServer

__all__ = [
    "CHATGPT",
    "CLAUDE",
    "INSPECTOR",
    "INSPECTOR_DEBUG",
    "DocumentServer",
    "TestCA",
    "documents_fixture",
    "loopback_fetches_fixture",
    "loopback_server_fixture",
    "register",
    "test_ca_fixture",
]

# What these clients send to /oauth/register (their redirect URIs from DESIGN §5).
CHATGPT: dict[str, Any] = {
    "client_name": "ChatGPT",
    "redirect_uris": ["https://chatgpt.com/connector_platform_oauth_redirect"],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "none",
}
CLAUDE: dict[str, Any] = {
    "client_name": "Claude",
    "redirect_uris": [
        "https://claude.ai/api/mcp/auth_callback",
        "https://claude.com/api/mcp/auth_callback",
    ],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "client_secret_post",
    "scope": "claudeai",
}
INSPECTOR: dict[str, Any] = {
    "client_name": "MCP Inspector",
    "client_uri": "https://github.com/modelcontextprotocol/inspector",
    "redirect_uris": ["http://localhost:6274/oauth/callback"],
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "none",
}
INSPECTOR_DEBUG: dict[str, Any] = {
    **INSPECTOR,
    "redirect_uris": ["http://127.0.0.1:6276/oauth/callback"],
    "application_type": "native",
}


def register(base_url: str, body: object, **headers: str) -> httpx.Response:
    return httpx.post(f"{base_url}/oauth/register", json=body, headers=headers, timeout=30)


class TestCA:
    """A certificate authority made for one test run, and a server certificate it signed for
    ``127.0.0.1`` and ``localhost``. ``SSL_CERT_FILE`` pointed at ``ca_path`` makes httpx (the
    server's guarded fetcher included) trust it."""

    __test__ = False

    def __init__(self, directory: Path) -> None:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "NewLedger test CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("localhost"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_path = directory / "ca.pem"
        self.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self.cert_path = directory / "server.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_path = directory / "server.key"
        self.key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stall: threading.Event | None = None  # set: hold the answer until the event is set


class DocumentServer:
    """An https (or, with ``ca=None``, plain http) server on 127.0.0.1 in a thread. ``serve``
    sets what a path answers; ``hits`` counts the requests per path."""

    def __init__(self, ca: TestCA | None) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                route = server.routes.get(self.path, Route(404, b"{}"))
                if route.stall is not None:
                    route.stall.wait(30)
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if ca is not None:
            self._httpd.socket = ca.server_context().wrap_socket(
                self._httpd.socket, server_side=True
            )
        self.port = self._httpd.server_address[1]
        scheme = "https" if ca is not None else "http"
        self.base = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, status: int = 200, body: object = None, **headers: str) -> str:
        raw = body if isinstance(body, bytes) else orjson.dumps(body)
        self.routes[path] = Route(status, raw, {"Content-Type": "application/json", **headers})
        return self.url(path)

    def serve_document(self, path: str, **fields: Any) -> str:
        """A client ID metadata document at ``path`` that names itself correctly."""
        url = self.url(path)
        document = {
            "client_id": url,
            "client_name": "Test MCP client",
            "redirect_uris": ["http://127.0.0.1:33418/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            **fields,
        }
        return self.serve(path, body=document, **{"Cache-Control": "max-age=600"})

    def redirect(self, path: str, location: str) -> str:
        self.routes[path] = Route(302, b"", {"Location": location})
        return self.url(path)

    def stall(self, path: str) -> tuple[str, threading.Event]:
        """A path that does not answer until the returned event is set."""
        release = threading.Event()
        self.routes[path] = Route(200, b"{}", {}, release)
        return self.url(path), release

    def close(self) -> None:
        for route in self.routes.values():
            if route.stall is not None:
                route.stall.set()
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(name="test_ca", scope="session")
def test_ca_fixture(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(name="documents")
def documents_fixture(test_ca: TestCA) -> Iterator[DocumentServer]:
    server = DocumentServer(test_ca)
    yield server
    server.close()


@pytest.fixture(name="loopback_fetches")
def loopback_fetches_fixture(test_ca: TestCA) -> Iterator[None]:
    """This process's guarded fetcher may reach loopback (the test-only setting) and trusts the
    test CA, as a server started with both would."""
    saved = {k: os.environ.get(k) for k in ("NEWLEDGER_OUTBOUND_ALLOW_LOOPBACK", "SSL_CERT_FILE")}
    os.environ["NEWLEDGER_OUTBOUND_ALLOW_LOOPBACK"] = "true"
    os.environ["SSL_CERT_FILE"] = str(test_ca.ca_path)
    get_settings.cache_clear()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(name="loopback_server", scope="module")
def loopback_server_fixture(
    engine: Engine,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    test_ca: TestCA,
) -> Iterator[LiveServer]:
    """A server that may fetch metadata documents from 127.0.0.1 and trusts the test CA."""
    server = LiveServer(
        database_url,
        tmp_path_factory.mktemp("serve-loopback"),
        {"NEWLEDGER_OUTBOUND_ALLOW_LOOPBACK": "true", "SSL_CERT_FILE": str(test_ca.ca_path)},
    )
    yield server
    server.stop()
