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
from sqlalchemy import select

from newledger.cli.common import console, unit_of_work
from newledger.config import get_settings
from newledger.demo import estimate_lines, load_demo, scale_for
from newledger.demo.loader import DEMO_PASSWORDS
from newledger.identity.models import Company, Membership, User
from newledger.identity.passwords import verify_password
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
    if if_empty:
        with unit_of_work() as session:
            has_company = session.scalar(select(Company.id).limit(1)) is not None
        if has_company:
            console.print("The database already has a company: demo not loaded (--if-empty).")
            print_sign_in()
            return
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
    print_sign_in()


def print_sign_in() -> None:
    """Tell whoever ran ``make run`` how to sign in: the demo users and how TOTP works here."""
    with unit_of_work() as session:
        rows = session.execute(
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(User.is_demo.is_(True))
            .order_by(Membership.id)
        ).all()
        users = [
            (
                user.email,
                role,
                DEMO_PASSWORDS.get(role),
                user.totp_enabled_at is not None,
                user.password_hash,
            )
            for user, role in rows
        ]
    if not users:
        return
    console.print(f"\nSign in at [bold]{get_settings().issuer}[/bold] with:")
    seen: set[str] = set()
    for email, role, password, has_totp, password_hash in users:
        if email in seen:
            continue
        seen.add(email)
        # Only print the well-known demo password while it still works.
        shown = password if password and verify_password(password_hash, password) else "(changed)"
        totp_state = "TOTP on" if has_totp else "TOTP not set up yet"
        console.print(f"  {role:<7} {email}  password: {shown}  ({totp_state})")
    console.print(
        "Two-factor authentication (TOTP): open Settings → Security → Set up two-factor "
        "authentication, add the shown secret to any authenticator app (or scan the QR code) and "
        "confirm with a code. Sensitive actions (creating, rotating, revoking or deleting an API "
        "credential app; inviting or removing members, changing roles, deactivating someone; "
        "OAuth consent) ask for a fresh code.\n"
        "Demo accounts only, in demo mode (make run sets NEWLEDGER_DEMO_MODE=true): once TOTP is "
        "on, the sign-in code page also shows the current code, so you can try NewLedger without "
        "a phone. Real accounts never see this."
    )
