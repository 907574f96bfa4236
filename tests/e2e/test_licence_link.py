"""Linking the licence: from the dashboard to the licence page, Online Desktop -> Add, the
production database chosen among those the paired sync host reported (the sample database
listed with the reason it cannot be chosen)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from licensing.models import LicenceLink
from tests.e2e.browser import Browsing
from tests.e2e.conftest import Office

pytestmark = pytest.mark.e2e


def test_the_licence_is_linked_to_the_production_database_the_sync_host_reported(
    office: Office, signed_in: Page, browsing: Browsing
) -> None:
    page = signed_in
    browsing.check(page)
    page.get_by_role("link", name="Manage licence information").first.click()
    expect(page.get_by_role("heading", name="Manage licence information")).to_be_visible()
    browsing.check(page)
    expect(page.get_by_label("Online Desktop")).to_be_checked()
    page.get_by_role("button", name="Add").click()

    expect(page).to_have_url(re.compile(r"/licence/add/"))
    browsing.check(page)
    sample = page.get_by_label("Voorbeeldbedrijf B.V.")
    expect(sample).to_be_disabled()
    expect(page.get_by_text("Cannot be chosen:")).to_be_visible()
    page.get_by_label(office.production.name).check()
    page.get_by_role("button", name="OK").click()

    expect(page).to_have_url(re.compile(r"/licence/$"))
    linked = page.get_by_role("table").get_by_role("row").filter(has_text=office.production.name)
    expect(linked).to_contain_text("Not connected")
    browsing.check(page)
    link = LicenceLink.objects.get()
    assert (link.database, link.linked_by) == (office.production, office.admin)
