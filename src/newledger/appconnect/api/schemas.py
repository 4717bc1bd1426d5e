"""Pydantic models shared by the API's resources, used for request bodies and for documenting
responses in the OpenAPI document. Handlers serialise with orjson directly (no per-response
model validation), so these models describe the wire format rather than build it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from newledger.ledger.addresses import COUNTRY_CODES
from newledger.money import CURRENCIES

__all__ = [
    "AMOUNT_PATTERN",
    "MAX_ID",
    "QUERY_TEXT_PATTERN",
    "TEXT_PATTERN",
    "Amount",
    "CountryCode",
    "CurrencyCode",
    "Day",
    "DbId",
    "IdPath",
    "ItemCode",
    "Page",
    "Problem",
    "StrictBody",
    "Timestamp",
    "WireBool",
]

T = TypeVar("T")

# A decimal string: amounts are never JSON numbers, so no float ever touches money.
AMOUNT_PATTERN = r"^-?\d{1,13}(\.\d{1,4})?$"
Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN, examples=["1250.00"])]
# Ids are 32-bit in the database; a larger number is a 422, never a driver overflow. In a body an
# id is a JSON integer: "5", 5.0 and true are refused, not coerced.
MAX_ID = 2_147_483_647
DbId = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
# Books live between these days; outside them date arithmetic (terms, aging buckets, comparison
# periods) could leave Python's date range, so such input is a 422 at the edge.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


_DAY = r"(19\d\d|2\d\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
DAY_PATTERN = f"^{_DAY}$"
# RFC 3339 date-time; without a zone it is read as UTC.
_TIME = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
_ZONE = r"([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)"
TIMESTAMP_PATTERN = f"^{_DAY}[Tt ]{_TIME}{_ZONE}?$"
_DAY_RE = re.compile(DAY_PATTERN)
_TIMESTAMP_RE = re.compile(TIMESTAMP_PATTERN)


def _iso_day(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` text is a day: ``0`` or ``1.5`` are not read as Unix times."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DAY_RE.match(value):
        raise ValueError(f"must be a date, YYYY-MM-DD, between {FIRST_DAY} and {LAST_DAY}")
    return value


def _iso_timestamp(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _TIMESTAMP_RE.match(value):
        raise ValueError("must be an ISO 8601 date and time, e.g. 2025-03-01T09:30:00Z")
    return value


def _wire_bool(value: Any) -> Any:
    """``true`` or ``false``, as JSON or in a query string; never ``0``, ``1``, ``yes``."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("must be true or false")


Day = Annotated[
    dt.date,
    BeforeValidator(_iso_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]
Timestamp = Annotated[
    dt.datetime,
    BeforeValidator(_iso_timestamp),
    # No ``format: date-time``: that needs a zone, and a time without one is read as UTC.
    WithJsonSchema({"type": "string", "pattern": TIMESTAMP_PATTERN}),
]
WireBool = Annotated[bool, BeforeValidator(_wire_bool), WithJsonSchema({"type": "boolean"})]


# ISO 4217 codes this server books in; the document lists them, so a client knows them upfront.
def _known_currency(code: str) -> str:
    if code not in CURRENCIES:
        raise ValueError("not a currency this server books in")
    return code


CurrencyCode = Annotated[
    str,
    AfterValidator(_known_currency),
    Field(
        pattern=r"^[A-Z]{3}$",
        examples=["USD"],
        json_schema_extra={"enum": sorted(CURRENCIES)},
    ),
]


# ISO 3166-1 alpha-2, as the ledger checks it (``ledger.addresses``), listed like currencies.
def _known_country(code: str) -> str:
    if code not in COUNTRY_CODES:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return code


CountryCode = Annotated[
    str,
    AfterValidator(_known_country),
    Field(
        pattern=r"^[A-Z]{2}$",
        examples=["DE"],
        json_schema_extra={"enum": sorted(COUNTRY_CODES)},
    ),
]
# Text never contains NUL: PostgreSQL cannot store it.
TEXT_PATTERN = r"^[^\x00]*$"
# An item's code, as a CRM or shop sends it (``newledger.ledger.items``: unique per company).
ItemCode = Annotated[
    str, Field(min_length=1, max_length=30, pattern=TEXT_PATTERN, examples=["HOST-M"])
]
# Query text has no control characters at all: the request guard refuses them in any address.
QUERY_TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field(examples=["/api/docs#problem-not_found"])
    title: str
    status: int
    detail: str
    code: str = Field(description="Machine-readable error code, stable across releases.")
    errors: dict[str, str] = Field(
        default_factory=dict, description="Per-field messages for validation failures."
    )
    required: list[str] | None = Field(
        default=None, description="On 403: the permission(s) the operation needs."
    )


class Page(BaseModel, Generic[T]):
    """One page of a list, in `(updated_at, id)` order."""

    data: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to read the next page; null on the last page."
    )


class StrictBody(BaseModel):
    """Request bodies reject unknown fields, so a typo is a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data
