"""Activity: the company's audit log, filtered, paginated, exportable as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from collections.abc import Iterator, Sequence
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.appconnect.models import App, OAuthClient, OAuthConnection
from newledger.audit.models import Activity
from newledger.audit.queries import ActivityFilters, actor_labels, iter_activity, list_activity
from newledger.audit.tags import Event
from newledger.identity.permissions import Permission
from newledger.runtime import get_sessionmaker
from newledger.web.csvcells import csv_cell
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.pager import page_link_errors, page_request, pager
from newledger.web.templating import render
from newledger.web.views.appconnect.apps import BASE as APPS_BASE
from newledger.web.views.appconnect.connections import BASE as CONNECTIONS_BASE

router = web_router()
_read = require_permission(Permission.ACTIVITY_READ)
CSV_COLUMNS = (
    "time",
    "event",
    "actor_type",
    "actor",
    "source",
    "subject_type",
    "subject_id",
    "ip",
    "user_agent",
    "details",
)


def _date(value: str, field: str, errors: dict[str, str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[field] = "Use a date like 2025-01-31."
        return None


def _filter(request: Request) -> tuple[ActivityFilters, dict[str, str], dict[str, str]]:
    q = request.query_params
    raw = {k: q.get(k, "").strip() for k in ("event", "actor", "since", "until")}
    errors: dict[str, str] = {}
    event = raw["event"] if raw["event"] in {e.value for e in Event} else ""
    if raw["event"] and not event:
        errors["event"] = "Unknown event type."
    flt = ActivityFilters(
        event=event or None,
        actor=raw["actor"] or None,
        since=_date(raw["since"], "since", errors),
        until=_date(raw["until"], "until", errors),
    )
    return flt, raw, errors


Link = tuple[str, str]  # (name, url)


def grant_links(session: Session, company_id: int, rows: Sequence[Activity]) -> dict[str, Link]:
    """Names and pages of the apps and connections ``rows`` mention, as actor or subject, keyed
    ``app:<id>`` / ``connection:<id>``: the log stores ids, and shows what they are now."""
    apps = {r.actor_app_id for r in rows} | {r.subject_id for r in rows if r.subject_type == "app"}
    conns = {r.actor_connection_id for r in rows}
    conns |= {r.subject_id for r in rows if r.subject_type == "connection"}
    links: dict[str, Link] = {}
    if ids := {i for i in apps if i is not None}:
        apps_query = select(App.id, App.name, App.client_id).where(
            App.company_id == company_id, App.id.in_(ids)
        )
        for app_id, name, client_id in session.execute(apps_query):
            links[f"app:{app_id}"] = (name, f"{APPS_BASE}/{client_id}")
    if ids := {i for i in conns if i is not None}:
        query = (
            select(OAuthConnection.id, OAuthClient.name)
            .join(OAuthClient, OAuthClient.id == OAuthConnection.client_pk)
            .where(OAuthConnection.company_id == company_id, OAuthConnection.id.in_(ids))
        )
        for connection_id, name in session.execute(query):
            links[f"connection:{connection_id}"] = (name, f"{CONNECTIONS_BASE}/{connection_id}")
    return links


@router.get("/activity")
def activity_page(request: Request, ctx: WebContext = Depends(_read)) -> Response:
    flt, raw, errors = _filter(request)
    asked = page_request(request, "newest")
    with page_link_errors():
        page = list_activity(ctx.db, ctx.actor, flt, asked)
    query = {k: v for k, v in raw.items() if v}
    links = grant_links(ctx.db, ctx.actor.company_scope(), page.items)
    return render(
        request,
        "activity.html",
        ctx,
        status=422 if errors else 200,
        rows=page.items,
        links=links,
        pager=pager("/activity", raw, asked, page),
        filters=raw,
        errors=errors,
        events=[e.value for e in Event],
        actors=actor_labels(ctx.db, ctx.actor),
        csv_url="/activity.csv" + ("?" + urlencode(query) if query else ""),
    )


def _row(a: Activity) -> list[str]:
    return [
        csv_cell(v)
        for v in (
            a.created_at.isoformat(),
            a.event,
            a.actor_type,
            a.actor_label,
            a.source,
            a.subject_type,
            a.subject_id,
            a.ip,
            a.user_agent,
            json.dumps(a.details, sort_keys=True) if a.details else "",
        )
    ]


@router.get("/activity.csv")
def activity_csv(request: Request, ctx: WebContext = Depends(_read)) -> Response:
    assert ctx.company is not None
    flt, raw, errors = _filter(request)
    if errors:
        # An export of everything when the filters were mistyped would hand over rows the
        # person did not ask for: send them to the page, which shows what to correct.
        query = {k: v for k, v in raw.items() if v}
        return RedirectResponse("/activity?" + urlencode(query), status_code=303)
    actor, slug = ctx.actor, ctx.company.slug
    # Streams after the view returns: a session of its own, not the request's. The query runs
    # here, before the response starts, so a failing query is an error page and never a file
    # cut off after its header.
    db = get_sessionmaker()()
    try:
        activities = iter_activity(db, actor, flt)
        first = next(activities, None)
    except BaseException:
        db.close()
        raise

    def lines() -> Iterator[str]:
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(CSV_COLUMNS)
            rows = itertools.chain([first] if first is not None else [], activities)
            for i, activity in enumerate(rows, 1):
                writer.writerow(_row(activity))
                if i % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
        finally:
            db.close()

    filename = f"activity-{slug}-{dt.date.today().isoformat()}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
