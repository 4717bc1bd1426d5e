"""Client ID metadata documents and the guarded fetcher: a URL-shaped client id is fetched over
https from a real server (on 127.0.0.1, with the test-only setting and a CA of the test's own),
validated and cached; and no URL, redirect or DNS answer can make NewLedger reach 127.0.0.1,
169.254.169.254 or 10.0.0.1 without that setting."""

from __future__ import annotations

import datetime as dt
import ipaddress

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import outbound
from newledger.appconnect.clients import (
    UnknownClient,
    client_label,
    find_client,
    redirect_uris_of,
    resolve_client,
)
from newledger.appconnect.models import OAuthClient
from newledger.config import get_settings
from tests.conftest import LiveServer
from tests.support.appconnect import server_key
from tests.support.oauth import (  # noqa: F401  (pytest fixtures)
    DocumentServer,
    documents_fixture,
    loopback_fetches_fixture,
    test_ca_fixture,
)

__all__ = ["server_key"]

METADATA_IP = "169.254.169.254"


# ------------------------------------------------------------------------------ addresses


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        METADATA_IP,
        "100.64.0.1",  # shared address space (CGNAT)
        "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "198.18.0.1",  # benchmarking
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    ],
)
def test_internal_addresses_are_never_public(address: str) -> None:
    assert not outbound.is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_ordinary_public_addresses_are(address: str) -> None:
    assert outbound.is_public_address(ipaddress.ip_address(address))


# ------------------------------------------------------------------- SSRF: no loopback setting


def _refused(url: str, **limits: int) -> outbound.OutboundRefused:
    with pytest.raises(outbound.OutboundRefused) as caught:
        outbound.fetch(url, **limits)  # type: ignore[arg-type]
    return caught.value


def test_a_document_url_on_127_0_0_1_is_refused_before_connecting(
    documents: DocumentServer,
) -> None:
    url = documents.serve_document("/client.json")
    assert _refused(url).reason == "forbidden_address"
    assert documents.hits == {}  # the server was never asked


def test_a_host_name_that_resolves_to_127_0_0_1_is_refused(documents: DocumentServer) -> None:
    documents.serve_document("/client.json")
    url = f"https://localhost:{documents.port}/client.json"
    assert _refused(url).reason == "forbidden_address"
    assert documents.hits == {}


@pytest.mark.parametrize(
    "url",
    [
        f"https://{METADATA_IP}/latest/meta-data/iam/",
        "https://10.0.0.1/client.json",
        "https://[::ffff:a9fe:a9fe]/client.json",
        "https://0x7f000001/client.json",  # 127.0.0.1 spelt as one number
    ],
)
def test_internal_addresses_are_refused_without_a_connection(url: str) -> None:
    # Refused at the address check: no packet is sent, so this answers at once even where
    # 10.0.0.1 would never answer.
    assert _refused(url, timeout=30).reason == "forbidden_address"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/client.json", "forbidden_scheme"),
        ("file:///etc/passwd", "forbidden_scheme"),
        ("gopher://127.0.0.1:25/", "forbidden_scheme"),
        ("https://user:pw@example.com/client.json", "bad_url"),
        ("https:///client.json", "bad_url"),
    ],
)
def test_only_plain_https_urls_are_fetched(url: str, reason: str) -> None:
    assert _refused(url).reason == reason


def test_a_metadata_client_on_an_internal_address_is_unknown(
    documents: DocumentServer, session: Session
) -> None:
    url = documents.serve_document("/client.json")
    with pytest.raises(UnknownClient, match="never fetches"):
        resolve_client(session, url)
    assert find_client(session, f"https://{METADATA_IP}/client.json") is None
    assert find_client(session, "https://10.0.0.1/client.json") is None
    assert documents.hits == {}
    assert session.scalar(select(OAuthClient.id)) is None


# ------------------------------------------------- SSRF: loopback allowed, internal still not


@pytest.mark.usefixtures("loopback_fetches")
@pytest.mark.parametrize(
    "target", [f"https://{METADATA_IP}/latest/meta-data/", "https://10.0.0.1/client.json"]
)
def test_a_redirect_to_an_internal_address_is_refused(
    documents: DocumentServer, target: str
) -> None:
    url = documents.redirect("/hop", target)
    refused = _refused(url, timeout=30)
    assert refused.reason == "forbidden_address"
    assert documents.hits == {"/hop": 1}


@pytest.mark.usefixtures("loopback_fetches")
def test_a_redirect_to_plain_http_is_refused(documents: DocumentServer) -> None:
    url = documents.redirect("/hop", "http://example.com/client.json")
    assert _refused(url).reason == "forbidden_scheme"


@pytest.mark.usefixtures("loopback_fetches")
def test_redirects_are_limited(documents: DocumentServer) -> None:
    loop = documents.redirect("/loop", "/loop")
    assert _refused(loop, max_redirects=3).reason == "too_many_redirects"
    assert documents.hits["/loop"] == 4
    documents.serve("/end", body={"ok": True})
    fine = outbound.fetch(documents.redirect("/start", "/end"))
    assert fine.status == 200 and fine.url.endswith("/end")


@pytest.mark.usefixtures("loopback_fetches")
def test_a_large_or_slow_answer_is_cut_off(documents: DocumentServer) -> None:
    big = documents.serve("/big", body=b"x" * 70_000)
    assert _refused(big, max_bytes=64 * 1024).reason == "too_large"
    slow, release = documents.stall("/slow")
    try:
        assert _refused(slow, timeout=1).reason == "timeout"
    finally:
        release.set()


def test_tls_is_verified(documents: DocumentServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Loopback allowed, but the test CA not trusted: the certificate does not verify.
    monkeypatch.setenv("NEWLEDGER_OUTBOUND_ALLOW_LOOPBACK", "true")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    get_settings.cache_clear()
    try:
        url = documents.serve_document("/client.json")
        assert _refused(url).reason == "fetch_failed"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


# ------------------------------------------------------------------------ metadata documents


@pytest.mark.usefixtures("loopback_fetches")
def test_a_metadata_document_client_is_fetched_validated_and_cached(
    documents: DocumentServer, sessions: sessionmaker[Session]
) -> None:
    url = documents.serve_document(
        "/mcp/client.json",
        client_name="Docs MCP",
        logo_uri="https://docs.example/logo.png",
        scope="invoices:read openid",
    )
    with sessions() as session:
        client = resolve_client(session, url)
        session.commit()
        assert client.kind == "metadata" and client.client_id == url
        assert client.name == "Docs MCP"
        assert redirect_uris_of(client) == ["http://127.0.0.1:33418/callback"]
        assert client.token_endpoint_auth_method == "none" and client.secret_digest is None
        assert client.scope == "invoices:read"
        assert client.application_type == "native"
        label = client_label(client)
        assert (label.domain, label.verified, label.logo_uri) == (
            "127.0.0.1",
            False,
            "https://docs.example/logo.png",
        )
        expires = client.metadata_expires_at
        assert expires is not None
        left = expires - dt.datetime.now(dt.UTC)
        assert dt.timedelta(minutes=9) < left <= dt.timedelta(minutes=10)  # max-age=600
    with sessions() as session:  # cached: no second fetch
        assert resolve_client(session, url).name == "Docs MCP"
    assert documents.hits == {"/mcp/client.json": 1}
    documents.serve_document("/mcp/client.json", client_name="Docs MCP 2")
    with sessions.begin() as session:
        session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id == url)
            .values(metadata_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    with sessions() as session:  # expired: fetched again, and the row follows the document
        assert resolve_client(session, url).name == "Docs MCP 2"
        session.commit()
        assert len(list(session.scalars(select(OAuthClient.id)))) == 1
    assert documents.hits == {"/mcp/client.json": 2}


@pytest.mark.usefixtures("loopback_fetches")
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"client_id": "https://evil.example/client.json"}, "client_id"),
        ({"client_secret": "s3cret"}, "secret"),
        ({"token_endpoint_auth_method": "client_secret_basic"}, "token_endpoint_auth_method"),
        ({"redirect_uris": ["https://app.example/cb#frag"]}, "fragment"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "https"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"grant_types": ["client_credentials"]}, "grant_types"),
    ],
)
def test_a_document_that_breaks_the_rules_identifies_no_client(
    documents: DocumentServer, session: Session, fields: dict[str, object], message: str
) -> None:
    url = documents.serve_document("/client.json", **fields)
    with pytest.raises(UnknownClient, match=message):
        resolve_client(session, url)
    assert session.scalar(select(OAuthClient.id)) is None


@pytest.mark.usefixtures("loopback_fetches")
def test_a_document_must_be_a_small_json_object_answered_with_200(
    documents: DocumentServer, session: Session
) -> None:
    cases = {
        "/missing.json": documents.url("/missing.json"),
        "/html": documents.serve("/html", body=b"<html>hello</html>"),
        "/array": documents.serve("/array", body=[1, 2]),
        "/big.json": documents.serve_document("/big.json", client_name="x" * 6000),
        "/moved.json": documents.redirect("/moved.json", "/client.json"),  # not followed
    }
    documents.serve_document("/client.json")
    for path, url in cases.items():
        assert find_client(session, url) is None, path
    assert "/client.json" not in documents.hits


@pytest.mark.usefixtures("loopback_fetches")
@pytest.mark.parametrize(
    "path", ["", "/", "/a/../client.json", "/a/%2E%2E/client.json", "/client.json#x"]
)
def test_a_client_id_url_needs_a_clean_path(
    documents: DocumentServer, session: Session, path: str
) -> None:
    documents.serve_document("/client.json")
    with pytest.raises(UnknownClient):
        resolve_client(session, documents.base + path)
    assert documents.hits == {}


def test_a_stored_metadata_client_authenticates_at_the_token_endpoint_without_a_fetch(
    live_server: LiveServer,
    documents: DocumentServer,
    sessions: sessionmaker[Session],
    loopback_fetches: None,
) -> None:
    url = documents.serve_document("/client.json")
    with sessions.begin() as session:
        resolve_client(session, url)
    form = {"grant_type": "authorization_code", "code": "nlac_x", "client_id": url}
    passed = httpx.post(f"{live_server.url}/oauth/token", data=form)
    assert passed.status_code == 400 and passed.json()["error"] != "invalid_client"
    unknown = {**form, "client_id": documents.serve_document("/other.json")}
    refused = httpx.post(f"{live_server.url}/oauth/token", data=unknown)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert documents.hits == {"/client.json": 1}  # the token endpoint fetched nothing
