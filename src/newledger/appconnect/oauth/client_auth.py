"""Client authentication at the OAuth endpoints: the form body, the presented credentials, and
who they prove the requester to be.

RFC 6749 §2.3.1: ``client_secret_basic`` (HTTP Basic, with id and secret form-urlencoded before
base64) or ``client_secret_post`` (``client_id`` and ``client_secret`` in the body), or ``none``
for a public client (a ``client_id`` alone). A request using two methods is refused (§2.3: "MUST
NOT use more than one authentication method").

``authenticate`` decides by the shape of the client id: ``nlci_…`` is an API credential app
(``app_credentials.py``); ``nloc_…`` (registered and dynamically registered OAuth clients) and
URL-shaped ids (client ID metadata documents, DESIGN §5) are OAuth clients
(``oauth_client_auth.py``); anything else is an unknown client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_plus

from newledger.appconnect.metadata_documents import is_metadata_client_id
from newledger.appconnect.oauth.app_credentials import APP_CLIENT_ID, VerifiedApp, verify_app
from newledger.appconnect.oauth.errors import OAuthError, invalid_client
from newledger.appconnect.oauth.oauth_client_auth import (
    OAUTH_CLIENT_ID,
    VerifiedClient,
    verify_oauth_client,
)
from newledger.appconnect.oauth.request import OAuthRequest
from newledger.appconnect.strict_b64 import decode_standard

__all__ = [
    "PresentedClient",
    "Requester",
    "authenticate",
    "form_value",
    "loggable_client_id",
    "read_client",
    "read_form",
]

_MAX_FIELDS = 32


# NewLedger's own client ids, secrets and tokens (nlci_, nlcs_, nlat_, nlrt_ ...).
_OWN_CREDENTIAL = re.compile(r"nl[a-z]{2}_")


def form_value(raw: str) -> str:
    """A form-urlencoded value, decoded; but one of NewLedger's own credentials is taken as
    sent. They are letters, digits and ``_``, which form encoding leaves as they are, so an
    escaped spelling (``%41`` for ``A``) is a second spelling of the same credential: kept
    escaped, it fails the credential's shape check instead of authenticating."""
    if "%" not in raw and "+" not in raw:
        return raw
    value = unquote_plus(raw)
    return raw if _OWN_CREDENTIAL.match(value) else value


@dataclass(frozen=True, slots=True)
class PresentedClient:
    client_id: str
    secret: str | None
    method: str  # client_secret_basic | client_secret_post | none


def read_form(request: OAuthRequest) -> dict[str, str]:
    """Parse ``application/x-www-form-urlencoded``; repeated parameters are refused (§3.2)."""
    content_type = request.content_type
    if content_type.split(";", 1)[0].strip().lower() != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "Use application/x-www-form-urlencoded")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "Malformed form body") from None
    form: dict[str, str] = {}
    # A plain split rather than parse_qsl: the same result for these short bodies, without
    # its generality on the hot path; percent-decoding only where something is encoded.
    for field in text.split("&") if text else ():
        name, _, value = field.partition("=")
        if "%" in field or "+" in field:
            name, value = form_value(name), form_value(value)
        if name in form:
            raise OAuthError("invalid_request", "A parameter was given more than once")
        if len(form) >= _MAX_FIELDS:
            raise OAuthError("invalid_request", "Too many parameters")
        form[name] = value
    return form


def read_client(request: OAuthRequest, form: dict[str, str]) -> PresentedClient:
    """Which client the request claims to be, and how. ``authenticate`` checks the claim.

    Every error raised here carries the client id as far as it could be read, so the refusal is
    recorded against the right company.
    """
    header = request.authorization
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise invalid_client("unsupported_auth_scheme", client_id=form.get("client_id", ""))
        try:
            decoded = decode_standard(value.strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise invalid_client(
                "malformed_basic_auth", client_id=form.get("client_id", "")
            ) from None
        client_id, colon, secret = decoded.partition(":")
        if not colon:
            raise invalid_client("malformed_basic_auth", client_id=form.get("client_id", ""))
        client_id, secret = form_value(client_id), form_value(secret)
        if "client_secret" in form:
            raise OAuthError(
                "invalid_request",
                "Use one client authentication method, not two",
                reason="two_auth_methods",
                client_id=client_id,
            )
        if "client_id" in form and form["client_id"] != client_id:
            raise OAuthError(
                "invalid_request",
                "client_id does not match the Authorization header",
                reason="client_id_mismatch",
                client_id=client_id,
            )
        return PresentedClient(client_id, secret, "client_secret_basic")
    posted_id = form.get("client_id")
    if not posted_id:
        raise invalid_client("no_client_authentication")
    posted_secret = form.get("client_secret")
    method = "client_secret_post" if posted_secret else "none"
    return PresentedClient(posted_id, posted_secret, method)


# Who a request authenticated as: an API credential app or an OAuth client (public or
# confidential). Each grant says which it accepts.
Requester = VerifiedApp | VerifiedClient


def authenticate(client: PresentedClient) -> Requester:
    """Verify the presented credentials; raise ``invalid_client`` (with a reason) if they fail."""
    if APP_CLIENT_ID.fullmatch(client.client_id):
        return verify_app(client.client_id, client.secret)
    if OAUTH_CLIENT_ID.fullmatch(client.client_id) or is_metadata_client_id(client.client_id):
        return verify_oauth_client(client.client_id, client.secret, client.method)
    raise invalid_client("unknown_client")


_SECRET_SHAPED = re.compile(r"nl(?:cs|at|rt|ac)_")
_LOGGABLE_LEN = 48


def loggable_client_id(value: str) -> str:
    """The client id as presented, in the form it may be stored or logged: one of NewLedger's
    own secrets or tokens pasted as a client id is never kept, not even its first characters;
    anything else is cut to its first 48 printable characters."""
    if _SECRET_SHAPED.match(value):
        return "[a secret, not a client id]"
    printable = "".join(ch for ch in value[: _LOGGABLE_LEN + 1] if ch.isprintable())
    return printable if len(printable) <= _LOGGABLE_LEN else printable[:_LOGGABLE_LEN] + "…"
