"""``load_demo``: create the demo company, its users and its books in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.demo import catalog
from newledger.demo.books import Books
from newledger.demo.credits import add_credit_notes
from newledger.demo.documents import DemoTax, LedgerIds
from newledger.demo.drafts import add_drafts
from newledger.demo.grants import add_demo_grants
from newledger.demo.history import History
from newledger.identity.models import Company, User
from newledger.identity.permissions import Role
from newledger.identity.services import (
    add_member,
    create_company,
    create_user,
    get_user_by_email,
    user_actor,
)
from newledger.ledger.chart import create_standard_chart
from newledger.ledger.models import BankAccount, Expense, Invoice, TaxRate
from newledger.ledger.posting import add_to_daily_balances

__all__ = [
    "DEMO_PASSWORDS",
    "DemoResult",
    "estimate_lines",
    "load_demo",
    "scale_for",
]

# Demo accounts only (is_demo=True): printed on purpose so anyone trying NewLedger can sign in.
DEMO_PASSWORDS = {"owner": "northwind-owner-demo", "viewer": "northwind-viewer-demo"}

# Journal lines ~ _FIXED + _PER_SCALE * scale (measured on the generator; the recurring monthly
# items do not grow with scale). ``--lines N`` solves this for the scale.
_FIXED = 850
_PER_SCALE = 2_288


def estimate_lines(scale: float) -> int:
    return round(_FIXED + _PER_SCALE * scale)


def scale_for(lines: int | None) -> float:
    if lines is None:
        return 1.0
    return max(0.05, (lines - _FIXED) / _PER_SCALE)


@dataclass
class DemoResult:
    company_id: int
    slug: str
    name: str
    users: list[tuple[str, str, str | None]]  # email, role, password (None: existing user)
    counts: dict[str, int] = field(default_factory=dict)
    drafts: int = 0

    @property
    def lines(self) -> int:
        return self.counts.get("journal_lines", 0)


def _user(session: Session, email: str, name: str, password: str) -> tuple[User, str | None]:
    existing = get_user_by_email(session, email)
    if existing is not None:
        return existing, None
    return create_user(session, email=email, name=name, password=password, is_demo=True), password


def load_demo(
    session: Session,
    *,
    seed: int = 42,
    lines: int | None = None,
    as_of: dt.date | None = None,
    slug: str = "northwind",
    name: str = catalog.COMPANY_NAME,
    if_empty: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> DemoResult | None:
    """Load the demo books; returns None when ``if_empty`` and a company already exists.

    The caller commits. The same seed and as-of date always produce the same books.
    """
    if if_empty and session.scalar(select(Company.id).limit(1)) is not None:
        return None
    as_of = as_of or dt.date.today()
    owner, owner_pw = _user(
        session, f"owner@{slug}.example", "Olivia Hart", DEMO_PASSWORDS["owner"]
    )
    viewer, viewer_pw = _user(
        session, f"viewer@{slug}.example", "Victor Lane", DEMO_PASSWORDS["viewer"]
    )
    company = create_company(
        session, name=name, slug=slug, home_currency="USD", fiscal_year_start_month=1, owner=owner
    )
    system = Actor.system(company.id, label="demo", source="demo")
    add_member(session, company=company, user=viewer, role=Role.VIEWER, actor=system)
    accounts = create_standard_chart(session, company)
    banks = dict(
        session.execute(
            select(BankAccount.account_id, BankAccount.id).where(
                BankAccount.company_id == company.id
            )
        ).all()
    )
    codes = {code: acc.id for code, acc in accounts.items()}
    ids = LedgerIds(
        accounts=codes,
        checking=(banks[codes["1000"]], codes["1000"]),
        savings=(banks[codes["1010"]], codes["1010"]),
    )
    session.flush()
    books = Books(
        session.connection(),
        company_id=company.id,
        currency=company.home_currency,
        user_id=owner.id,
        on_flush=on_progress,
    )
    history = History(books, ids, seed=seed, scale=scale_for(lines), as_of=as_of, user_id=owner.id)
    history.docs.sales_tax, history.docs.input_tax = _demo_taxes(session, company.id, codes)
    history.run()
    drafts = add_drafts(history, add_demo_grants(session, company, owner))
    books.flush()
    add_to_daily_balances(session, company.id, books.daily_movements())
    books.fix_sequences()
    # Credit notes go through the services, on top of the bulk-loaded books they credit.
    add_credit_notes(session, user_actor(session, owner, company.id), as_of, ids.checking[0])
    for kind, rows in drafts.items():
        for doc_kind, doc_id, source, label in rows:
            record(
                session,
                Event.INVOICE_DRAFTED if kind == "invoice" else Event.EXPENSE_DRAFTED,
                Actor.system(company.id, label=label or owner.email, source="demo"),
                subject_type=kind,
                subject_id=doc_id,
                details={"draft_source": source, "kind": doc_kind, "demo": True},
            )
    record(
        session,
        Event.DEMO_LOADED,
        system,
        subject_type="company",
        subject_id=company.id,
        details={
            "seed": seed,
            "as_of": as_of.isoformat(),
            "journal_lines": books.counts["journal_lines"],
        },
    )
    return DemoResult(
        company_id=company.id,
        slug=slug,
        name=name,
        users=[
            (owner.email, Role.OWNER.value, owner_pw),
            (viewer.email, Role.VIEWER.value, viewer_pw),
        ],
        counts=dict(books.counts),
        drafts=_awaiting_review(session, company.id),
    )


def _awaiting_review(session: Session, company_id: int) -> int:
    """Drafts the review queue shows (the demo also holds an already rejected one)."""
    return sum(
        session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.company_id == company_id, model.status == "draft")
        )
        or 0
        for model in (Invoice, Expense)
    )


def _demo_taxes(
    session: Session, company_id: int, codes: dict[str, int]
) -> tuple[DemoTax, DemoTax]:
    """A 7.25 % sales tax charged to about one customer in three, and a 20 % VAT-like input tax
    paid to about one vendor in four."""
    sales = TaxRate(
        company_id=company_id, name="State sales tax 7.25%", rate=Decimal("7.25"),
        kind="sales", account_id=codes["2200"], is_active=True, version=1,
    )  # fmt: skip
    vat = TaxRate(
        company_id=company_id, name="Input VAT 20%", rate=Decimal("20"),
        kind="purchase", account_id=codes["1400"], is_active=True, version=1,
    )  # fmt: skip
    session.add_all([sales, vat])
    session.flush()
    return (
        DemoTax(sales.id, sales.rate, sales.account_id, every=3),
        DemoTax(vat.id, vat.rate, vat.account_id, every=4),
    )
