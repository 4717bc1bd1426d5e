"""Paging through a list on a page: the services' keyset pages as "first" and "next" links.

A list page reads ``?cursor=`` (the opaque ``next_cursor`` of the page before) and hands it to
the list service; the links keep the page's filters. Keyset pages stay as fast on the
thousandth page as on the first, and a row added while someone reads never shows twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from newledger.errors import ValidationFailed
from newledger.pagination import MAX_LIMIT, Page, PageRequest
from newledger.web.errors import PageError

__all__ = ["PER_PAGE", "Pager", "choices", "page_link_errors", "page_request", "pager"]

PER_PAGE = 50


def choices(order: str) -> PageRequest:
    """The one page a filter's or a form's choices (customers, accounts ...) are read from."""
    return PageRequest(limit=MAX_LIMIT, order=order)


@dataclass(frozen=True)
class Pager:
    first_url: str | None  # set on every page after the first
    next_url: str | None  # set when more rows follow


def page_request(request: Request, order: str) -> PageRequest:
    """The page the request asks for (``?cursor=``) of the list in ``order``."""
    cursor = request.query_params.get("cursor", "").strip()
    return PageRequest(limit=PER_PAGE, cursor=cursor or None, order=order)


def pager(path: str, filters: Mapping[str, str], asked: PageRequest, page: Page[Any]) -> Pager:
    """Links to the first page (when ``asked`` was a later one) and to the next page."""
    query = {k: v for k, v in filters.items() if v}

    def url(extra: Mapping[str, str]) -> str:
        params = {**query, **extra}
        return f"{path}?{urlencode(params)}" if params else path

    return Pager(
        first_url=url({}) if asked.cursor else None,
        next_url=url({"cursor": page.next_cursor}) if page.next_cursor else None,
    )


@contextmanager
def page_link_errors() -> Iterator[None]:
    """Around a list read: a ``?cursor=`` that does not decode (a mangled or stale link)
    becomes a page that says so, rather than the service's terse field error."""
    try:
        yield
    except ValidationFailed as exc:
        if "cursor" not in exc.errors:
            raise
        raise PageError(
            422,
            "Check your input",
            "This page link is broken or out of date. Start again from the first page of the list.",
        ) from None
