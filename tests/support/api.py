"""Set-up for the REST API tests: a company with books, an API credential app, its tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.permissions import DELEGABLE
from newledger.ledger.chart import create_standard_chart
from newledger.ledger.contacts import create_contact
from newledger.ledger.invoices import create_draft_invoice
from tests.support.appconnect import Credential, Tenant, make_app, make_tenant, token_for

ALL = tuple(sorted(p.value for p in DELEGABLE))
READ_ONLY = tuple(p for p in ALL if p.endswith(":read"))


@dataclass
class Books:
    tenant: Tenant
    customer_id: int
    invoice_ids: list[int] = field(default_factory=list)

    @property
    def company_id(self) -> int:
        return self.tenant.company.id


def make_books(sessions: sessionmaker[Session], invoices: int = 3) -> Books:
    """A company with the standard chart, one customer and ``invoices`` draft invoices."""
    tenant = make_tenant(sessions)
    with sessions.begin() as session:
        create_standard_chart(session, tenant.company)
        actor = tenant.actor(session)
        customer = create_contact(session, actor, name="Globex Corp", kind="customer")
        books = Books(tenant, customer.id)
        for i in range(invoices):
            invoice = create_draft_invoice(
                session,
                actor,
                contact_id=customer.id,
                issue_date=dt.date(2025, 1, 1) + dt.timedelta(days=i),
                lines=[{"description": f"Work {i}", "quantity": "1", "unit_price": "100.00"}],
            )
            books.invoice_ids.append(invoice.id)
    return books


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
