"""The App Connect side of the demo: the API credential apps and the OAuth connection that the
demo's drafts name ("Zapier sync", "Bill.com sync", "Claude (MCP)"), so each draft's source can
be opened from the review queue.

The apps' secrets are generated and dropped: nobody can use them until an owner rotates one.
The connection has no refresh token either: it shows how a connection looks, and Claude would
have to ask for consent again to use it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect import apps, audience, connections, secrets
from newledger.appconnect.models import OAuthClient
from newledger.identity.models import Company, User
from newledger.identity.services import user_actor

__all__ = ["SOURCE_GRANT", "add_demo_grants"]

_APPS = {
    "Zapier sync": ("contacts:read", "invoices:read", "invoices:draft", "expenses:draft"),
    "Bill.com sync": ("contacts:read", "expenses:read", "expenses:draft", "payments:read"),
}
_CLAUDE = "Claude (MCP)"
_CLAUDE_PERMISSIONS = "accounts:read expenses:draft expenses:read invoices:read reports:read"
_CLAUDE_REDIRECTS = [
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
]

# Which grant each draft label of ``demo.drafts`` came through.
SOURCE_GRANT = {
    "Zapier sync": "Zapier sync",
    "Zapier sync (HubSpot deal won)": "Zapier sync",
    "Bill.com sync": "Bill.com sync",
    "Claude (MCP)": _CLAUDE,
}


def add_demo_grants(session: Session, company: Company, owner: User) -> dict[str, dict[str, Any]]:
    """Create the apps and the connection; return, per grant name, the draft source columns
    (``source_app_id`` / ``source_connection_id``) of what it drafted."""
    actor = user_actor(session, owner, company.id, source="demo")
    made: dict[str, dict[str, Any]] = {}
    for name, permissions in _APPS.items():
        app, _secret = apps.create_app(session, actor, name=name, permissions=permissions)
        made[name] = {"source_app_id": app.id, "source_connection_id": None}
    client = OAuthClient(
        client_id=secrets.generate_client_id(secrets.OAUTH_CLIENT_ID_PREFIX),
        kind="dynamic",
        name="Claude",
        client_uri="https://claude.ai",
        redirect_uris=json.dumps(_CLAUDE_REDIRECTS),
        application_type="web",
        token_endpoint_auth_method="none",  # noqa: S106 (a method name, not a secret)
        metadata_json=json.dumps({"client_name": "Claude", "redirect_uris": _CLAUDE_REDIRECTS}),
    )
    session.add(client)
    session.flush()
    connection = connections.create_connection(
        session,
        Actor.system(company.id, label="demo", source="demo"),
        company_id=company.id,
        client_pk=client.id,
        user_id=owner.id,
        permissions=_CLAUDE_PERMISSIONS,
        resource=audience.company_mcp_url(company.slug),
    )
    client.first_consented_at = connection.created_at
    made[_CLAUDE] = {"source_app_id": None, "source_connection_id": connection.id}
    return made
