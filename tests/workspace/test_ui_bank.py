"""The Bank page over real HTTP: uncategorized bank lines with NewLedger's hint, accepted one
click at a time or in bulk (posting through the categorization service, so balances move), all
or nothing when one selected line cannot be categorized, and read-only for a viewer."""

from __future__ import annotations

import html

from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.tags import Event
from newledger.ledger.models import BankTransaction
from tests.conftest import LiveServer
from tests.support.books import net
from tests.support.proposals import make_office
from tests.support.workspace import client, csrf, events, make_person, sign_in


def _txn(sessions: sessionmaker[Session], txn_id: int) -> BankTransaction:
    with sessions() as s:
        found = s.get(BankTransaction, txn_id)
        assert found is not None
        return found


def _net(sessions: sessionmaker[Session], account_id: int) -> int:
    with sessions() as s:
        return net(s, account_id)


def test_one_click_accepts_the_hint_and_posts_the_line(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    office = make_office(sessions)
    books = office.books
    bank_gl, supplies = books.acct("1000"), books.acct("6500")
    before = (_net(sessions, bank_gl), _net(sessions, supplies))
    with client(live_server.url) as c:
        sign_in(c, office.owner)
        page = c.get("/bank")
        text = html.unescape(page.text)
        assert page.status_code == 200
        # The hint for the Staples line names the account and the history behind it.
        row = text[text.index(f'id="txn-{office.staples_id}"') :]
        row = row[: row.index("</tr>")]
        assert "6500 Office Supplies" in row and "most similar past expenses" in row
        assert f'<option value="{supplies}" selected>' in row
        accepted = c.post(
            "/bank/categorize",
            data={
                "csrf_token": csrf(page.text),
                "accept": str(office.staples_id),
                f"account-{office.staples_id}": str(supplies),
                f"account-{office.mystery_id}": "",
            },
        )
        after = c.get(accepted.headers["location"]).text
    assert accepted.status_code == 303
    assert "1 bank transaction categorized." in after
    assert f'id="txn-{office.staples_id}"' not in after
    assert f'id="txn-{office.mystery_id}"' in after  # untouched: not the row accepted
    staples = _txn(sessions, office.staples_id)
    assert (staples.status, staples.category_account_id) == ("categorized", supplies)
    assert staples.journal_entry_id is not None
    assert _txn(sessions, office.mystery_id).status == "uncategorized"
    # Money out: the bank account goes down by 37.25, Office Supplies up by as much.
    assert (_net(sessions, bank_gl), _net(sessions, supplies)) == (
        before[0] - 37_25,
        before[1] + 37_25,
    )
    rows = [a for a in events(sessions) if a.event == Event.BANK_TRANSACTION_CATEGORIZED]
    assert [(a.subject_id, a.source) for a in rows][-1] == (office.staples_id, "web")


def test_accept_selected_posts_every_selected_line_with_its_own_account(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    office = make_office(sessions)
    books = office.books
    bank_gl, supplies, fees = books.acct("1000"), books.acct("6500"), books.acct("6100")
    before = (_net(sessions, bank_gl), _net(sessions, supplies), _net(sessions, fees))
    with client(live_server.url) as c:
        sign_in(c, office.owner)
        page = c.get("/bank").text
        # The wire has no hint: the reviewer chooses Bank Fees for it.
        assert f'<option value="{fees}" selected>' not in page
        accepted = c.post(
            "/bank/categorize",
            data={
                "csrf_token": csrf(page),
                "bulk": "1",
                "selected": [str(office.staples_id), str(office.mystery_id)],
                f"account-{office.staples_id}": str(supplies),
                f"account-{office.mystery_id}": str(fees),
            },
        )
        after = c.get(accepted.headers["location"]).text
    assert accepted.status_code == 303
    assert "2 bank transactions categorized." in after
    assert 'id="bank-empty"' in after
    assert _txn(sessions, office.staples_id).category_account_id == supplies
    assert _txn(sessions, office.mystery_id).category_account_id == fees
    assert (_net(sessions, bank_gl), _net(sessions, supplies), _net(sessions, fees)) == (
        before[0] - 37_25 - 9_00,
        before[1] + 37_25,
        before[2] + 9_00,
    )


def test_accept_selected_is_all_or_nothing(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    office = make_office(sessions)
    books = office.books
    bank_gl = books.acct("1000")
    before = _net(sessions, bank_gl)
    with client(live_server.url) as c:
        sign_in(c, office.owner)
        page = c.get("/bank").text
        refused = c.post(
            "/bank/categorize",
            data={
                "csrf_token": csrf(page),
                "bulk": "1",
                "selected": [str(office.staples_id), str(office.mystery_id)],
                f"account-{office.staples_id}": str(books.acct("6500")),
                f"account-{office.mystery_id}": "",  # no hint, and none chosen
            },
        )
        nothing = c.post("/bank/categorize", data={"csrf_token": csrf(page), "bulk": "1"})
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert f"Nothing was categorized: bank transaction #{office.mystery_id}" in text
    assert f'id="error-txn-{office.mystery_id}"' in refused.text
    # The form comes back as sent: both still ticked, the chosen account still chosen.
    assert refused.text.count('name="selected"') == 2
    assert refused.text.count("checked") == 2
    assert nothing.status_code == 422
    assert "Select the transactions to accept first." in nothing.text
    assert _txn(sessions, office.staples_id).status == "uncategorized"
    assert _txn(sessions, office.mystery_id).status == "uncategorized"
    assert _net(sessions, bank_gl) == before


def test_a_viewer_sees_the_lines_and_hints_but_cannot_accept(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    office = make_office(sessions)
    viewer = make_person(sessions, "viewer@example.com", company="drafts", role="viewer")
    with client(live_server.url) as c:
        sign_in(c, viewer)
        page = c.get("/bank")
        refused = c.post(
            "/bank/categorize",
            data={
                "csrf_token": csrf(page.text),
                "accept": str(office.staples_id),
                f"account-{office.staples_id}": str(office.books.acct("6500")),
            },
        )
    assert page.status_code == 200
    assert 'id="bank-read-only"' in page.text
    assert "6500 Office Supplies" in page.text
    assert 'id="accept-' not in page.text and 'name="selected"' not in page.text
    assert refused.status_code == 403 and "ledger:post" in refused.text
    assert _txn(sessions, office.staples_id).status == "uncategorized"
