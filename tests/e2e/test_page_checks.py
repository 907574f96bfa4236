"""The check every journey runs on every page it visits finds what it is there to find: a
serious accessibility violation, and a script the Content Security Policy refuses."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.browser import Browsing

pytestmark = pytest.mark.e2e


def test_a_page_passes_the_check_until_an_image_without_a_text_alternative_appears(
    page: Page, browsing: Browsing
) -> None:
    page.goto("/accounts/login/")
    browsing.check(page)

    page.evaluate(
        """() => {
          const image = document.createElement("img");
          image.src = "/static/portal/favicon.svg";
          document.querySelector("main").append(image);
        }"""
    )
    with pytest.raises(AssertionError, match="critical: image-alt"):
        browsing.check(page)


def test_an_inline_script_refused_by_the_policy_fails_the_check(
    page: Page, browsing: Browsing
) -> None:
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "document.title = 'inline';";
          document.body.append(script);
        }"""
    )
    with pytest.raises(AssertionError, match="Refused by the CSP"):
        browsing.check(page)
    assert page.title() != "inline"
