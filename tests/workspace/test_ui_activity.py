"""The Activity page reads as plain words: yes/no rather than Python's True/False, and no
pager when everything fits on one page."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from tests.conftest import LiveServer
from tests.support.workspace import client, make_person, sign_in


def test_activity_details_show_yes_and_no_not_python_booleans(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "owner@example.com", company="plainwords")
    assert owner.company_id is not None
    with sessions() as s:
        record(
            s,
            Event.DEMO_LOADED,
            Actor.system(owner.company_id),
            subject_type="company",
            subject_id=owner.company_id,
            details={"demo": True, "rebuilt": False, "seed": 42},
        )
        s.commit()
    with client(live_server.url) as c:
        sign_in(c, owner)
        page = c.get("/activity")
    assert page.status_code == 200
    assert "demo=yes" in page.text and "rebuilt=no" in page.text and "seed=42" in page.text
    assert "True" not in page.text and "False" not in page.text
    assert 'class="pager"' not in page.text  # a handful of rows: one page, no pager


def test_a_csv_export_with_a_mistyped_filter_goes_back_to_the_page_instead_of_exporting_all(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "owner@example.com", company="exports")
    with client(live_server.url) as c:
        sign_in(c, owner)
        export = c.get("/activity.csv?since=2026-13-45&event=identity:login:succeeded")
        assert export.status_code == 303
        assert export.headers["location"].startswith("/activity?")
        page = c.get(export.headers["location"])
    assert page.status_code == 422
    assert 'id="error-since"' in page.text and "From: Use a date like" in page.text


def test_activity_about_an_invoice_links_to_it(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    owner = make_person(sessions, "owner@example.com", company="links")
    assert owner.company_id is not None
    with sessions() as s:
        record(
            s,
            Event.INVOICE_DRAFTED,
            Actor.system(owner.company_id),
            subject_type="invoice",
            subject_id=41,
        )
        s.commit()
    with client(live_server.url) as c:
        sign_in(c, owner)
        page = c.get("/activity")
    assert '<a href="/invoices/41">invoice 41</a>' in page.text


def test_every_event_type_has_a_readable_name() -> None:
    from newledger.audit.tags import Event, describe

    for event in Event:
        label = describe(event.value)
        assert ":" not in label and "_" not in label and label[0].isupper(), event
    assert describe("identity:login:logout") == "Signed out"
    assert describe("appconnect:app:rotated") == "API credential app rotated"
