"""What both benchmarks share: throwaway PostgreSQL databases (od_bench_*), Django set up
against an online database of their own, a sync host of a throwaway company, its worker
process (and its peak memory), and the one JSON line they print.

Nothing here touches a database it did not create: every database is made with a fresh
od_bench_<what>_<hex> name and dropped (WITH FORCE) when the benchmark ends, also on failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def dsn_for(dbname: str) -> str:
    return urlsplit(SERVER)._replace(path=f"/{dbname}").geturl()


@contextmanager
def throwaway_database(what: str) -> Iterator[str]:
    """An empty PostgreSQL database named od_bench_<what>_<hex>, dropped on exit; its DSN."""
    dbname = f"od_bench_{what}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER, autocommit=True) as server:
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    try:
        yield dsn_for(dbname)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as server:
            server.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )


@contextmanager
def online_site() -> Iterator[Path]:
    """Django set up against a migrated throwaway online database, with a VAR_DIR of its own
    (so the filesystem broker, when no REDIS_URL is set, is private to this run). Yields the
    VAR_DIR; the worker processes inherit these settings through the environment."""
    with throwaway_database("online") as dsn, tempfile.TemporaryDirectory() as var_dir:
        os.environ["DATABASE_URL"] = dsn.replace("postgresql://", "postgres://", 1)
        os.environ["VAR_DIR"] = var_dir
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        try:
            yield Path(var_dir)
        finally:
            from django.db import connections

            connections.close_all()


def create_contacts_database(dsn: str, contacts: int, *, seed: int = 1) -> str:
    """A kit company database at `dsn` whose business data is `contacts` contacts (no orders,
    persons or activities): the kit builds the schema, triggers and settings, and its own
    generator draws the contacts. Nobody is logged in and no API client is enabled, so a
    first synchronisation may start. Returns the database_id."""
    from datetime import UTC, datetime

    from syncengine.companydb.connector import connect
    from syncengine.companydb.generator import create_company_database, generate
    from syncengine.companydb.schema import TABLES

    result = create_company_database(dsn, contacts=0, seed=seed, desktop_in_use=False)
    columns = ("id", *TABLES["contacts"].data_columns)
    with psycopg.connect(dsn) as connection:
        # The rows are the database's starting state, not desktop edits: loaded with the
        # change-log triggers off, as the kit loads its own data before adding them.
        connection.execute("ALTER TABLE contacts DISABLE TRIGGER USER")
        with connection.cursor() as cursor:
            statement = sql.SQL("COPY contacts ({}) FROM STDIN").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            )
            with cursor.copy(statement) as copy:

                class ContactsOnly:
                    def add(self, table: str, row: tuple[Any, ...]) -> None:
                        if table == "contacts":
                            copy.write_row(row)

                    def flush(self) -> None:
                        pass

                now = datetime.now(UTC)
                generate(
                    ContactsOnly(),  # type: ignore[arg-type]
                    contacts=contacts,
                    seed=seed,
                    as_of=now.date(),
                    now=now,
                    kind="production",
                    edition="full",
                    database_id=result.database_id,
                    desktop_in_use=False,
                )
        connection.execute("ALTER TABLE contacts ENABLE TRIGGER USER")
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('contacts', 'id'), "
            "coalesce(max(id), 0) + 1, false) FROM contacts"
        )
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE contacts")
    with connect(dsn) as connector:
        made = connector.row_counts()["contacts"]
    if made != contacts:
        raise SystemExit(f"The company database holds {made} contacts, not {contacts}.")
    return result.database_id


def make_host(*, company_dsn: str, database_id: str, var_dir: Path) -> dict[str, Any]:
    """A throwaway company with the company database at `company_dsn` reported by a paired,
    online sync host and linked for synchronisation; its credential file for the worker."""
    from django.utils import timezone

    from licensing.models import Company, CompanyDatabase
    from syncengine.host import HostCredentials
    from syncengine.models import HostDatabase, SyncHost, SyncLink, digest

    company = Company.objects.create(name="Benchmark B.V.")
    database = CompanyDatabase.objects.create(
        company=company,
        database_id=database_id,
        name="Benchmark",
        kind="production",
        edition="full",
        schema_version=1,
        reported_at=timezone.now(),
    )
    credential = uuid.uuid4().hex
    host = SyncHost.objects.create(
        company=company,
        name="BENCH",
        queue=SyncHost.new_queue(),
        credential_hash=digest(credential),
        last_heartbeat_at=timezone.now(),
    )
    HostDatabase.objects.create(host=host, database=database)
    link = SyncLink.objects.create(company=company, database=database, host=host)
    path = var_dir / "synchost.json"
    HostCredentials(
        host_id=host.pk, queue=host.queue, credential=credential, databases=[company_dsn]
    ).save(path)
    return {"link": link, "host": host, "credential_file": path}


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc)."""
    found = [pid]
    for parent in found:
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found.extend(int(child) for child in children)
    return found


def _peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory:
    """Samples the peak resident memory (VmHWM) of each process of a tree; `mb` is the
    highest of any one process (the worker's child, which does the work, or its parent)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            self.take()

    def take(self) -> None:
        for pid in _tree(self.pid):
            self.peak_kb = max(self.peak_kb, _peak_rss_kb(pid))

    def stop(self) -> float:
        self.take()
        self._stop.set()
        self._thread.join()
        return round(self.peak_kb / 1024, 1)


@contextmanager
def process(
    command: list[str], *, env: dict[str, str] | None = None, **options: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process in its own session, stopped (SIGTERM, then SIGKILL) and reaped on exit."""
    child = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env={**os.environ, **(env or {})},
        start_new_session=True,
        **options,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=10)


def worker_command(queue: str) -> list[str]:
    """A sync host's worker, as `synchost run` starts it (one process on the host's queue)."""
    return [
        sys.executable, "-m", "celery", "--app", "portal", "worker",
        "--queues", queue, "--concurrency", "1", "--loglevel", "WARNING",
        "--without-mingle", "--without-gossip", "--hostname", f"{queue}@%h",
    ]  # fmt: skip


def wait_for(condition: Any, *, timeout: float, interval: float = 0.1, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Gave up waiting for {what or condition} after {timeout} s.")
        time.sleep(interval)


def emit(figures: dict[str, Any]) -> None:
    """The benchmark's one line of output."""
    sys.stdout.write(json.dumps(figures) + "\n")
    sys.stdout.flush()
