"""``newledger demo``: the drafts from "Zapier sync", "Bill.com sync" and "Claude (MCP)" name an
app or a connection that exists, and each draft's source opens from the review queue."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect.models import App, OAuthClient, OAuthConnection
from newledger.demo import load_demo
from newledger.demo.loader import DEMO_PASSWORDS
from newledger.ledger.models import Expense, Invoice
from tests.conftest import LiveServer
from tests.support.workspace import client, post_signin

_SOURCE_LINK = re.compile(r'<a href="(/settings/appconnect/[^"]+)" class="source-link">([^<]+)</a>')


def test_the_demo_drafts_sources_are_real_apps_and_a_connection_that_open(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        load_demo(session, lines=500, as_of=dt.date(2026, 6, 30), slug="northwind")
    with sessions() as session:
        named = {
            doc.source_label: (doc.source_app_id, doc.source_connection_id)
            for model in (Invoice, Expense)
            for doc in session.scalars(select(model).where(model.source.in_(("api", "mcp"))))
        }
        app_names = dict(session.execute(select(App.id, App.name)).all())
        connection = session.scalar(select(OAuthConnection))
        assert connection is not None
        claude = session.get(OAuthClient, connection.client_pk)
    assert app_names[named["Zapier sync"][0]] == "Zapier sync"
    assert app_names[named["Zapier sync (HubSpot deal won)"][0]] == "Zapier sync"
    assert app_names[named["Bill.com sync"][0]] == "Bill.com sync"
    assert named["Claude (MCP)"] == (None, connection.id)
    assert claude is not None and claude.name == "Claude"

    with client(live_server.url) as c:
        signed_in = post_signin(c, "owner@northwind.example", DEMO_PASSWORDS["owner"])
        assert signed_in.status_code == 303
        review = c.get("/review")
        assert review.status_code == 200
        links = set(_SOURCE_LINK.findall(review.text))
        assert {text for _href, text in links} >= {
            "API credential app · Zapier sync",
            "API credential app · Bill.com sync",
            "OAuth connection · Claude (MCP)",
        }
        for href, text in sorted(links):
            opened = c.get(href, follow_redirects=True)
            assert opened.status_code == 200, (href, text)
            name = "Claude" if "Claude" in text else text.split(" · ")[1].split(" (")[0]
            assert f"<h1>{name} " in opened.text
