"""Beyond the journeys: every page the super user's dashboard links to, and their own ID's
pages, pass the same check (no serious or critical accessibility violation, nothing refused
by the CSP), in English and in Dutch."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import Browsing
from tests.e2e.conftest import Office

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_page_the_dashboard_links_to_passes_the_check(
    language: str, linked_office: Office, signed_in: Page, browsing: Browsing
) -> None:
    page = signed_in
    if language == "nl":
        page.get_by_role("button", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    browsing.check(page)
    links = page.locator("main a[href^='/'], header a[href^='/accounts/']").evaluate_all(
        "(links) => links.map((link) => link.getAttribute('href'))"
    )
    pages = sorted(set(links) | {"/accounts/password/change/"})
    assert "/company/users/" in pages, pages  # the dashboard of a super user

    for path in pages:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        browsing.check(page)
