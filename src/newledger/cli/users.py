"""``newledger users create|list|deactivate|reactivate|reset-password|reset-2fa``."""

from __future__ import annotations

import secrets

import typer
from rich.table import Table
from sqlalchemy import select

from newledger.actor import Actor
from newledger.cli.common import company_actor, console, unit_of_work
from newledger.identity import accounts, second_factor, services, twofactor
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
            comp, actor = company_actor(session, company)
            services.add_member(session, company=comp, user=user, role=role, actor=actor)
    console.print(f"created user {user.email}" + (f" ({role} of {company})" if company else ""))


@app.command("list")
def list_users() -> None:
    """List users."""
    with unit_of_work() as session:
        table = Table("id", "email", "name", "2FA")
        for user in session.scalars(select(User).order_by(User.id)):
            table.add_row(str(user.id), user.email, user.name, _factors(user))
    console.print(table)


def _factors(user: User) -> str:
    if not twofactor.has_second_factor(user):
        return ""
    kinds = (["TOTP"] if user.totp_enabled_at else []) + (
        [f"{len(user.passkeys)} passkey(s)"] if user.passkeys else []
    )
    return ", ".join(kinds)


def _admin() -> Actor:
    return Actor.system(None, label="cli", source="cli")


@app.command("deactivate")
def deactivate(email: str = typer.Option(..., help="Sign-in email")) -> None:
    """Deactivate a user: no sign-in, sessions end, apps they created are revoked."""
    with unit_of_work() as session:
        user = accounts.user_by_email(session, email)
        ended = accounts.deactivate_user(session, user=user, actor=_admin())
    console.print(f"deactivated {user.email}; {ended} app(s) revoked")


@app.command("reactivate")
def reactivate(email: str = typer.Option(..., help="Sign-in email")) -> None:
    """Let a deactivated user sign in again (their revoked apps stay revoked)."""
    with unit_of_work() as session:
        user = accounts.user_by_email(session, email)
        accounts.reactivate_user(session, user=user, actor=_admin())
    console.print(f"reactivated {user.email}")


@app.command("reset-password")
def reset_password(
    email: str = typer.Option(..., help="Sign-in email"),
    generate: bool = typer.Option(
        False, "--generate", help="Make a one-time password and print it, instead of prompting"
    ),
) -> None:
    """Set a user's password (prompted, or generated and printed once); their sessions end."""
    if generate:
        password = secrets.token_urlsafe(15)
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    with unit_of_work() as session:
        user = accounts.user_by_email(session, email)
        accounts.reset_password(session, user=user, new=password, actor=_admin())
    console.print(f"password reset for {user.email}; their sessions were signed out")
    if generate:
        # Printed to the terminal only, once; never logged or recorded.
        console.print(
            f"temporary password: {password} (ask them to change it under Settings → Security)"
        )


@app.command("reset-2fa")
def reset_2fa(email: str = typer.Option(..., help="Sign-in email")) -> None:
    """Clear a locked-out user's second factors (TOTP, passkeys, recovery codes); their
    sessions end, and they set a second factor up again after signing in with their password."""
    with unit_of_work() as session:
        user = accounts.user_by_email(session, email)
        done = second_factor.reset(session, user=user, actor=_admin())
    totp_state = "turned off" if done["totp_was_on"] else "was off"
    console.print(
        f"second factors reset for {user.email}: TOTP {totp_state}, "
        f"{done['passkeys_removed']} passkey(s) removed; their sessions were signed out"
    )
