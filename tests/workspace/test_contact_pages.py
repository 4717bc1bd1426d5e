"""The contact page and its edit form over real HTTP: a person with ``contacts:write`` sets the
billing and shipping addresses and the external id, sees a bad country or a taken external id
marked at its field, and the customer's invoice shows the billing address; a viewer cannot
edit."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.events.models import ChangeEvent
from newledger.identity.models import User
from newledger.identity.services import user_actor
from newledger.ledger.contacts import create_contact
from newledger.ledger.models import Contact
from tests.conftest import LiveServer
from tests.support.ledger_pages import make_page_books
from tests.support.workspace import client, csrf, sign_in


def _form(c: httpx.Client, contact_id: int) -> dict[str, str]:
    """The edit form's fields as the page fills them in."""
    page = c.get(f"/contacts/{contact_id}/edit")
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input [^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
    fields["kind"] = "customer"
    return fields


def test_an_owner_sets_addresses_and_an_external_id_and_the_invoice_shows_the_billing_address(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    contact_id = books.other_customer_id  # Globex, billed by the UI draft
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        fields = _form(c, contact_id)
        assert fields["version"] == "1" and fields["name"] == "Globex"
        fields.update({
            "external_id": "crm-0042", "billing-line1": "1 Rue de la Paix", "billing-city": "Paris",
            "billing-postal_code": "75002", "billing-country": "FR",
            "shipping-line1": "Dock 4", "shipping-country": "XX",
        })  # fmt: skip
        refused = c.post(f"/contacts/{contact_id}/edit", data=fields)
        assert refused.status_code == 422
        assert 'id="error-shipping_address-country"' in refused.text
        assert "not an ISO 3166-1 alpha-2 country code" in refused.text
        assert 'value="1 Rue de la Paix"' in refused.text  # what was typed is kept
        fields["shipping-country"] = "DE"
        saved = c.post(f"/contacts/{contact_id}/edit", data=fields)
        assert saved.status_code == 303 and saved.headers["location"] == (
            f"/contacts/{contact_id}?saved=1"
        )
        page = c.get(saved.headers["location"]).text
        assert 'id="contact-saved"' in page and '<code id="external-id">crm-0042</code>' in page
        assert re.search(r'id="billing-address">1 Rue de la Paix<br>75002 Paris<br>France<', page)
        assert re.search(r'id="shipping-address">Dock 4<br>Germany<', page)
        invoice = c.get(f"/invoices/{books.ui_invoice_id}").text
        assert re.search(r'id="bill-to">1 Rue de la Paix<br>75002 Paris<br>France<', invoice)
        stale = c.post(f"/contacts/{contact_id}/edit", data={**fields, "phone": "555"})
        assert stale.status_code == 409  # the form still says version 1
    with sessions() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.version == 2 and contact.phone == ""
        assert contact.billing_address.country == "FR" and contact.external_id == "crm-0042"
        [activity] = session.scalars(
            select(Activity).where(
                Activity.event == "ledger:contact:updated", Activity.subject_id == contact_id
            )
        )
        assert activity.details["changed"] == ["billing_address", "external_id", "shipping_address"]
        change = session.scalar(select(ChangeEvent).order_by(ChangeEvent.seq.desc()).limit(1))
        assert change is not None and change.event_type == "contact.updated"
        assert change.external_id == "crm-0042"


def test_a_taken_external_id_is_marked_at_its_field(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with sessions() as session:
        owner = session.get(User, books.owner.user_id)
        assert owner is not None
        create_contact(session, user_actor(session, owner, books.company_id), name="Initech",
                       external_id="crm-1")  # fmt: skip
        session.commit()
    with client(live_server.url) as c:
        sign_in(c, books.owner)
        fields = {**_form(c, books.customer_id), "external_id": "crm-1"}
        taken = c.post(f"/contacts/{books.customer_id}/edit", data=fields)
        assert taken.status_code == 409
        assert 'id="error-external_id"' in taken.text and "taken by contact" in taken.text


def test_a_viewer_sees_the_addresses_but_cannot_edit(
    live_server: LiveServer, sessions: sessionmaker[Session]
) -> None:
    books = make_page_books(sessions)
    with client(live_server.url) as c:
        sign_in(c, books.viewer)
        page = c.get(f"/contacts/{books.customer_id}").text
        assert 'id="edit-contact"' not in page
        assert c.get(f"/contacts/{books.customer_id}/edit").status_code == 403
        token = csrf(page)
        refused = c.post(
            f"/contacts/{books.customer_id}/edit", data={"csrf_token": token, "name": "Hacked"}
        )
        assert refused.status_code == 403
    with sessions() as session:
        contact = session.get(Contact, books.customer_id)
        assert contact is not None and contact.name != "Hacked"
