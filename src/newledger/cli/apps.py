"""``newledger apps create|list|rotate|revoke|delete|restore``: API credential apps; and
``newledger apps purge-oauth-clients``, the clean-up of OAuth clients that never reached consent."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import orjson
import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import apps as service
from newledger.appconnect.clients import purge_unconsented
from newledger.appconnect.models import App
from newledger.cli.common import company_actor, console, err_console, unit_of_work
from newledger.errors import NotFound, ValidationFailed
from newledger.identity.services import get_company_by_slug, get_user_by_email, user_actor

app = typer.Typer(help="API credential apps (App Connect).", no_args_is_help=True)


def _expiry(value: str | None) -> dt.datetime | None:
    """``2026-12-31`` means valid through that day (UTC); a full ISO timestamp is taken as is."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            "Expiry must be YYYY-MM-DD or an ISO 8601 timestamp", errors={"expires": "invalid"}
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _operator(session: Session, client_id: str) -> Actor:
    """The CLI runs with server access: it acts as the system within the app's company."""
    company_id = session.scalar(select(App.company_id).where(App.client_id == client_id))
    if company_id is None:
        raise NotFound(f"No app {client_id!r}")
    return Actor.system(company_id, label="cli", source="cli")


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        for key, value in data.items():
            console.print(f"{key}: {value}")


@app.command("create")
def create(
    company: str = typer.Option(..., help="Company slug"),
    name: str = typer.Option(..., help="App name"),
    permission: list[str] = typer.Option(..., help="Delegated permission (repeat)"),
    created_by: str = typer.Option(..., help="Email of the delegating user"),
    expires: str | None = typer.Option(None, help="Expiry date YYYY-MM-DD (UTC) or timestamp"),
    description: str = typer.Option("", help="What the app is for (shown to reviewers)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Create an app; prints the client id and the secret, which is shown only this once."""
    with unit_of_work() as session:
        comp = get_company_by_slug(session, company)
        user = get_user_by_email(session, created_by)
        if user is None:
            raise NotFound(f"No user {created_by!r}")
        actor = replace(
            user_actor(session, user, comp.id, source="cli"), label=f"{user.email} (cli)"
        )
        created, secret = service.create_app(
            session,
            actor,
            name=name,
            permissions=permission,
            expires_at=_expiry(expires),
            description=description,
        )
    _print(
        {
            "client_id": created.client_id,
            "client_secret": secret,
            "name": created.name,
            "company": company,
            "permissions": created.permissions.split(),
            "expires_at": _iso(created.expires_at),
        },
        as_json,
    )
    if not as_json:
        err_console.print("Store the secret now: it will not be shown again.")


@app.command("list")
def list_(
    company: str = typer.Option(..., help="Company slug"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """The company's apps with status and effective permissions."""
    with unit_of_work() as session:
        _, actor = company_actor(session, company)
        views = service.list_apps(session, actor)
    rows: list[dict[str, Any]] = [
        {
            "client_id": v.app.client_id,
            "name": v.app.name,
            "status": v.status.value,
            "delegated": sorted(v.delegated),
            "effective": sorted(v.effective),
            "created_by": v.creator_email,
            "created_at": _iso(v.app.created_at),
            "expires_at": _iso(v.app.expires_at),
            "last_used_at": _iso(v.app.last_used_at),
        }
        for v in views
    ]
    if as_json:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("client id", "name", "status", "delegated", "creator", "created", "last used")
    for r in rows:
        table.add_row(
            r["client_id"],
            r["name"],
            r["status"],
            " ".join(r["delegated"]),
            r["created_by"],
            (r["created_at"] or "")[:10],
            (r["last_used_at"] or "never")[:16],
        )
    console.print(table)


@app.command("rotate")
def rotate(
    client_id: str = typer.Argument(..., help="The app's client id"),
    grace_seconds: int = typer.Option(0, help="Keep the old secret valid this long"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Issue a new secret (shown once). Without grace the old secret and its tokens end now."""
    with unit_of_work() as session:
        rotated, secret = service.rotate_secret(
            session, _operator(session, client_id), client_id, grace_seconds=grace_seconds
        )
    _print(
        {
            "client_id": rotated.client_id,
            "client_secret": secret,
            "previous_secret_expires_at": _iso(rotated.previous_secret_expires_at),
        },
        as_json,
    )


def _lifecycle(action: str, client_id: str) -> None:
    fn = {
        "revoked": service.revoke_app,
        "deleted": service.delete_app,
        "restored": service.restore_app,
    }[action]
    with unit_of_work() as session:
        fn(session, _operator(session, client_id), client_id)
    console.print(f"{action} {client_id}")


@app.command("revoke")
def revoke(client_id: str = typer.Argument(..., help="The app's client id")) -> None:
    """End the app's access now: its secret and every token stop working."""
    _lifecycle("revoked", client_id)


@app.command("delete")
def delete(client_id: str = typer.Argument(..., help="The app's client id")) -> None:
    """Delete the app (restorable); its drafts stay for review."""
    _lifecycle("deleted", client_id)


@app.command("restore")
def restore(client_id: str = typer.Argument(..., help="The app's client id")) -> None:
    """Make a revoked or deleted app active again; old tokens stay dead."""
    _lifecycle("restored", client_id)


@app.command("purge-oauth-clients")
def purge_oauth_clients() -> None:
    """Delete OAuth clients that registered themselves (or came from a metadata document) but
    never reached an approved consent within NEWLEDGER_UNCONSENTED_CLIENT_TTL_HOURS. New
    registrations do this too, a batch at a time; this runs it to the end (e.g. from cron)."""
    total = 0
    while True:
        with unit_of_work() as session:
            removed = purge_unconsented(session)
        total += removed
        if not removed:
            break
    console.print(f"removed {total} unconsented OAuth client{'s' if total != 1 else ''}")
