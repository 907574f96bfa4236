"""Fixtures of the fault tests (`make faults`): real workers killed with SIGKILL, a real Redis
restarted, a company database that stops answering. They need PostgreSQL and Redis and fail,
never skip, without them.

Sizes and timings are chosen so that the whole run stays within about ten minutes on a
2-core machine: a kit company database of FAULTS_CONTACTS contacts (default 10,000, about
100,000 rows in all) built once and cloned per test; leases of 10 seconds (the shortest the
settings allow), so that a dead worker's run is handed on quickly; chunks of 5,000 rows.

Random choices (where to kill, what to edit) come from one seed, printed in the header and
with every failure; FAULTS_SEED=<n> repeats a run.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone
from psycopg import sql
from pytest_django.fixtures import Settings

from portal.celery import app
from records.models import OutboxEntry
from syncengine import tasks
from syncengine.companydb.generator import create_company_database
from syncengine.host import CREDENTIAL_FILE_VARIABLE, HostCredentials
from syncengine.models import SyncHost, SyncLink, SyncRun
from tests.conftest import _check_postgres, _check_redis
from tests.faults.processes import Workers
from tests.syncengine.companydb.conftest import SERVER_DSN, drop_postgres_database, postgres_dsn
from tests.syncengine.conftest import make_link

CONTACTS = int(os.environ.get("FAULTS_CONTACTS", "10000"))
SEED = int(os.environ.get("FAULTS_SEED") or random.SystemRandom().randrange(1, 10**9))
# The desktop super user of the kit database, so that an ID with this e-mail may activate it.
ACTIVATOR_EMAIL = "activator@faults.example"
RECOVERY_LIMIT = 120.0  # seconds from a kill until the sync moves on again

# The settings of every process of a fault test (workers by environment, this one directly).
FAULT_SETTINGS = {
    "SYNC_LEASE_SECONDS": 10,
    "SYNC_STEP_SECONDS": 2,
    "SYNC_COPY_CHUNK": 5_000,
    "SYNC_BATCH_CHUNK": 2_000,
    # Transaction ids are server-wide: another test run's long transaction on this server
    # holds our marks back too. Wait it out rather than fail.
    "SYNC_MARK_WAIT_SECONDS": 30,
    "SYNC_MARK_TIMEOUT_SECONDS": 60,
}


def pytest_report_header() -> str:
    return f"faults: seed {SEED} (FAULTS_SEED={SEED} repeats it), {CONTACTS} contacts"


@pytest.fixture(scope="session", autouse=True)
def postgres_and_redis() -> None:
    problems = [problem for problem in (_check_postgres(), _check_redis()) if problem]
    if problems:
        pytest.fail("The fault tests need PostgreSQL and Redis: " + "; ".join(problems))


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """This test's random choices: the session's seed and the test's name."""
    print(f"seed {SEED} (FAULTS_SEED={SEED})")
    return random.Random(SEED ^ zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True)
def fault_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAULT_SETTINGS.items():
        setattr(settings, name, value)
        monkeypatch.setenv(name, str(value))


def use_broker(url: str, options: dict[str, Any]) -> None:
    """Points this process's Celery app at another broker (the pools are made anew)."""
    app.conf.broker_url = url
    app.conf.broker_transport_options = options
    app._after_fork()  # drops the connection and producer pools


@pytest.fixture(params=["redis", "filesystem"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The broker of this test, for the workers and for this process: Redis, or kombu's
    filesystem transport (the embedded default, which loses a task whose worker main process
    dies)."""
    before = (app.conf.broker_url, dict(app.conf.broker_transport_options or {}))
    if request.param == "redis":
        url, options = str(settings.REDIS_URL), {}
    else:
        folder = Path(settings.VAR_DIR) / "celery"
        for name in ("queue", "control"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        url = "filesystem://"
        # As portal/settings.py sets them for the embedded default.
        options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.1,
        }
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    use_broker(url, options)
    yield str(request.param)
    use_broker(*before)


# -- company databases -------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    dbname: str
    rows: dict[str, int]


@pytest.fixture(scope="session")
def kit_template() -> Iterator[Template]:
    """The kit company database the tests clone: built once (the generator is the slow part),
    nobody logged in and no integration enabled, so a first synchronisation may start."""
    dbname = f"od_faults_tpl_{uuid.uuid4().hex[:8]}"
    result = create_company_database(
        postgres_dsn(dbname),
        contacts=CONTACTS,
        seed=SEED % 10_000,
        desktop_in_use=False,
        super_user_email=ACTIVATOR_EMAIL,
    )
    yield Template(dbname, result.rows)
    drop_postgres_database(dbname)


@dataclass(frozen=True)
class CompanyDatabase:
    dsn: str
    dbname: str
    database_id: str


@pytest.fixture
def company_database(kit_template: Template) -> Iterator[CompanyDatabase]:
    """A fresh copy of the template under a new identity (a database_id is one company's)."""
    dbname = f"od_faults_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER_DSN, autocommit=True) as server:
        server.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(dbname), sql.Identifier(kit_template.dbname)
            )
        )
    dsn = postgres_dsn(dbname)
    database_id = str(uuid.uuid4())
    with psycopg.connect(dsn, autocommit=True) as company:
        company.execute("UPDATE company_settings SET database_id = %s", [database_id])
    yield CompanyDatabase(dsn, dbname, database_id)
    drop_postgres_database(dbname)


def credential_file(path: Path, host: SyncHost, dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The host's credential file naming the company database, as `synchost run` keeps it;
    the workers find it through the environment."""
    HostCredentials(host_id=host.pk, queue=host.queue, credential="x", databases=[dsn]).save(path)
    monkeypatch.setenv(CREDENTIAL_FILE_VARIABLE, str(path))


@pytest.fixture
def link(
    company_database: CompanyDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SyncLink:
    made = make_link(company_database.database_id)
    credential_file(tmp_path / "synchost.json", made.host, company_database.dsn, monkeypatch)
    return made


@pytest.fixture
def workers(link: SyncLink) -> Iterator[Workers]:
    """Workers on the default queue and the link's host queue; all stopped at the end."""
    started = Workers(queues=f"default,{link.host.queue}")
    yield started
    started.stop()


# -- waiting, as beat would ---------------------------------------------------------------------


class Beat:
    """This test process plays beat (every second, not every 15 to 60 seconds) and the sync
    host's heartbeat, so that a dead worker's run is handed on as soon as its lease ends."""

    def __init__(self, *, tick: bool = False, interval: float = 1.0) -> None:
        self.tick = tick
        self.interval = interval
        self.last = 0.0

    def __call__(self) -> None:
        if time.monotonic() - self.last < self.interval:
            return
        self.last = time.monotonic()
        SyncHost.objects.update(last_heartbeat_at=timezone.now())
        tasks.start_due_runs()
        tasks.reap_runs()
        if self.tick:
            tasks.tick()


def sync_state() -> str:
    """What the runs, links and outbox say, for a failure message."""
    lines = [
        f"run {run.pk} {run.kind} {run.state} attempts={run.attempts} failures={run.failures} "
        f"owner={run.lease_owner} expires={run.lease_expires_at} phase={run.phase} "
        f"checkpoints={run.checkpoints} error={run.error!r}"
        for run in SyncRun.objects.exclude(kind=SyncRun.Kind.INCREMENTAL)
    ]
    for link in SyncLink.objects.all():
        lines.append(
            f"link {link.pk} {link.state} last_seq={link.last_seq} pull_claimed_until="
            f"{link.pull_claimed_until} stalled={link.stall_message!r}"
        )
        lines += [
            f"  trace {line.at:%H:%M:%S} {line.level} {line.message[:200]}"
            for line in link.trace_lines.order_by("-at", "-pk")[:8]
        ]
    unfinished = OutboxEntry.objects.unfinished().order_by("created_at")
    lines += [
        f"outbox {e.table} {e.op} {e.state} attempts={e.attempts} claimed_until="
        f"{e.claimed_until} created={e.created_at:%H:%M:%S}"
        for e in unfinished[:10]
    ]
    lines.append(f"unfinished outbox entries: {unfinished.count()}; now {timezone.now()}")
    lines.append(f"filesystem queue: {queued_on_disk()}")
    return "\n".join(lines)


def queued_on_disk() -> dict[str, int]:
    """The tasks waiting in the filesystem transport's folder, by name (a backlog shows)."""
    counts: dict[str, int] = {}
    for path in (Path(settings.VAR_DIR) / "celery" / "queue").glob("*.msg"):
        with suppress(OSError, ValueError):
            name = json.loads(path.read_text())["headers"]["task"]
            counts[name] = counts.get(name, 0) + 1
    return counts


excused_seconds = 0.0  # of the last wait_for


def held_back_from_elsewhere() -> bool:
    """Whether a link's cursor waits for a transaction outside its company database.

    Transaction ids are server-wide, and other test runs share this PostgreSQL server: their
    long transactions hold the change log back too, and the engine rightly waits (DESIGN.md
    invariant 2). That time is theirs, not a recovery's. (A transaction open in the company
    database itself is named in the message, and is never excused.)"""
    return (
        SyncLink.objects.filter(stalled_since__isnull=False)
        .exclude(stall_message__contains="held back by a transaction")
        .exists()
    )


def wait_for(
    condition: Callable[[], Any],
    *,
    timeout: float,
    beat: Beat | None = None,
    what: str = "",
    excused: Callable[[], bool] = held_back_from_elsewhere,
    step: Callable[[], None] | None = None,
) -> Any:
    """Polls `condition` (playing beat meanwhile) until it is truthy; its value. Time during
    which the sync is `excused` does not count.

    With `step` (a paused worker's `Workers.step` for a slice of time), the worker runs only
    between two polls and stands still while `condition` looks: what it saw is still so when
    this returns, the worker paused."""
    global excused_seconds
    excused_seconds = 0.0
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while True:
        value = condition()
        if value:
            return value
        now = time.monotonic()
        if excused():
            deadline += now - last
            excused_seconds += now - last
        last = now
        if time.monotonic() > deadline:
            raise AssertionError(
                f"Not within {timeout:.0f} s: {what} (seed {SEED})\n{sync_state()}"
            )
        if beat is not None:
            beat()
        if step is not None:
            step()
        else:
            time.sleep(0.05)
