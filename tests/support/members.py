"""Helpers for the member lifecycle tests: invite, find the one-time link, act with step-up."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import Invitation, Membership
from tests.support.workspace import Person, csrf

_LINK = re.compile(r'<code id="invitation-link">([^<]+)</code>')


def code_of(person: Person) -> str:
    assert person.authenticator is not None
    return person.authenticator.fresh_code()


def invite(c: httpx.Client, owner: Person, email: str, role: str = "viewer") -> httpx.Response:
    token = csrf(c.get("/settings/members").text)
    return c.post(
        "/settings/members",
        data={"email": email, "role": role, "csrf_token": token, "code": code_of(owner)},
    )


def link_of(response: httpx.Response) -> str:
    match = _LINK.search(response.text)
    assert match, response.text
    return match.group(1)


def membership_id(sessions: sessionmaker[Session], company_id: int | None, user_id: int) -> int:
    with sessions() as s:
        found = s.scalar(
            select(Membership.id).where(
                Membership.company_id == company_id, Membership.user_id == user_id
            )
        )
        assert found is not None
        return found


def is_member(sessions: sessionmaker[Session], company_id: int | None, user_id: int) -> bool:
    with sessions() as s:
        return (
            s.scalar(
                select(Membership.id).where(
                    Membership.company_id == company_id, Membership.user_id == user_id
                )
            )
            is not None
        )


def invitation_rows(sessions: sessionmaker[Session]) -> list[Invitation]:
    with sessions() as s:
        return list(s.scalars(select(Invitation).order_by(Invitation.id)))


def act(c: httpx.Client, path: str, code: str | None, **fields: str) -> httpx.Response:
    """Post a members-page form (``code`` answers the step-up; None leaves it out)."""
    data = {"csrf_token": csrf(c.get("/settings/members").text), **fields}
    if code is not None:
        data["code"] = code
    return c.post(path, data=data)
