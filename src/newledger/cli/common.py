"""Helpers shared by CLI commands: a unit of work and error display."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from newledger.db import session_scope
from newledger.errors import DomainError
from newledger.runtime import get_sessionmaker

console = Console()
err_console = Console(stderr=True)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A committed session; a domain error prints clearly and exits with status 1."""
    try:
        with session_scope(get_sessionmaker()) as session:
            yield session
    except DomainError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
