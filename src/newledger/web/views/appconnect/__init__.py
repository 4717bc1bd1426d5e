"""Settings → App Connect and Settings → Integrations: every App Connect page, one router.

- ``tabs``: the App Connect page with its tabs (API Credentials, OAuth Connections, MCP Server);
- ``apps``: one API-credential app: create, detail, rotate, revoke, delete, restore;
- ``connections``: one OAuth connection: detail and delete;
- ``webhooks``: an app's webhook endpoints, their delivery log and resend;
- ``oauth_apps``: Register OAuth App (a verified OAuth client for a custom MCP client);
- ``integrations``: per-client setup guides around the company MCP URL;
- ``consent``: ``/oauth/authorize``, the OAuth consent screen MCP clients send people to;
- ``shared``: the endpoint URLs and the settings-page frame they all render in.

The pages call ``newledger.appconnect.apps`` and ``newledger.appconnect.connections`` (every
rule) and ``newledger.appconnect.app_views`` (the apps' read models); they hold no rules.
"""

from __future__ import annotations

from newledger.web.deps import web_router
from newledger.web.views.appconnect import (
    apps,
    connections,
    consent,
    integrations,
    oauth_apps,
    tabs,
    webhooks,
)

__all__ = ["router"]

router = web_router()
for _module in (tabs, apps, webhooks, oauth_apps, connections, integrations, consent):
    router.include_router(_module.router)
