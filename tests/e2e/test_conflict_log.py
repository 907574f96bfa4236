"""A conflict as the administrator meets it: the same field of one contact changed in the
company database and online between two synchronisations; the real sync host decides it by
the company's policy (the company database wins), and the Online Desktop settings' conflict
log shows both values and the rule applied."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from records.services import update_record
from syncengine.models import Conflict
from tests.e2e.browser import Browsing
from tests.e2e.conftest import Office, wait_until
from tests.syncengine.companydb.conftest import Desktop

pytestmark = pytest.mark.e2e


def test_the_same_field_changed_on_both_sides_shows_in_the_conflict_log(
    synchronising_office: Office, signed_in: Page, browsing: Browsing
) -> None:
    contact = synchronising_office.company.contacts.order_by("source_id").first()
    assert contact is not None
    desktop = Desktop(synchronising_office.production_dsn)
    try:
        desktop.execute(
            "UPDATE contacts SET city = ? WHERE id = ?", ["Desktopstad", contact.source_id]
        )
    finally:
        desktop.close()
    update_record(record=contact, values={"city": "Onlinestad"})  # pushed at once

    wait_until(Conflict.objects.exists, timeout=120, what="the sync host to find the conflict")

    page = signed_in
    page.get_by_role("main").get_by_role("link", name="Online Desktop", exact=True).click()
    expect(page.get_by_role("heading", name="Conflict log")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Onlinestad")
    expect(row).to_contain_text(f"#{contact.source_id}")
    expect(row).to_contain_text("Desktopstad")
    expect(row).to_contain_text("Company database won")
    browsing.check(page)
    conflict = Conflict.objects.get()
    assert (conflict.field, conflict.company_value, conflict.online_value) == (
        "city",
        "Desktopstad",
        "Onlinestad",
    )
