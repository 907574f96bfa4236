"""Creating an ID: name and e-mail on one device, the link from the e-mail opened on another
(a fresh browser context), the password chosen there, signed in there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.e2e.browser import Browsing, link_in_last_mail

pytestmark = pytest.mark.e2e

EMAIL = "sanne@bakkerij.example"
PASSWORD = "Roggebrood-met-kaas-42"


def test_an_id_is_created_from_the_link_in_the_mail_opened_in_another_browser(
    page: Page, browsing: Browsing
) -> None:
    page.goto("/")
    browsing.check(page)
    page.get_by_role("link", name="Create an ID").first.click()
    browsing.check(page)
    page.locator("input[name=name]").fill("Sanne Bakker")
    page.locator("input[name=email]").fill(EMAIL)
    page.get_by_role("button", name="Send me the link").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/sent/$"))
    expect(page.get_by_text(EMAIL)).to_be_visible()
    browsing.check(page)
    assert not User.objects.filter(email=EMAIL).exists()  # no ID until the password is chosen

    link = link_in_last_mail(EMAIL, r"https?://\S+/accounts/signup/confirm/\S+/")
    elsewhere = browsing.new_page()
    elsewhere.goto(link)
    browsing.check(elsewhere)
    elsewhere.locator("input[name=password1]").fill(PASSWORD)
    elsewhere.locator("input[name=password2]").fill(PASSWORD)
    elsewhere.get_by_role("button", name="Create my ID").click()

    expect(elsewhere).to_have_url(re.compile(r"/$"))
    expect(elsewhere.get_by_role("button", name="Sign out")).to_be_visible()
    browsing.check(elsewhere)
    user = User.objects.get(email=EMAIL)
    assert (user.name, user.check_password(PASSWORD)) == ("Sanne Bakker", True)
    page.reload()  # the first browser never signed in
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
