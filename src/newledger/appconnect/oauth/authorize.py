"""The authorization request (RFC 6749 §4.1.1, OAuth 2.1, MCP authorization): parse, validate,
and build the authorization response URL.

Validation runs in two steps, because where an error may be sent depends on how far it got
(RFC 6749 §4.1.2.1, RFC 9700 §4.11.2):

1. ``identify_client``: ``client_id`` and ``redirect_uri``. Until both are validated nothing is
   sent anywhere: ``InvalidClientRequest`` becomes an error page, never a redirect (else the
   endpoint would be an open redirector).
2. ``validate``: everything else. ``AuthorizationError`` may then go back to the validated
   redirect URI, with ``state`` and ``iss`` (RFC 9207) like every authorization response.

Hand-written: the rules are NewLedger's own (S256 only, ``resource`` required and limited to
the MCP URLs, unknown scopes dropped) and a dozen lines each; authlib's grant classes would
need as much code again to bend to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.appconnect import audience, clients, redirect_uris
from newledger.appconnect.models import OAuthClient
from newledger.appconnect.oauth import pkce
from newledger.appconnect.scopes import DEFAULT_SCOPES, known_scopes
from newledger.config import get_settings
from newledger.identity.models import Company
from newledger.identity.permissions import Permission

__all__ = [
    "AuthorizationError",
    "AuthorizationRequest",
    "IdentifiedClient",
    "InvalidClientRequest",
    "identify_client",
    "requested_permissions",
    "response_url",
    "validate",
]

# The longest ``state`` echoed back: a longer one is refused rather than put in a redirect.
MAX_STATE = 2048
_SINGLE = (
    "client_id",
    "redirect_uri",
    "state",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "resource",
    "scope",
)

Params = Sequence[tuple[str, str]]


class InvalidClientRequest(Exception):
    """The client or its redirect URI could not be validated: show an error page, nothing else."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class IdentifiedClient:
    """A known client and one of its registered redirect URIs: errors may now go back there."""

    client: OAuthClient
    redirect_uri: str
    state: str | None

    def error(self, error: str, description: str) -> AuthorizationError:
        return AuthorizationError(self, error, description)


class AuthorizationError(Exception):
    """An RFC 6749 §4.1.2.1 error response, for the already validated redirect URI."""

    def __init__(self, identified: IdentifiedClient, error: str, description: str) -> None:
        super().__init__(description)
        self.identified = identified
        self.error = error
        self.description = description

    def redirect_url(self) -> str:
        params = {"error": self.error, "error_description": self.description}
        return response_url(self.identified.redirect_uri, params, self.identified.state)


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A valid request, waiting for the user: what the consent screen shows and the code binds."""

    client: OAuthClient
    redirect_uri: str
    state: str | None
    code_challenge: str
    # The RFC 8707 resource: the generic MCP URL, or a company's MCP URL.
    resource: str
    # The company a company MCP URL names; ``None`` for the generic URL (the user picks one).
    company: Company | None
    # Asked-for permissions that may be delegated at all (before the user's own are applied).
    permissions: frozenset[Permission]


def _single(params: Params) -> tuple[dict[str, str], set[str]]:
    """The parameters as a dict, and the names given more than once (RFC 6749 §3.1 forbids)."""
    values: dict[str, str] = {}
    repeated: set[str] = set()
    for name, value in params:
        if name in values:
            repeated.add(name)
        values.setdefault(name, value)
    return values, repeated


def identify_client(session: Session, params: Params) -> IdentifiedClient:
    """Step 1: the client and its redirect URI, or ``InvalidClientRequest``."""
    values, repeated = _single(params)
    if repeated & {"client_id", "redirect_uri", "state"}:
        raise InvalidClientRequest(
            "The app sent client_id, redirect_uri or state more than once, so NewLedger cannot "
            "tell where to answer."
        )
    client_id = values.get("client_id", "")
    if not client_id:
        raise InvalidClientRequest("The app did not say who it is (no client_id).")
    client = clients.find_client(session, client_id) if len(client_id) <= 2048 else None
    if client is None:
        raise InvalidClientRequest(
            "NewLedger does not know this app (unknown client_id). Ask the app to register again."
        )
    redirect_uri = values.get("redirect_uri", "")
    # Always required: OAuth 2.1 lets a client with one registered URI leave it out, but every
    # MCP client sends it, and requiring it keeps the token endpoint's check one comparison.
    if not redirect_uri:
        raise InvalidClientRequest("The app did not say where to return to (no redirect_uri).")
    if not redirect_uris.matches(clients.redirect_uris_of(client), redirect_uri):
        raise InvalidClientRequest(
            "The app asked to return to an address it did not register (redirect_uri mismatch). "
            "Nothing was sent to it."
        )
    state = values.get("state")
    if state is not None and len(state) > MAX_STATE:
        raise InvalidClientRequest("The app's state parameter is too long.")
    return IdentifiedClient(client, redirect_uri, state)


def requested_permissions(scope: str | None) -> frozenset[Permission]:
    """The delegable permissions a ``scope`` names. Unknown names (``offline_access``, another
    server's scopes) and user-only permissions are ignored, not refused; when nothing is left,
    the default scopes."""
    # An empty ``scope=`` (ChatGPT sends one, DESIGN §5) means read access to the books;
    # drafting is only offered when a client asks for it.
    return known_scopes(scope) or DEFAULT_SCOPES


def _company_of(session: Session, resource: str) -> Company | None:
    slug = audience.resource_company_slug(resource)
    if slug is None:
        return None
    return session.scalar(select(Company).where(Company.slug == slug))


def validate(
    session: Session, identified: IdentifiedClient, params: Params
) -> AuthorizationRequest:
    """Step 2: the rest of the request, or ``AuthorizationError`` for the redirect URI."""
    values, repeated = _single(params)
    if repeated:
        name = sorted(repeated)[0]
        raise identified.error("invalid_request", f"The {name} parameter was given more than once")
    if values.get("response_type") != "code":
        raise identified.error(
            "unsupported_response_type", "Only the authorization code flow (code) is supported"
        )
    # PKCE S256 only (OAuth 2.1 §4.1.1, DESIGN §5). An absent method means plain (RFC 7636
    # §4.3), so it is refused like plain: no downgrade by leaving the method out.
    challenge = values.get("code_challenge", "")
    method = values.get("code_challenge_method")
    if not challenge:
        raise identified.error("invalid_request", "PKCE is required: send a code_challenge")
    if method != "S256":
        raise identified.error("invalid_request", "code_challenge_method must be S256")
    if not pkce.is_valid_challenge(challenge):
        raise identified.error("invalid_request", "code_challenge is not an S256 challenge")
    # RFC 8707: the MCP server the token is for. Required (MCP authorization, "Resource
    # Parameter Implementation"), and only NewLedger's own MCP URLs.
    resource = values.get("resource", "")
    if not resource:
        raise identified.error("invalid_target", "The resource parameter (the MCP URL) is required")
    company = _company_of(session, resource)
    if resource != audience.generic_mcp_url() and company is None:
        raise identified.error(
            "invalid_target", "resource must be this server's MCP URL or a company's MCP URL"
        )
    return AuthorizationRequest(
        client=identified.client,
        redirect_uri=identified.redirect_uri,
        state=identified.state,
        code_challenge=challenge,
        resource=resource,
        company=company,
        permissions=requested_permissions(values.get("scope")),
    )


def response_url(redirect_uri: str, params: dict[str, str], state: str | None) -> str:
    """``redirect_uri`` with the response ``params``, the request's ``state`` and ``iss``
    (RFC 9207: in every authorization response, errors included, so a client talking to
    several servers can tell which one answered). The redirect URI's own query is kept
    (RFC 6749 §3.1.2)."""
    query: list[tuple[str, str]] = list(params.items())
    if state is not None:
        query.append(("state", state))
    query.append(("iss", get_settings().issuer))
    if "?" not in redirect_uri:
        redirect_uri += "?"
    elif not redirect_uri.endswith(("?", "&")):
        redirect_uri += "&"
    return redirect_uri + urlencode(query)
