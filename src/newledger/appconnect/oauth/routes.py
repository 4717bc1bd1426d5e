"""The OAuth routes, mounted into the web app with one line."""

from __future__ import annotations

from starlette.routing import Route

from newledger.appconnect.oauth.revoke import revoke_endpoint
from newledger.appconnect.oauth.token import token_endpoint

__all__ = ["routes"]

routes = [
    Route("/oauth/token", token_endpoint, methods=["POST"], name="oauth_token"),
    Route("/oauth/revoke", revoke_endpoint, methods=["POST"], name="oauth_revoke"),
]
