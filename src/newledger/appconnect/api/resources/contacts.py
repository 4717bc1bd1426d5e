"""``/contacts``: customers and vendors; creating and updating them needs ``contacts:write``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.idempotency import Created, IdempotencyKeyHeader, run_create
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import (
    QUERY_TEXT_PATTERN,
    DbId,
    IdPath,
    Page,
    StrictBody,
    WireBool,
)
from newledger.identity.permissions import Permission
from newledger.ledger import contacts as contact_service
from newledger.ledger.contacts import (
    ContactFilters,
    contact_dict,
    create_contact,
    get_contact,
    update_contact,
)
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Contacts"])

Kind = Literal["customer", "vendor", "both"]


class ContactOut(BaseModel):
    id: int
    kind: Kind
    name: str
    email: str
    phone: str
    tax_id: str
    payment_terms_days: int
    default_account_id: int | None
    is_archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactCreate(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    kind: Kind = "customer"
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=64)
    tax_id: str = Field(default="", max_length=64)
    payment_terms_days: int = Field(default=30, ge=0, le=365, strict=True)
    default_account_id: DbId | None = None


class ContactUpdate(StrictBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Kind | None = None
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    tax_id: str | None = Field(default=None, max_length=64)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365, strict=True)
    default_account_id: DbId | None = None
    is_archived: bool | None = Field(default=None, strict=True)


@router.get(
    "/contacts",
    operation_id="listContacts",
    response_model=Page[ContactOut],
    summary="List contacts",
)
async def list_contacts(
    params: Annotated[PageRequest, Depends(list_params)],
    kind: Annotated[Kind | None, Query(description="customer or vendor also lists both")] = None,
    q: Annotated[
        str | None,
        Query(max_length=100, pattern=QUERY_TEXT_PATTERN, description="Name or email contains"),
    ] = None,
    include_archived: WireBool = False,
    ctx: ApiContext = requires(Permission.CONTACTS_READ),
) -> Response:
    filters = ContactFilters(kind=kind, search=q, include_archived=include_archived)
    page = contact_service.list_contacts(ctx.session, ctx.actor, filters, params)
    return ctx.respond(page_json(page, contact_dict))


@router.get(
    "/contacts/{contact_id}",
    operation_id="getContact",
    response_model=ContactOut,
    summary="One contact",
)
async def get_one_contact(
    contact_id: IdPath, ctx: ApiContext = requires(Permission.CONTACTS_READ)
) -> Response:
    return ctx.respond(contact_dict(get_contact(ctx.session, ctx.actor, contact_id)))


@router.post(
    "/contacts",
    operation_id="createContact",
    status_code=201,
    response_model=ContactOut,
    summary="Create a contact",
)
async def post_contact(
    body: ContactCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    ctx: ApiContext = requires(Permission.CONTACTS_WRITE),
) -> Response:
    def create() -> Created:
        contact = create_contact(ctx.session, ctx.actor, **body.model_dump())
        location = f"/api/v1/contacts/{contact.id}"
        return 201, contact_dict(contact), {"Location": location}

    return await run_create(ctx, idempotency_key, create)


@router.patch(
    "/contacts/{contact_id}",
    operation_id="updateContact",
    response_model=ContactOut,
    summary="Update a contact",
)
async def patch_contact(
    contact_id: IdPath, body: ContactUpdate, ctx: ApiContext = requires(Permission.CONTACTS_WRITE)
) -> Response:
    """Send only the fields to change; `default_account_id: null` clears it."""
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k == "default_account_id"
    }
    contact = update_contact(ctx.session, ctx.actor, contact_id, changes)
    data = contact_dict(contact)
    ctx.session.commit()
    return ctx.respond(data)
