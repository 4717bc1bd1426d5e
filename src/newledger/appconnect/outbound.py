"""The one guarded fetcher for URLs that users or clients supply (DESIGN §8): client ID metadata
documents and webhook deliveries (``post``); logos go through it too.

A URL a stranger hands us must not make NewLedger reach into its own network (SSRF, RFC 9700
§4.15 and the client ID metadata document draft's security considerations). So:

- https only (plain http only to a loopback host, and only with the test-only setting
  ``outbound_allow_loopback``);
- the host is resolved HERE, every address it resolves to is checked (private, loopback,
  link-local, multicast, reserved and other special-use ranges are refused, IPv4 hidden in IPv6
  included), and the connection is made to the checked address, never resolved again, so a DNS
  answer that changes between the check and the connection (rebinding) cannot slip through.
  This happens in the network backend, on every connection, so every redirect is checked too;
- TLS is verified against the host name, as for any request;
- limits on redirects, response size (read as a stream and cut off) and total time.

Hand-written on purpose: httpx has no hook between "resolve" and "connect" other than the
network backend of its transport layer (httpcore), which is what ``_GuardedBackend`` is.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from newledger.config import get_settings

__all__ = [
    "Fetched",
    "OutboundRefused",
    "check_url",
    "fetch",
    "is_public_address",
    "keep_alive_client",
    "post",
]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_USER_AGENT = "NewLedger/1 (+guarded fetcher)"


class OutboundRefused(Exception):
    """A fetch that was refused or failed. ``reason`` is a short machine word for activity and
    logs (never the response body); ``str(exc)`` is a sentence for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # the URL that answered (after any redirects)
    status: int
    headers: httpx.Headers
    body: bytes


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(ip: IPAddress) -> bool:
    """Whether ``ip`` is an ordinary public unicast address: not private, loopback,
    link-local, shared (CGNAT), documentation, benchmarking, reserved, multicast or unspecified,
    and not one of those wrapped in IPv6 (mapped, 6to4, Teredo, NAT64)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[IPAddress] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(not is_public_address(inner) for inner in embedded):
            return False
    # ``is_global`` is False for every IANA special-purpose range except multicast.
    return ip.is_global and not ip.is_multicast


def _allowed(ip: IPAddress, allow_loopback: bool) -> bool:
    return is_public_address(ip) or (allow_loopback and ip.is_loopback)


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's own synchronous backend, except that ``connect_tcp`` resolves the host
    itself, refuses it unless every address is allowed, and connects to that checked address."""

    def __init__(self, allow_loopback: bool) -> None:
        self._allow_loopback = allow_loopback
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        address = _checked_address(host, port, self._allow_loopback)
        return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise OutboundRefused("forbidden_address", "Unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _checked_address(host: str, port: int, allow_loopback: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise OutboundRefused("dns_failure", f"{host} could not be resolved") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise OutboundRefused("dns_failure", f"{host} could not be resolved")
    for text in addresses:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
        # Every address must pass, not just the one we would use: a host that also names an
        # internal address is refused outright.
        if not _allowed(ip, allow_loopback):
            raise OutboundRefused(
                "forbidden_address", f"{host} resolves to an address NewLedger never fetches"
            )
    return addresses[0]


class _Body(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        stream = self._response.stream
        assert isinstance(stream, Iterable)
        yield from stream

    def close(self) -> None:
        self._response.close()


class _GuardedTransport(httpx.BaseTransport):
    """httpx's ``HTTPTransport`` takes no network backend, so this is its ``handle_request``
    over an httpcore pool that has one (no proxies; keep-alive only for ``keep_alive_client``)."""

    def __init__(self, allow_loopback: bool, keepalive_expiry: float = 0) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=1,
            keepalive_expiry=keepalive_expiry,
            network_backend=_GuardedBackend(allow_loopback),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        response = self._pool.handle_request(
            httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=request.url.raw_scheme,
                    host=request.url.raw_host,
                    port=request.url.port,
                    target=request.url.raw_path,
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
        )
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def check_url(url: str, allow_loopback: bool | None = None) -> None:
    """Refuse a URL the fetcher would never request (scheme, userinfo, host)."""
    if allow_loopback is None:
        allow_loopback = get_settings().outbound_allow_loopback
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a malformed port)
    except ValueError:
        raise OutboundRefused("bad_url", "Not a valid URL") from None
    host = parts.hostname or ""
    loopback_http = parts.scheme == "http" and allow_loopback and host in _LOOPBACK_NAMES
    if parts.scheme != "https" and not loopback_http:
        raise OutboundRefused("forbidden_scheme", "Only https URLs are fetched")
    if not host or "@" in parts.netloc:
        raise OutboundRefused("bad_url", "The URL needs a host and no user information")


def _client(
    allow_loopback: bool, headers: dict[str, str], keepalive_expiry: float = 0
) -> httpx.Client:
    return httpx.Client(
        transport=_GuardedTransport(allow_loopback, keepalive_expiry),
        follow_redirects=False,
        trust_env=False,
        # identity: a compressed body would dodge the size limit (a decompression bomb).
        headers={"Accept-Encoding": "identity", "User-Agent": _USER_AGENT, **headers},
    )


def fetch(
    url: str,
    *,
    max_bytes: int = 64 * 1024,
    timeout: float = 5.0,
    max_redirects: int = 3,
    accept: str = "application/json",
) -> Fetched:
    """GET ``url`` through the guards; raise ``OutboundRefused`` on any refusal or failure.

    Any status is returned (the caller decides what a 404 means), except a redirect beyond
    ``max_redirects``. ``timeout`` bounds the whole fetch, redirects and body included.
    """
    allow_loopback = get_settings().outbound_allow_loopback
    deadline = time.monotonic() + timeout
    with _client(allow_loopback, {"Accept": accept}) as client:
        for _ in range(max_redirects + 1):
            check_url(url, allow_loopback)
            fetched = _send(client, "GET", url, max_bytes, deadline)
            location = fetched.headers.get("location")
            if fetched.status not in _REDIRECTS or not location:
                return fetched
            url = urljoin(url, location)
    raise OutboundRefused("too_many_redirects", "The URL redirects too many times")


def keep_alive_client(keepalive_expiry: float = 30.0) -> httpx.Client:
    """A guarded client for many ``post`` calls from one thread that keeps its connection open
    between them (webhooks to the same receiver skip a TLS handshake each). A kept connection
    goes to the address that was checked when it was opened; every new one is checked."""
    return _client(get_settings().outbound_allow_loopback, {}, keepalive_expiry)


def post(
    url: str,
    content: bytes,
    headers: dict[str, str],
    *,
    max_bytes: int = 16 * 1024,
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> Fetched:
    """POST ``content`` to ``url`` through the guards (on ``client`` from ``keep_alive_client``
    if given). Redirects are not followed (a webhook receiver answers where it was
    registered); any status is returned."""
    allow_loopback = get_settings().outbound_allow_loopback
    check_url(url, allow_loopback)
    deadline = time.monotonic() + timeout
    if client is not None:
        return _send(client, "POST", url, max_bytes, deadline, content, headers)
    with _client(allow_loopback, {}) as own:
        return _send(own, "POST", url, max_bytes, deadline, content, headers)


def _send(
    client: httpx.Client,
    method: str,
    url: str,
    max_bytes: int,
    deadline: float,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Fetched:
    left = deadline - time.monotonic()
    if left <= 0:
        raise OutboundRefused("timeout", "The fetch took too long")
    try:
        with client.stream(
            method, url, content=content, headers=headers, timeout=httpx.Timeout(left)
        ) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise OutboundRefused("too_large", "The response is too large")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > max_bytes:
                    raise OutboundRefused("too_large", "The response is too large")
                if time.monotonic() > deadline:  # a server trickling bytes forever
                    raise OutboundRefused("timeout", "The fetch took too long")
                chunks.append(chunk)
            body = b"".join(chunks)
            return Fetched(str(response.url), response.status_code, response.headers, body)
    except OutboundRefused:
        raise
    except (httpcore.TimeoutException, httpx.TimeoutException):
        raise OutboundRefused("timeout", "The fetch took too long") from None
    except (httpcore.NetworkError, httpcore.ProtocolError, httpx.HTTPError, OSError) as exc:
        raise OutboundRefused("fetch_failed", f"The fetch failed ({type(exc).__name__})") from None
