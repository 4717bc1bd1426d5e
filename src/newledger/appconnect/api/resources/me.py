"""``/me``, ``/company`` and ``/activity``: who is calling, for which company, and its log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, bearer_token, requires
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import QUERY_TEXT_PATTERN
from newledger.appconnect.api.schemas import Page as PageModel
from newledger.appconnect.models import App
from newledger.appconnect.tokens import parse_access_token
from newledger.audit import queries as activity_service
from newledger.audit.models import Activity
from newledger.audit.queries import ActivityFilters
from newledger.errors import NotFound
from newledger.identity.models import Company
from newledger.identity.permissions import Permission
from newledger.identity.services import get_company
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Me and company"])


class CompanyOut(BaseModel):
    id: int
    name: str
    slug: str
    home_currency: str
    fiscal_year_start_month: int
    created_at: dt.datetime


class GrantOut(BaseModel):
    id: int
    name: str
    client_id: str | None = None


class TokenOut(BaseModel):
    issued_at: dt.datetime
    expires_at: dt.datetime
    scope: list[str]


class MeOut(BaseModel):
    type: str
    app: GrantOut | None = None
    connection: GrantOut | None = None
    company: CompanyOut
    permissions: list[str]
    token: TokenOut


class ActivityActor(BaseModel):
    type: str
    label: str
    user_id: int | None
    app_id: int | None
    connection_id: int | None


class ActivityOut(BaseModel):
    id: int
    event: str
    actor: ActivityActor
    source: Literal["web", "api", "mcp", "cli", "demo", "system", ""] = Field(
        description="How the action came in: the browser, REST API v1, MCP, the command "
        "line, the demo loader or the system itself; empty for rows older than this field."
    )
    subject_type: str | None
    subject_id: int | None
    details: dict[str, Any]
    occurrences: int = Field(
        description="How many times this happened: refused requests are recorded once per "
        "client, reason and minute, with a count; every other event is 1."
    )
    created_at: dt.datetime


def company_dict(company: Company) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "slug": company.slug,
        "home_currency": company.home_currency,
        "fiscal_year_start_month": company.fiscal_year_start_month,
        "created_at": company.created_at.isoformat(),
    }


def _company(ctx: ApiContext) -> Company:
    company = ctx.session.get(Company, ctx.company_id)
    if company is None:
        raise NotFound("This token's company no longer exists.")
    return company


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


@router.get(
    "/me",
    operation_id="getMe",
    response_model=MeOut,
    summary="Which app or connection this token is",
)
async def me(ctx: ApiContext = requires(None)) -> Response:
    """The app (or OAuth connection) behind this token, its company, its effective permissions
    (token scope ∩ delegated ∩ the delegating user's current permissions) and the token's
    expiry. Needs no particular permission."""
    actor = ctx.actor
    claims = parse_access_token(bearer_token(ctx.request))
    out: dict[str, Any] = {
        "type": actor.type,
        "company": company_dict(_company(ctx)),
        "permissions": sorted(actor.permissions),
        "token": {
            "issued_at": _iso(claims.issued_at),
            "expires_at": _iso(claims.expires_at),
            "scope": sorted(claims.scope),
        },
    }
    if actor.app_id is not None:
        client_id = ctx.session.scalar(select(App.client_id).where(App.id == actor.app_id))
        out["app"] = {"id": actor.app_id, "name": actor.label, "client_id": client_id}
    if actor.connection_id is not None:
        out["connection"] = {"id": actor.connection_id, "name": actor.label}
    return ctx.respond(out)


@router.get(
    "/company",
    operation_id="getCompany",
    response_model=CompanyOut,
    summary="The company's profile",
)
async def company(ctx: ApiContext = requires(Permission.COMPANY_READ)) -> Response:
    return ctx.respond(company_dict(get_company(ctx.session, ctx.actor)))


def activity_dict(row: Activity) -> dict[str, Any]:
    return {
        "id": row.id,
        "event": row.event,
        "actor": {
            "type": row.actor_type,
            "label": row.actor_label,
            "user_id": row.actor_user_id,
            "app_id": row.actor_app_id,
            "connection_id": row.actor_connection_id,
        },
        "source": row.source,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "details": row.details or {},
        "occurrences": row.occurrences,
        "created_at": row.created_at.isoformat(),
    }


@router.get(
    "/activity",
    operation_id="listActivity",
    response_model=PageModel[ActivityOut],
    summary="The company's activity log",
)
async def list_activity(
    params: Annotated[PageRequest, Depends(list_params)],
    event: Annotated[
        str | None,
        Query(
            max_length=80,
            pattern=QUERY_TEXT_PATTERN,
            description="Only this event, e.g. ledger:invoice:drafted",
        ),
    ] = None,
    ctx: ApiContext = requires(Permission.ACTIVITY_READ),
) -> Response:
    """The company's activity and its members' sign-in and two-factor events while they were
    members (as on the Activity page), oldest first; `updated_since` filters on the time the
    activity was recorded."""
    filters = ActivityFilters(event=event)
    page = activity_service.list_activity(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, activity_dict))
