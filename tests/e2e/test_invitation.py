"""Inviting a colleague: the super user picks an employee of the linked company database on
User administration and sends the invitation; the colleague opens the link from the e-mail
in their own browser, creates an ID there, joins the company, and signs in again later."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Membership
from tests.e2e.browser import Browsing, link_in_last_mail
from tests.e2e.conftest import Office, sign_in

pytestmark = pytest.mark.e2e

COLLEAGUE = "piet@devries.example"
PASSWORD = "Stroopwafel-op-dinsdag-7"


def test_an_invited_colleague_accepts_in_their_own_browser_and_signs_in(
    linked_office: Office, signed_in: Page, browsing: Browsing
) -> None:
    page = signed_in
    page.get_by_role("link", name="User administration").click()
    expect(page.get_by_role("heading", name="User administration")).to_be_visible()
    browsing.check(page)
    colleague = page.get_by_role("row").filter(has=page.get_by_role("link", name="Invite")).first
    name = colleague.get_by_role("rowheader").inner_text().splitlines()[0]
    colleague.get_by_role("link", name="Invite").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    browsing.check(page)
    page.locator("input[name=email]").fill(COLLEAGUE)
    page.locator("textarea[name=message]").fill("Welkom bij het team!")
    page.get_by_label("Sales", exact=True).check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text(COLLEAGUE).first).to_be_visible()
    browsing.check(page)

    link = link_in_last_mail(COLLEAGUE, r"https?://\S+/invitation/[\w-]+/")
    theirs = browsing.new_page()
    theirs.goto(link)
    company = linked_office.company.name
    expect(theirs.get_by_role("heading", name=f"Join {company}")).to_be_visible()
    browsing.check(theirs)
    theirs.locator("input[name=name]").fill("Piet Jansen")
    theirs.locator("input[name=password1]").fill(PASSWORD)
    theirs.locator("input[name=password2]").fill(PASSWORD)
    theirs.get_by_role("button", name=f"Create my ID and join {company}").click()

    expect(theirs).to_have_url(re.compile(r"/$"))
    expect(theirs.get_by_text(company).first).to_be_visible()
    browsing.check(theirs)
    membership = Membership.objects.get(user__email=COLLEAGUE)
    assert membership.company == linked_office.company
    assert (membership.profile.template, membership.is_super_user) == ("sales", False)

    theirs.get_by_role("button", name="Sign out").click()
    expect(theirs.get_by_role("button", name="Sign out")).to_have_count(0)
    sign_in(theirs, email=COLLEAGUE, password=PASSWORD)
    expect(theirs.get_by_text(company).first).to_be_visible()
    browsing.check(theirs)
