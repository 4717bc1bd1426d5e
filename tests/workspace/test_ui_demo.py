"""What ``newledger demo`` prints matches what the new owner then sees in the workspace."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session, sessionmaker

from newledger.demo import DEMO_PASSWORDS, load_demo
from tests.conftest import LiveServer
from tests.support.workspace import client, post_signin


def test_the_demo_counts_as_many_drafts_awaiting_review_as_the_queue_and_dashboard_show(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        result = load_demo(s, as_of=dt.date(2026, 3, 31))
        s.commit()
    with client(live_server.url) as c:
        assert post_signin(c, "owner@northwind.example", DEMO_PASSWORDS["owner"]).status_code == 303
        queue = c.get("/review")
        dashboard = c.get("/")
    assert queue.status_code == 200 and dashboard.status_code == 200
    shown = len(re.findall(r'<article class="card draft"', queue.text))
    tile = re.search(r'id="drafts-count">(\d+)<', dashboard.text)
    assert tile is not None
    assert result.drafts == shown == int(tile.group(1))
