"""``/contacts``: customers and vendors; creating and updating them needs ``contacts:write``.

A contact may carry another system's id (``external_id``, say the CRM's), unique in the
company: ``PUT /contacts/by-external-id/{external_id}`` creates the contact with that id or
updates the one that has it (Stripe's and Xero's "upsert by your own id"), so a sync job can
send the same record again and again and never make a second contact.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.etag import OptionalIfMatchHeader, etag, if_match_write, stale
from newledger.appconnect.api.idempotency import Created, IdempotencyKeyHeader, run_create
from newledger.appconnect.api.pagination import list_params, page_json
from newledger.appconnect.api.schemas import (
    QUERY_TEXT_PATTERN,
    TEXT_PATTERN,
    CountryCode,
    DbId,
    IdPath,
    Page,
    StrictBody,
    WireBool,
)
from newledger.identity.permissions import Permission
from newledger.ledger import contacts as contact_service
from newledger.ledger.contact_fields import EXTERNAL_ID_PATTERN
from newledger.ledger.contacts import (
    ContactFilters,
    contact_dict,
    contact_version,
    create_contact,
    get_contact,
    update_contact,
    upsert_contact,
)
from newledger.ledger.models import Contact
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(tags=["Contacts"])

Kind = Literal["customer", "vendor", "both"]
ExternalId = Annotated[
    str,
    Field(
        max_length=100,
        pattern=EXTERNAL_ID_PATTERN,
        description="Your system's id for the contact (a CRM's, say); unique in the company.",
        examples=["crm-0042"],
    ),
]
_EXTERNAL_ID_TAKEN: dict[int | str, dict[str, Any]] = {
    409: {"description": "Another contact has this `external_id` (`external_id_taken`)"}
}


def _text(limit: int) -> Any:
    return Field(default="", max_length=limit, pattern=TEXT_PATTERN)


class Address(StrictBody):
    """A postal address; the country is an ISO 3166-1 alpha-2 code."""

    # One ``Address`` schema for requests and answers (not ``Address-Input``/``-Output``).
    model_config = ConfigDict(extra="forbid", json_schema_mode_override="validation")

    line1: str = _text(200)
    line2: str = _text(200)
    city: str = _text(100)
    region: str = Field(
        default="", max_length=100, pattern=TEXT_PATTERN, description="State or province"
    )
    postal_code: str = _text(20)
    country: CountryCode


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
    external_id: str | None
    billing_address: Address | None
    shipping_address: Address | None
    version: int = Field(description='Bumped by every change; the `ETag` is `W/"<version>"`.')
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
    external_id: ExternalId | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None


class ContactUpdate(StrictBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Kind | None = None
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    tax_id: str | None = Field(default=None, max_length=64)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365, strict=True)
    default_account_id: DbId | None = None
    is_archived: bool | None = Field(default=None, strict=True)
    external_id: ExternalId | None = Field(default=None, description="`null` removes it.")
    billing_address: Address | None = Field(default=None, description="`null` removes it.")
    shipping_address: Address | None = Field(default=None, description="`null` removes it.")


class ContactUpsert(StrictBody):
    """The contact's fields; `name` is required when the contact is new."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Kind | None = Field(default=None, description="Default for a new contact: customer.")
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    tax_id: str | None = Field(default=None, max_length=64)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365, strict=True)
    default_account_id: DbId | None = None
    is_archived: bool | None = Field(default=None, strict=True)
    billing_address: Address | None = Field(default=None, description="`null` removes it.")
    shipping_address: Address | None = Field(default=None, description="`null` removes it.")


# Fields that ``null`` clears; any other field sent as ``null`` is left as it is.
_NULLABLE = ("default_account_id", "external_id", "billing_address", "shipping_address")


def _changes(body: ContactUpdate | ContactUpsert) -> dict[str, Any]:
    return {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in _NULLABLE
    }


def _written(contact: Contact, status: int = 200, **headers: str) -> Created:
    return status, contact_dict(contact), {"ETag": etag(contact.version), **headers}


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
    external_id: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=EXTERNAL_ID_PATTERN,
            description="Only the contact with this external id, archived or not",
        ),
    ] = None,
    ctx: ApiContext = requires(Permission.CONTACTS_READ),
) -> Response:
    filters = ContactFilters(
        kind=kind, search=q, include_archived=include_archived, external_id=external_id
    )
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
    """The `ETag` is what an update may send as `If-Match`."""
    contact = get_contact(ctx.session, ctx.actor, contact_id)
    return ctx.respond(contact_dict(contact), headers={"ETag": etag(contact.version)})


@router.post(
    "/contacts",
    operation_id="createContact",
    status_code=201,
    response_model=ContactOut,
    summary="Create a contact",
    responses=_EXTERNAL_ID_TAKEN,
)
async def post_contact(
    body: ContactCreate,
    idempotency_key: IdempotencyKeyHeader = None,
    ctx: ApiContext = requires(Permission.CONTACTS_WRITE),
) -> Response:
    def create() -> Created:
        contact = create_contact(ctx.session, ctx.actor, **body.model_dump())
        return _written(contact, 201, Location=f"/api/v1/contacts/{contact.id}")

    return await run_create(ctx, idempotency_key, create)


@router.patch(
    "/contacts/{contact_id}",
    operation_id="updateContact",
    response_model=ContactOut,
    summary="Update a contact",
    responses=_EXTERNAL_ID_TAKEN,
)
async def patch_contact(
    contact_id: IdPath,
    body: ContactUpdate,
    if_match: OptionalIfMatchHeader = None,
    ctx: ApiContext = requires(Permission.CONTACTS_WRITE),
) -> Response:
    """Send only the fields to change; `null` clears `default_account_id`, `external_id` and
    an address. With `If-Match`, the update happens only if the contact is still that
    version (412 otherwise)."""
    changes = _changes(body)

    def write(version: int | None) -> Contact:
        return update_contact(ctx.session, ctx.actor, contact_id, changes, expected_version=version)

    if if_match is None:
        contact = write(None)
    else:
        current = contact_version(ctx.session, ctx.actor, contact_id=contact_id)
        contact = if_match_write(if_match, current, write)
    status, data, headers = _written(contact)
    ctx.session.commit()
    return ctx.respond(data, status, headers)


@router.put(
    "/contacts/by-external-id/{external_id}",
    operation_id="upsertContactByExternalId",
    response_model=ContactOut,
    summary="Create or update the contact with this external id",
    responses={
        201: {"model": ContactOut, "description": "Created"},
        **_EXTERNAL_ID_TAKEN,
    },
)
async def put_contact_by_external_id(
    external_id: Annotated[
        str,
        Path(max_length=100, pattern=EXTERNAL_ID_PATTERN, description="Your system's id"),
    ],
    body: ContactUpsert,
    if_match: OptionalIfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    ctx: ApiContext = requires(Permission.CONTACTS_WRITE),
) -> Response:
    """No contact has `external_id` yet: one is made (201, `name` required). Else that
    contact gets the fields sent (200); the others keep their values. Sending it again is
    harmless, and two at once still make one contact. `If-Match` applies to an existing
    contact (412 when it is stale, or when no contact has this id yet)."""

    changes = _changes(body)

    def write(version: int | None) -> tuple[Contact, bool]:
        return upsert_contact(
            ctx.session, ctx.actor, external_id, changes, expected_version=version
        )

    def upsert() -> Created:
        if if_match is None:
            contact, created = write(None)
        else:
            current = contact_version(ctx.session, ctx.actor, external_id=external_id)
            if current is None:
                raise stale(None)
            contact, created = if_match_write(if_match, current, write)
        if not created:
            return _written(contact)
        return _written(contact, 201, Location=f"/api/v1/contacts/{contact.id}")

    return await run_create(ctx, idempotency_key, upsert)
