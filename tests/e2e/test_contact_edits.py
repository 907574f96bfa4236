"""A contact edited in the browser arrives in the company database, and a contact edited in
the desktop program (the company database) shows in the browser: the real sync host and
worker carry both, nothing is called by hand."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from records.models import Contact
from syncengine.companydb import connect
from tests.e2e.browser import Browsing
from tests.e2e.conftest import Office, wait_until
from tests.syncengine.companydb.conftest import Desktop

pytestmark = pytest.mark.e2e


def _first_contact(office: Office) -> Contact:
    contact = office.company.contacts.order_by("source_id").first()
    assert contact is not None
    return contact


def _company_value(office: Office, contact: Contact, column: str) -> object:
    assert contact.source_id is not None
    connector = connect(office.production_dsn)
    try:
        return connector.fetch_rows("contacts", [contact.source_id])[contact.source_id][column]
    finally:
        connector.close()


def test_a_contact_edited_online_arrives_in_the_company_database(
    synchronising_office: Office, signed_in: Page, browsing: Browsing
) -> None:
    contact = _first_contact(synchronising_office)
    page = signed_in

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.get_by_role("searchbox", name="Search").fill(contact.name)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=contact.name, exact=True).click()
    browsing.check(page)
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("City").fill("Onlinestad")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(f"The contact {contact.name} was saved.")).to_be_visible()
    browsing.check(page)

    wait_until(
        lambda: _company_value(synchronising_office, contact, "city") == "Onlinestad",
        timeout=120,
        what="the online edit to reach the company database",
    )
    page.reload()
    expect(page.get_by_text("Waiting to be sent")).to_have_count(0)


def test_a_contact_edited_in_the_desktop_program_shows_in_the_browser(
    synchronising_office: Office, signed_in: Page, browsing: Browsing
) -> None:
    contact = _first_contact(synchronising_office)
    desktop = Desktop(synchronising_office.production_dsn)
    try:
        desktop.execute(
            "UPDATE contacts SET phone = ? WHERE id = ?", ["038-7654321", contact.source_id]
        )
    finally:
        desktop.close()
    page = signed_in

    def shown() -> bool:
        page.goto(
            f"{page.url.split('/', 3)[0]}//{page.url.split('/', 3)[2]}/contacts/{contact.pk}/"
        )
        return page.get_by_role("link", name="038-7654321").count() > 0

    wait_until(shown, timeout=120, what="the desktop edit to show in the browser")
    browsing.check(page)
