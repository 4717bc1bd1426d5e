"""Set-up for the REST API tests: an API credential app on ``support.books`` books, its client."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.permissions import DELEGABLE
from tests.support.appconnect import Credential, make_app, token_for
from tests.support.books import Books

ALL = tuple(sorted(p.value for p in DELEGABLE))
READ_ONLY = tuple(p for p in ALL if p.endswith(":read"))


class Api:
    """An httpx client for ``/api/v1`` with one app's bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=f"{base_url}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def api_for(
    base_url: str,
    sessions: sessionmaker[Session],
    books: Books,
    *permissions: str,
    name: str = "Sync Bot",
) -> tuple[Api, Credential]:
    cred = make_app(sessions, books.tenant, *(permissions or ALL), name=name)
    return Api(base_url, token_for(base_url, cred)), cred


def invoice_body(customer_id: int, price: str = "250.00", **extra: Any) -> dict[str, Any]:
    return {
        "contact_id": customer_id,
        "issue_date": "2025-03-01",
        "lines": [{"description": "Design sprint", "quantity": "2", "unit_price": price}],
        **extra,
    }
