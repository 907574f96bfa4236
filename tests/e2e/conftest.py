"""Browser journeys against a live server, with real worker processes where a journey needs
them. Marked `e2e` and left out of a plain `pytest` run: `make e2e` (or `pytest -m e2e`).

The fixtures build on each other, so that a later journey can start where it needs to:

- `browsing`: Chromium contexts for one test (`browsing.new_page()` is another device);
  a failed test leaves a screenshot and the HTML of each page under VAR_DIR/e2e-failures/.
- `office`: a company with an agreement, its super user (`office.admin`), a production and a
  sample company database made by the kit, and a sync host paired through `synchost run`.
- `linked_office`: the same, with the Online Desktop licence linked to the production database.
- `sync_processes`: the host's `synchost run` (heartbeat + its worker) and a default-queue worker.
- `synchronising_office`: activated, its first synchronisation done, changes flowing both ways.
- `signed_in`: a page signed in as the office's super user.

The live server runs in this process and the workers in their own, on the test database
(a file in VAR_DIR on SQLite), so the tests are transactional; every process a test starts is
stopped before the database is emptied for the next one.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from licensing.models import AddOnProduct, Agreement, Company, CompanyDatabase, LicenceLink
from licensing.services import link_database
from syncengine.companydb.generator import create_company_database
from syncengine.models import SyncHost, SyncLink, SyncRun
from syncengine.services import connect_database, issue_pairing_code, start_initial_sync
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, Browsing
from tests.factories import DEFAULT_PASSWORD, AgreementFactory, MembershipFactory, UserFactory
from tests.workers import BASE_DIR, subprocess_environment

ADMIN_EMAIL = "demi@devries.example"
COMPANY_NAME = "De Vries Installatietechniek B.V."
# Small enough to make and copy in seconds (about 1,200 rows in all).
CONTACTS = 120
# What the worker processes run with: a quick heartbeat, short steps of small chunks.
WORKER_ENVIRONMENT = {
    "SYNC_HOST_HEARTBEAT_SECONDS": "2",
    "SYNC_STEP_SECONDS": "1",
    "SYNC_BATCH_CHUNK": "10",
    "LOG_LEVEL": "WARNING",
}


# --- Marker and failures ------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser journeys run only when asked for by marker (`-m e2e`): they take minutes and
    start browsers and workers, so `make test` leaves them to `make e2e`."""
    if "e2e" in (config.option.markexpr or ""):
        return
    journeys = [item for item in items if item.get_closest_marker("e2e")]
    if journeys:
        config.hook.pytest_deselected(items=journeys)
        items[:] = [item for item in items if not item.get_closest_marker("e2e")]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        lines = []
        browsing = getattr(item, "funcargs", {}).get("browsing")
        if isinstance(browsing, Browsing):
            folder = Path(settings.VAR_DIR) / "e2e-failures"
            name = re.sub(r"[^\w.-]+", "_", item.nodeid.split("::", 1)[-1])
            for stem in browsing.save_failure(folder, name):
                lines.append(f"saved {stem}.png and {stem}.html")
            lines.append(f"pages checked: {browsing.checked}")
        for log in getattr(item, "e2e_logs", []):
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
            lines.append(f"--- end of {log}:\n{tail}")
        if lines:
            report.sections.append(("e2e failure", "\n".join(lines)))
            saved = [line for line in lines if line.startswith("saved ")]
            print("\n".join(saved), file=sys.stderr)
    return report


# --- Browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop on this thread; Django then takes every query
    # of the test for one made from async code and refuses it. The test code is synchronous.
    allowed = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if allowed is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = allowed


@pytest.fixture
def browsing(browser: Browser, live_server: LiveServer, settings: Settings) -> Iterator[Browsing]:
    settings.SITE_URL = live_server.url  # links in mails sent outside a request
    opened = Browsing(browser=browser, base_url=live_server.url)
    yield opened
    opened.close()


@pytest.fixture
def page(browsing: Browsing) -> Page:
    return browsing.new_page()


def sign_in(page: Page, *, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/$"))


# --- Processes ----------------------------------------------------------------------------------


def start(*args: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`python ARGS` on this run's settings (database, broker, VAR_DIR), in its own process
    group so that stopping it reaches the worker processes it starts too."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=BASE_DIR,
            env={**subprocess_environment(), **WORKER_ENVIRONMENT, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def manage_py(*args: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return start("manage.py", *args, log=log, env=env)


def stop(*processes: subprocess.Popen[bytes], grace: float = 5) -> None:
    """Stops the processes and everything they started: SIGTERM to each process group at
    once, SIGKILL to what is still there after `grace` seconds. Cutting a slow warm shutdown
    short loses nothing: runs are rows with leases (DESIGN.md, invariant 6)."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # a straggler, or a child left behind
        process.wait(timeout=10)


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {timeout:.0f} s for {what}")
        time.sleep(0.25)


# --- The office ---------------------------------------------------------------------------------


@dataclass
class Office:
    """A company with its agreement, super user, kit company databases and paired sync host."""

    company: Company
    agreement: Agreement
    admin: User
    production_dsn: str
    credential_file: Path
    logs: Path

    @property
    def host(self) -> SyncHost:
        return SyncHost.objects.get(company=self.company)

    @property
    def production(self) -> CompanyDatabase:
        return self.company.databases.get(kind=CompanyDatabase.Kind.PRODUCTION)

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"


@pytest.fixture
def office(live_server: LiveServer, tmp_path: Path, request: pytest.FixtureRequest) -> Office:
    """Like the demo: the agreement holder is the company's super user and, by e-mail, the
    desktop super user of the production database (in which nobody works, so a first sync may
    start now); the sample database cannot be linked. The host is paired as a person would:
    a pairing code, then `synchost run --pair CODE --database DSN ... --once`."""
    admin = UserFactory.create(email=ADMIN_EMAIL, name="Demi de Vries", language="en")
    agreement = AgreementFactory.create(
        holder_email=ADMIN_EMAIL, company__name=COMPANY_NAME, company__language="en"
    )
    MembershipFactory.create(user=admin, company=agreement.company, is_super_user=True)
    production = f"sqlite:///{tmp_path / 'production.sqlite3'}"
    sample = f"sqlite:///{tmp_path / 'sample.sqlite3'}"
    create_company_database(
        production,
        contacts=CONTACTS,
        company_name=COMPANY_NAME,
        desktop_in_use=False,
        super_user_email=ADMIN_EMAIL,
        super_user_name=("Demi", "de Vries"),
    )
    create_company_database(
        sample,
        contacts=5,
        seed=2,
        kind="sample",
        company_name="Voorbeeldbedrijf B.V.",
        super_user_email=ADMIN_EMAIL,
        super_user_name=("Demi", "de Vries"),
    )
    made = Office(
        company=agreement.company,
        agreement=agreement,
        admin=admin,
        production_dsn=production,
        credential_file=tmp_path / "synchost.json",
        logs=tmp_path,
    )
    request.node.e2e_logs = [made.log("pairing"), made.log("synchost"), made.log("worker")]
    code = issue_pairing_code(company=made.company, by=admin)
    pairing = manage_py(
        "synchost", "run", "--pair", code, "--database", production, "--database", sample,
        "--credential-file", str(made.credential_file), "--once",
        log=made.log("pairing"),
    )  # fmt: skip
    try:
        assert pairing.wait(timeout=120) == 0, made.log("pairing").read_text()
    finally:
        stop(pairing)
    return made


@pytest.fixture
def linked_office(office: Office) -> Office:
    """The Online Desktop licence linked to the production database."""
    link_database(
        agreement=office.agreement,
        addon=AddOnProduct.objects.get(code=AddOnProduct.ONLINE_DESKTOP),
        database=office.production,
        by=office.admin,
    )
    return office


@pytest.fixture
def worker_environment() -> dict[str, str]:
    """Settings for the worker processes on top of WORKER_ENVIRONMENT; a test module may
    override this fixture (e.g. smaller chunks, to watch a first sync move)."""
    return {}


@pytest.fixture
def sync_processes(office: Office, worker_environment: dict[str, str]) -> Iterator[None]:
    """The office's sync host running (`synchost run`: heartbeat, reports and the worker on
    its queue), a worker on the default queue and beat (whose tick pulls a company database
    that cannot notify, as the kit's SQLite ones), as `make run` starts them; all stopped
    after the test."""
    started = [
        manage_py(
            "synchost", "run", "--credential-file", str(office.credential_file),
            log=office.log("synchost"), env=worker_environment,
        )
    ]  # fmt: skip
    try:
        started.append(
            start(
                "-m", "celery", "--app", "portal", "worker", "--queues", "default",
                "--concurrency", "1", "--without-mingle", "--without-gossip",
                "--hostname", f"e2e-{os.getpid()}@%h",
                log=office.log("worker"), env=worker_environment,
            )
        )  # fmt: skip
        started.append(
            start(
                "-m", "celery", "--app", "portal", "beat", "--pidfile=",
                log=office.log("beat"), env=worker_environment,
            )
        )  # fmt: skip
        yield
    finally:
        stop(*started)


@pytest.fixture
def synchronising_office(linked_office: Office, sync_processes: None) -> Office:
    """Activated as Finish does it, and its first synchronisation done by the real processes:
    from here on changes flow both ways (a desktop change comes in with the next pull, an
    online edit is pushed at once)."""
    licence = LicenceLink.objects.get(database=linked_office.production)
    link = connect_database(licence_link=licence, host=linked_office.host, by=linked_office.admin)
    run = start_initial_sync(link=link, by=linked_office.admin)
    wait_until(
        lambda: (
            SyncRun.objects.filter(pk=run.pk, state=SyncRun.State.DONE).exists()
            and SyncLink.objects.filter(pk=link.pk, state=SyncLink.State.CONNECTED).exists()
        ),
        timeout=180,
        what="the first synchronisation",
    )
    return linked_office


@pytest.fixture
def signed_in(page: Page, office: Office) -> Page:
    sign_in(page, email=office.admin.email)
    return page
