"""Errors raised by web (HTML) views and their pages.

Web views raise these (or domain errors, which ``WebRoute`` turns into these); ``error_pages``
renders them. The REST API and OAuth endpoints keep their own JSON error handling, so nothing
here changes their responses.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.routing import APIRoute

from newledger.errors import AuthenticationFailed, DomainError, RateLimited

__all__ = [
    "LoginRequired",
    "PageError",
    "PasskeyOptions",
    "Redirect",
    "StepUpRequired",
    "WebRoute",
    "refused_attempt",
]


class PageError(Exception):
    """Render the error page with this status (403, 404, 429 ...)."""

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.headers = dict(headers or {})


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class LoginRequired(Redirect):
    def __init__(self, next_url: str = "/") -> None:
        super().__init__("/signin?" + urlencode({"next": next_url}))


class StepUpRequired(Exception):
    """The action needs a fresh TOTP code: show the confirmation page, which posts the same
    form (with the code) back to the same URL."""

    def __init__(
        self,
        action: str,
        label: str,
        fields: list[tuple[str, str]],
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        facts: list[tuple[str, str]] | None = None,
        totp: bool = True,
        passkey: bool = False,
    ) -> None:
        super().__init__(action)
        # Which answers the page offers: the user's second factors (read while the request's
        # database session is open; the page renders after it closed).
        self.totp = totp
        self.passkey = passkey
        self.action = action
        self.label = label
        self.fields = fields
        self.facts = facts or []  # (what, which): names what is being confirmed
        self.error = error
        self.status = status
        self.retry_after = retry_after


class PasskeyOptions(Exception):
    """Answer a form's ``webauthn=options`` request: the WebAuthn options (JSON) for a challenge
    bound to this session and to the action the form confirms, or ``error`` (a message) with
    ``status``. ``passkeys.js`` asks for them when the person confirms with a passkey."""

    def __init__(self, options: str = "", *, error: str = "", status: int = 200) -> None:
        super().__init__(error or "passkey options")
        self.options = options
        self.error = error
        self.status = status


# The largest id a database integer column holds. A larger number in a URL would make the
# driver fail (SQLite: OverflowError; PostgreSQL: integer out of range), i.e. a 500.
MAX_DB_ID = 2_147_483_647


def _oversized_id(request: Request) -> bool:
    """A path parameter made of digits that no row can have (``/invoices/99999999999999999999``)."""
    return any(
        isinstance(value, str) and value.isdigit() and (len(value) > 10 or int(value) > MAX_DB_ID)
        for value in request.path_params.values()
    )


_TITLES = {
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible right now",
    422: "Check your input",
    429: "Too many attempts",
}


def _retry_after(exc: DomainError) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}


def page_error_from(exc: DomainError) -> PageError:
    return PageError(
        exc.status, _TITLES.get(exc.status, "Error"), exc.message, headers=_retry_after(exc)
    )


def refused_attempt(exc: AuthenticationFailed | RateLimited) -> tuple[int, dict[str, str]]:
    """Status and headers for a form shown again after a refused password or code: 429 with
    ``Retry-After`` when rate limited, else 400 (the page is a form to correct, not a 401)."""
    return (429 if isinstance(exc, RateLimited) else 400), _retry_after(exc)


class WebRoute(APIRoute):
    """Route class for HTML views: a domain error escaping a view becomes an error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            if _oversized_id(request):
                raise PageError(404, "Not found", "There is nothing at this address.")
            try:
                return await handler(request)
            except DomainError as exc:
                raise page_error_from(exc) from exc

        return route_handler
