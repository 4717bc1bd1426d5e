"""``newledger users create|list``."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from newledger.actor import Actor
from newledger.cli.common import console, unit_of_work
from newledger.identity import services
from newledger.identity.models import User

app = typer.Typer(help="Users and memberships.", no_args_is_help=True)


@app.command("create")
def create(
    email: str = typer.Option(..., help="Sign-in email"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters"
    ),
    name: str = typer.Option("", help="Display name"),
    company: str | None = typer.Option(None, help="Company slug to join"),
    role: str = typer.Option("viewer", help="owner | admin | accountant | bookkeeper | viewer"),
) -> None:
    """Create a user, optionally as a member of a company."""
    with unit_of_work() as session:
        user = services.create_user(session, email=email, name=name, password=password)
        if company:
            comp = services.get_company_by_slug(session, company)
            services.add_member(
                session,
                company=comp,
                user=user,
                role=role,
                actor=Actor.system(comp.id, label="cli"),
            )
    console.print(f"created user {user.email}" + (f" ({role} of {company})" if company else ""))


@app.command("list")
def list_users() -> None:
    """List users."""
    with unit_of_work() as session:
        table = Table("id", "email", "name", "2FA")
        for user in session.scalars(select(User).order_by(User.id)):
            table.add_row(str(user.id), user.email, user.name, "on" if user.totp_enabled_at else "")
    console.print(table)
