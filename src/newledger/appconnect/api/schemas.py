"""Pydantic models shared by the API's resources, used for request bodies and for documenting
responses in the OpenAPI document. Handlers serialise with orjson directly (no per-response
model validation), so these models describe the wire format rather than build it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AMOUNT_PATTERN",
    "MAX_ID",
    "TEXT_PATTERN",
    "Amount",
    "Day",
    "DbId",
    "IdPath",
    "Page",
    "Problem",
    "StrictBody",
]

T = TypeVar("T")

# A decimal string: amounts are never JSON numbers, so no float ever touches money.
AMOUNT_PATTERN = r"^-?\d{1,13}(\.\d{1,4})?$"
Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN, examples=["1250.00"])]
# Ids are 32-bit in the database; a larger number is a 422, never a driver overflow.
MAX_ID = 2_147_483_647
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
# Books live between these days; outside them date arithmetic (terms, aging buckets, comparison
# periods) could leave Python's date range, so such input is a 422 at the edge.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def _bookable(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return day


Day = Annotated[dt.date, AfterValidator(_bookable)]
# Text never contains NUL: PostgreSQL cannot store it.
TEXT_PATTERN = r"^[^\x00]*$"


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
