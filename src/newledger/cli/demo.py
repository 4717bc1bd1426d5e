"""``newledger demo``: load the demo company (Northwind Design Studio) and its books."""

from __future__ import annotations

import datetime as dt
import time

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from newledger.cli.common import console, unit_of_work
from newledger.config import get_settings
from newledger.demo import estimate_lines, load_demo, scale_for
from newledger.migrate import upgrade
from newledger.runtime import get_engine


def demo(
    seed: int = typer.Option(
        42, help="Random seed: the same seed and as-of date give the same books"
    ),
    lines: int | None = typer.Option(
        None, "--lines", min=500, help="Scale the history to about this many journal lines"
    ),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Do nothing when the database already has a company"
    ),
    slug: str = typer.Option("northwind", help="URL slug of the demo company"),
    as_of: dt.datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d"], help="Last day of history (default: today)"
    ),
) -> None:
    """Load a believable small company with two years of books, users and drafts to review."""
    upgrade(get_engine())
    day = as_of.date() if as_of else dt.date.today()
    started = time.perf_counter()
    expected = estimate_lines(scale_for(lines))
    with (
        Progress(
            TextColumn("[bold]demo books[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("journal lines"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress,
        unit_of_work() as session,
    ):
        task = progress.add_task("lines", total=expected)
        result = load_demo(
            session,
            seed=seed,
            lines=lines,
            as_of=day,
            slug=slug,
            if_empty=if_empty,
            on_progress=lambda n: progress.advance(task, n),
        )
        if result is not None:
            progress.update(task, total=result.lines, completed=result.lines)
            progress.update(task, description="committing")
    if result is None:
        console.print("The database already has a company: demo not loaded (--if-empty).")
        return
    elapsed = time.perf_counter() - started
    counts = result.counts
    console.print(
        f"Loaded [bold]{result.name}[/bold] ({result.slug}) as of {day}: "
        f"{counts.get('journal_lines', 0):,} journal lines in {counts.get('journal_entries', 0):,} "
        f"entries, {counts.get('invoices', 0):,} invoices, {counts.get('expenses', 0):,} "
        f"expenses and bills, {counts.get('bank_transactions', 0):,} bank transactions, "
        f"{result.drafts} drafts awaiting review ({elapsed:.1f} s)."
    )
    url = get_settings().issuer
    console.print(f"\nSign in at [bold]{url}[/bold] with:")
    for email, role, password in result.users:
        shown = password if password else "(existing user: password unchanged)"
        console.print(f"  {role:<7} {email}  password: {shown}")
    console.print(
        "Two-factor authentication (TOTP) is set up the first time you do something sensitive, "
        "such as approving an OAuth consent or creating an API credential app."
    )
