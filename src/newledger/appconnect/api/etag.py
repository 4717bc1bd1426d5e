"""``ETag`` / ``If-Match`` (RFC 9110 §13.1.1): the ETag is the record's version.

A draft update or delete must send ``If-Match`` (428 without it, RFC 6585 §3) and it must name
the current version (412 otherwise), so two people or apps cannot silently overwrite each
other. The service re-checks the version under a row lock, so a race still ends in a 412.
Contacts take ``If-Match`` when it is sent (``OptionalIfMatchHeader``): the same check, but a
write without it goes ahead as the latest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Header

from newledger.appconnect.api.problems import ApiProblem
from newledger.errors import Conflict

__all__ = [
    "IfMatchHeader",
    "OptionalIfMatchHeader",
    "etag",
    "expected_version",
    "if_match_write",
    "stale",
    "stale_to_412",
]

T = TypeVar("T")

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description='Required: the ETag from the last read, e.g. `W/"3"`.',
    ),
]


def etag(version: int) -> str:
    return f'W/"{version}"'


OptionalIfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description='Optional: the ETag from the last read, e.g. `W/"3"`; the write then '
        "happens only if nothing changed since.",
    ),
]


def stale(current: int | None) -> ApiProblem:
    """412: ``If-Match`` names another version than ``current`` (``None``: there is none)."""
    if current is None:
        return ApiProblem(
            412, "precondition_failed", "There is no such object yet, so If-Match cannot match."
        )
    return ApiProblem(
        412,
        "precondition_failed",
        "It changed since you read it; read it again and retry.",
        headers={"ETag": etag(current)},
    )


def expected_version(if_match: str | None, current: int | None) -> int | None:
    """The version to require, from ``If-Match`` and the version now stored (``None`` when the
    document does not exist, so the service answers 404)."""
    if if_match is None:
        raise ApiProblem(
            428,
            "precondition_required",
            "Send If-Match with the ETag from your last read of this draft.",
            errors={"If-Match": "required"},
        )
    if current is None:
        return None
    value = if_match.strip()
    if value == "*":
        return current
    for part in value.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        if tag.isdigit() and len(tag) < 10 and int(tag) == current:
            return current
    raise stale(current)


def stale_to_412(call: Callable[[], T], current: int | None) -> T:
    """Run a service call; its ``version_mismatch`` conflict, or a writer that lost the race
    to the same version (``concurrent_update``), becomes a 412."""
    try:
        return call()
    except Conflict as exc:
        if exc.code not in ("version_mismatch", "concurrent_update"):
            raise
        raise stale(current) from None


def if_match_write(
    if_match: str | None, current: int | None, write: Callable[[int | None], T]
) -> T:
    """A draft update or delete under ``If-Match``: ``write`` gets the version to require (see
    ``expected_version``), and a version conflict it meets becomes a 412 (``stale_to_412``)."""
    version = expected_version(if_match, current)
    return stale_to_412(lambda: write(version), current)
