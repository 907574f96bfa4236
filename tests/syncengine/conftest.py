"""Fixtures for the sync engine: a kit company database on each dialect (PostgreSQL ones are
named od_eng_<hex8> and dropped after the test), a sync link for it, and helpers that drive
the engine in-process."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from records.models import RECORD_MODELS
from syncengine.companydb import Connector, connect
from syncengine.companydb.generator import create_company_database
from syncengine.engine import Lease, initial_sync_step, pull_changes, push_outbox
from syncengine.models import HostDatabase, SyncHost, SyncLink, SyncRun, digest
from syncengine.store import OnlineStore
from tests.factories import CompanyDatabaseFactory, CompanyFactory
from tests.syncengine.companydb.conftest import Desktop, drop_postgres_database, postgres_dsn


@pytest.fixture(autouse=True)
def pushes_sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """The push_outbox tasks online edits send, as (link id, queue), kept from the broker:
    these tests drive the engine themselves, and nothing would consume them."""
    from syncengine import tasks

    sent: list[tuple[int, str]] = []
    monkeypatch.setattr(
        tasks.push_outbox, "apply_async", lambda args, queue: sent.append((args[0], queue))
    )
    return sent


@pytest.fixture(autouse=True)
def patient_marks(settings: Any) -> None:
    """xids are server-wide: a long transaction of another test run on the same PostgreSQL
    server holds the company database's mark back too. Wait it out rather than stall."""
    settings.SYNC_MARK_WAIT_SECONDS = 60
    settings.SYNC_MARK_TIMEOUT_SECONDS = 60


@pytest.fixture(autouse=True)
def tasks_sent_by_name(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Tasks the services send by name (start_due_runs), kept from the broker likewise."""
    from syncengine import services

    names: list[str] = []

    class App:
        def send_task(self, name: str, **options: object) -> None:
            names.append(name)

    monkeypatch.setattr(services, "current_app", App())
    return names


@pytest.fixture(params=["sqlite", "postgresql"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_company_database(tmp_path: Path) -> Iterator[Callable[..., tuple[str, str]]]:
    """Creates kit databases (dsn, database_id); nobody logged in, no API client enabled, so
    that a first synchronisation may start."""
    made: list[str] = []

    def make(dialect: str, contacts: int = 30, seed: int = 7) -> tuple[str, str]:
        if dialect == "sqlite":
            dsn = f"sqlite://{tmp_path}/company-{uuid.uuid4().hex[:8]}.db"
        else:
            dbname = f"od_eng_{uuid.uuid4().hex[:8]}"
            made.append(dbname)
            dsn = postgres_dsn(dbname)
        result = create_company_database(dsn, contacts=contacts, seed=seed)
        desktop = Desktop(dsn)
        desktop.execute("DELETE FROM desktop_sessions")
        desktop.execute("UPDATE api_clients SET is_enabled = ?", [False])
        desktop.close()
        return dsn, result.database_id

    yield make
    for dbname in made:
        drop_postgres_database(dbname)


@pytest.fixture
def company_database(dialect: str, make_company_database: Callable[..., tuple[str, str]]):
    return make_company_database(dialect)


@pytest.fixture
def company_dsn(company_database: tuple[str, str]) -> str:
    return company_database[0]


@pytest.fixture
def connector(company_dsn: str) -> Iterator[Connector]:
    with connect(company_dsn) as opened:
        yield opened


@pytest.fixture
def desktop(company_dsn: str) -> Iterator[Desktop]:
    opened = Desktop(company_dsn)
    yield opened
    opened.close()


def make_link(database_id: str, **options: Any) -> SyncLink:
    company = CompanyFactory.create()
    database = CompanyDatabaseFactory.create(company=company, database_id=database_id)
    host = SyncHost.objects.create(
        company=company,
        name="KANTOOR-SERVER",
        queue=SyncHost.new_queue(),
        credential_hash=digest(uuid.uuid4().hex),
        last_heartbeat_at=timezone.now(),
    )
    HostDatabase.objects.create(host=host, database=database)
    return SyncLink.objects.create(company=company, database=database, host=host, **options)


@pytest.fixture
def link(company_database: tuple[str, str]) -> SyncLink:
    return make_link(company_database[1])


def running_run(link: SyncLink) -> tuple[SyncRun, Lease]:
    """An initial run as a worker holds it after claiming."""
    token = uuid.uuid4()
    run = SyncRun.objects.create(
        link=link,
        kind=SyncRun.Kind.INITIAL,
        state=SyncRun.State.RUNNING,
        lease_token=token,
        lease_expires_at=timezone.now(),
        attempts=1,
    )
    return run, Lease(run.pk, token)


def initial_sync(link: SyncLink, connector: Connector) -> SyncRun:
    run, lease = running_run(link)
    while not initial_sync_step(run=run, lease=lease, connector=connector, budget_seconds=60):
        run.refresh_from_db()
    run.refresh_from_db()
    link.refresh_from_db()
    return run


@pytest.fixture
def synced(link: SyncLink, connector: Connector) -> SyncLink:
    """A link whose first synchronisation is done."""
    initial_sync(link, connector)
    return link


def sync(link: SyncLink, connector: Connector) -> None:
    """Push, then pull until nothing is left: what the tasks do in turn."""
    push_outbox(link=link, connector=connector)
    while True:
        pulled = pull_changes(link=link, connector=connector)
        if not pulled.applied:
            break
    link.refresh_from_db()


def company_rows(connector: Connector, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after = 0
    while True:
        chunk = connector.table_chunk(table, after, 5000)
        if not chunk:
            return rows
        rows.extend(chunk)
        after = chunk[-1]["id"]


def assert_same(link: SyncLink, connector: Connector) -> None:
    """Every business table holds the same rows with the same values on both sides."""
    store = OnlineStore(link.company)
    for table, model in RECORD_MODELS.items():
        rows = company_rows(connector, table)
        parents = {
            column: store.record_ids(parent, [row[column] for row in rows])
            for column, parent in model.PARENTS.items()
        }
        expected = {row["id"]: store.to_online(table, row, parents) for row in rows}
        online = {record.source_id: record.business_values() for record in store.records(table)}
        assert online == expected, table
