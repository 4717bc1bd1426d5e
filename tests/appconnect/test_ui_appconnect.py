"""An App Connect app's page never claims that an app whose access ended still has permissions."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from newledger.appconnect import apps
from newledger.identity.models import User
from newledger.identity.services import user_actor
from tests.conftest import LiveServer
from tests.support.appconnect_ui import BASE, make_app
from tests.support.workspace import client, make_person, sign_in


def _permission_cells(html: str) -> list[str]:
    start = html.index('<table id="permissions">')
    return html[start : html.index("</table>", start)].split('<tr data-permission="')[1:]


def test_a_revoked_apps_permissions_show_as_not_in_effect(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "owner@example.com", with_2fa=True)
    client_id, _secret = make_app(sessions, owner, "invoices:read", "contacts:read")
    with client(live_server.url) as c:
        sign_in(c, owner)
        before = c.get(f"{BASE}/{client_id}").text
        with sessions.begin() as s:
            user = s.get(User, owner.user_id)
            assert user is not None and owner.company_id is not None
            apps.revoke_app(s, user_actor(s, user, owner.company_id), client_id)
        after = c.get(f"{BASE}/{client_id}").text
    assert all("<td>yes</td>\n    <td>yes</td>" in row for row in _permission_cells(before))
    rows = _permission_cells(after)
    assert len(rows) == 2
    assert all('no <span class="muted">(app revoked)</span>' in row for row in rows)
    assert "This app is revoked, so none is in effect." in after
