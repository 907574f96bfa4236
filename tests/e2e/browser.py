"""The machine's Chromium driven by Playwright, and what every journey checks on every page it
visits: no serious or critical accessibility violation (axe-core, from our own static files)
and nothing refused by the Content Security Policy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core import mail
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

CHROMIUM = "/usr/bin/chromium"
# Debian's chromium, never a browser download. Without the background-networking flags it
# keeps opening connections of its own that this machine refuses, many at a time.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_PATH = "/static/vendor/axe-core/axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

# Runs in the page: the serious and critical violations, each with where it was found.
_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((violation) => ["serious", "critical"].includes(violation.impact))
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.slice(0, 5).map((node) => node.target.join(" ")),
    }));
}"""


@dataclass
class Browsing:
    """The browser contexts of one test (each one a person's own browser), and what was seen."""

    browser: Browser
    base_url: str
    contexts: list[BrowserContext] = field(default_factory=list)
    csp_refusals: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def new_page(self, *, locale: str = "en-GB") -> Page:
        """A page in a fresh context: no cookies, as on another device."""
        context = self.browser.new_context(base_url=self.base_url, locale=locale)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._watch_console)
        return page

    def _watch_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_refusals.append(message.text)

    def check(self, page: Page) -> None:
        """Asserts the page as it is now: no serious or critical axe-core violation, and no
        script or style the CSP refused. axe-core is loaded from our static files, which the
        CSP allows (script-src 'self'), so the check runs under the real policy."""
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.add_script_tag(url=AXE_PATH)
        violations: list[dict[str, Any]] = page.evaluate(_AXE_RUN)
        self.checked.append(page.url)
        assert not violations, f"Accessibility violations on {page.url}:\n" + "\n".join(
            f"  {v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
            for v in violations
        )
        assert not self.csp_refusals, f"Refused by the CSP on {page.url}: {self.csp_refusals}"

    def save_failure(self, folder: Path, name: str) -> list[Path]:
        """A screenshot and the HTML of every open page, for a failed test."""
        folder.mkdir(parents=True, exist_ok=True)
        saved: list[Path] = []
        pages = [page for context in self.contexts for page in context.pages]
        for number, page in enumerate(pages, start=1):
            stem = folder / f"{name}-{number}"
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                stem.with_suffix(".html").write_text(page.content(), encoding="utf-8")
            except Exception as error:  # a closed page must not hide the test's own failure
                stem.with_suffix(".txt").write_text(f"{page.url}: {error}", encoding="utf-8")
            saved.append(stem)
        return saved

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


def link_in_last_mail(to: str, pattern: str) -> str:
    """The link matching `pattern` in the last e-mail sent to `to` (the locmem backend keeps
    what the live server sent, as it runs in this process)."""
    messages = [message for message in mail.outbox if to in message.to]
    assert messages, f"No e-mail to {to} among {[m.to for m in mail.outbox]}"
    body = str(messages[-1].body)
    found = re.search(pattern, body)
    assert found, body
    return found.group(0)
