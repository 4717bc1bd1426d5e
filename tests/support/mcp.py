"""Shared set-up for the MCP tests: the demo books, an app with a token bound to an MCP URL, and
the official SDK client (``mcp`` 2.3) in either protocol era."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mcp import Client
from newledger.appconnect import apps
from newledger.demo import load_demo
from newledger.identity.models import Company, User
from newledger.identity.services import user_actor
from tests.support.appconnect import Credential, basic

AS_OF = dt.date(2026, 3, 31)
LEGACY = "legacy"
MODERN = "2026-07-28"
ERAS = (LEGACY, MODERN)
PV = {LEGACY: "2025-11-25", MODERN: MODERN}
EVERY_READ = (
    "company:read reports:read invoices:read expenses:read contacts:read bank:read payments:read"
)


@dataclass(frozen=True)
class Demo:
    company_id: int
    slug: str
    owner_id: int


def demo_books(sessions: sessionmaker[Session]) -> Demo:
    """The demo company ``northwind`` as of ``AS_OF`` (loaded once into an empty database)."""
    with sessions.begin() as session:
        company = session.scalar(select(Company).where(Company.slug == "northwind"))
        if company is None:
            result = load_demo(session, as_of=AS_OF)
            assert result is not None
            company = session.get(Company, result.company_id)
        assert company is not None
        owner = session.scalar(select(User).where(User.email == "owner@northwind.example"))
        assert owner is not None
        return Demo(company.id, company.slug, owner.id)


def demo_app(
    sessions: sessionmaker[Session], demo: Demo, *permissions: str, name: str = "Claude"
) -> Credential:
    """An API credential app of the demo company's owner, delegating ``permissions``."""
    with sessions.begin() as session:
        owner = session.get(User, demo.owner_id)
        assert owner is not None
        app, secret = apps.create_app(
            session,
            user_actor(session, owner, demo.company_id),
            name=name,
            permissions=list(permissions),
        )
        return Credential(app.client_id, secret, app.id)


def mcp_url(base_url: str, slug: str | None) -> str:
    return f"{base_url}/mcp/{slug}" if slug else f"{base_url}/mcp"


def mcp_token(
    base_url: str, cred: Credential, resource: str | None, scope: str | None = None
) -> str:
    data = {"grant_type": "client_credentials"}
    if resource is not None:
        data["resource"] = resource
    if scope is not None:
        data["scope"] = scope
    response = httpx.post(
        f"{base_url}/oauth/token", data=data, headers=basic(cred.client_id, cred.secret)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@asynccontextmanager
async def mcp_client(url: str, token: str, era: str) -> AsyncIterator[Client]:
    """The official SDK client connected to ``url`` with a bearer token, in ``era``
    (``legacy``: the 2025-11-25 initialize handshake; ``2026-07-28``: stateless)."""
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http, Client(streamable_http_client(url, http_client=http), mode=era) as client:
        yield client


def rpc(
    url: str,
    token: str | None,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    era: str = LEGACY,
    headers: dict[str, str] | None = None,
) -> httpx2.Response | httpx.Response:
    """One raw JSON-RPC POST, as a client of ``era`` sends it (no handshake)."""
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
    sent = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": PV[era],
    }
    if era == MODERN:
        params = {
            **(params or {}),
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        }
        sent["Mcp-Method"] = method
        if method == "tools/call" and params and "name" in params:
            sent["Mcp-Name"] = str(params["name"])
    if params is not None:
        body["params"] = params
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return httpx.post(url, json=body, headers={**sent, **(headers or {})})
