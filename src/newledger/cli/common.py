"""Helpers shared by CLI commands: a unit of work, error display, the company they act in, and
account labels for tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.db import session_scope
from newledger.errors import DomainError
from newledger.identity.models import Company
from newledger.identity.services import get_company_by_slug
from newledger.ledger.accounts import AccountFilters, list_accounts
from newledger.pagination import MAX_LIMIT, PageRequest
from newledger.runtime import get_sessionmaker

console = Console()
err_console = Console(stderr=True)

COMPANY_OPTION = typer.Option(..., "--company", help="Company slug")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A committed session; a domain error prints clearly and exits with status 1."""
    try:
        with session_scope(get_sessionmaker()) as session:
            yield session
    except DomainError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None


def company_actor(session: Session, slug: str) -> tuple[Company, Actor]:
    """The company ``slug`` names and the actor CLI commands use in it: the system, labelled
    ``cli`` (the CLI runs with server access, so no user's permissions apply)."""
    company = get_company_by_slug(session, slug)
    return company, Actor.system(company.id, label="cli", source="cli")


def account_labels(session: Session, actor: Actor) -> dict[int, str]:
    """``4100 Services Revenue`` by account id, archived accounts too (the first page of the
    chart by code, as many as one service call returns)."""
    every = AccountFilters(include_archived=True)
    page = list_accounts(session, actor, every, PageRequest(limit=MAX_LIMIT, order="code"))
    return {a.id: f"{a.code} {a.name}" for a in page.items}
