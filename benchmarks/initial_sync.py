"""`python -m benchmarks.initial_sync --rows N`: a first synchronisation of N contacts.

Builds a PostgreSQL company database of N contacts (the kit's generator), then measures
(a) the ceiling: a raw binary COPY TO -> COPY FROM pipe of the same rows into an empty table
    with exactly the definition, indexes and foreign keys of the online store's contact
    table (`CREATE TABLE … (LIKE records_contact INCLUDING ALL)` plus its foreign keys), in
    one transaction, commit included;
(b) the engine's initial sync of the same database through a real worker process on the sync
    host's queue (started and stopped here), from the run's start to its end as the run
    records them (`started_at`, `finished_at`), every step, checkpoint and re-queue included.

Prints one JSON line: rows, copy_rows_per_s, sync_rows_per_s, ratio (sync / copy) and
peak_rss_mb (the highest peak resident memory of any process of the worker).
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import sql

from benchmarks._common import (
    PeakMemory,
    create_contacts_database,
    emit,
    make_host,
    online_site,
    process,
    throwaway_database,
    wait_for,
    worker_command,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="contacts (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds the sync may take")
    options = parser.parse_args()

    with online_site() as var_dir, throwaway_database("company") as company_dsn:
        started = time.perf_counter()
        database_id = create_contacts_database(company_dsn, options.rows, seed=options.seed)
        build_seconds = time.perf_counter() - started
        host = make_host(company_dsn=company_dsn, database_id=database_id, var_dir=var_dir)
        copy_seconds = ceiling(company_dsn, company_id=host["link"].company_id)
        figures = engine_sync(host, timeout=options.timeout)
        rows = figures.pop("rows")
        if rows != options.rows:
            raise SystemExit(f"The sync copied {rows} contacts, not {options.rows}.")
        copy_rate = rows / copy_seconds
        sync_rate = rows / figures["sync_seconds"]
        emit(
            {
                "benchmark": "initial_sync",
                "rows": rows,
                "copy_rows_per_s": round(copy_rate),
                "sync_rows_per_s": round(sync_rate),
                "ratio": round(sync_rate / copy_rate, 3),
                "peak_rss_mb": figures.pop("peak_rss_mb"),
                "copy_seconds": round(copy_seconds, 2),
                **figures,
                "build_seconds": round(build_seconds, 1),
            }
        )


def ceiling(company_dsn: str, *, company_id: int) -> float:
    """Seconds for the raw pipe of every contact into a copy of the contact table's shape."""
    from django.db import connection

    from records.models import Contact

    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_ceiling (LIKE {table} INCLUDING ALL)")
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for (definition,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE bench_ceiling ADD {definition}")
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        types = dict(cursor.fetchall())
    # The same columns the engine fills, from the same company columns, as binary data of the
    # online column types (binary COPY does not convert).
    sources: dict[str, str] = {
        "company_id": str(int(company_id)),
        "source_id": "id",
        "row_version": "row_version",
        "updated_at": "now()",
        "sync_state": "'synced'",
        "sync_message": "''",
    }
    for column in Contact.COLUMNS:
        field = Contact.field_for(column)
        text = field.get_internal_type() == "TextField" and not field.null
        sources[str(field.column)] = f"coalesce({column}, '')" if text else column
    select = ", ".join(f"({expression})::{types[c]}" for c, expression in sources.items())
    out = f"COPY (SELECT {select} FROM contacts ORDER BY id) TO STDOUT (FORMAT BINARY)"  # noqa: S608
    into = sql.SQL("COPY bench_ceiling ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in sources)
    )
    with psycopg.connect(company_dsn) as source, connection.cursor() as cursor:
        started = time.perf_counter()
        with connection.connection.transaction():
            raw = cursor.cursor
            with source.cursor().copy(out) as reading, raw.copy(into) as writing:
                for data in reading:
                    writing.write(data)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_ceiling")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_ceiling")
    if copied != count_contacts(company_dsn):
        raise SystemExit(f"The ceiling pipe copied {copied} rows.")
    return seconds


def count_contacts(company_dsn: str) -> int:
    with psycopg.connect(company_dsn) as connection:
        row = connection.execute("SELECT count(*) FROM contacts").fetchone()
        return int(row[0]) if row else 0


def engine_sync(host: dict[str, Any], *, timeout: float) -> dict[str, Any]:
    """The initial sync as the product runs it: a queued run sent to the host's queue."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from syncengine.host import CREDENTIAL_FILE_VARIABLE
    from syncengine.models import SyncRun
    from syncengine.tasks import queue_run

    link = host["link"]
    environment = {CREDENTIAL_FILE_VARIABLE: str(host["credential_file"])}
    with process(worker_command(link.host.queue), env=environment) as worker:
        memory = PeakMemory(worker.pid)
        with transaction.atomic():
            now = timezone.now()
            run = SyncRun.objects.create(
                link=link,
                kind=SyncRun.Kind.INITIAL,
                state=SyncRun.State.QUEUED,
                scheduled_for=now,
                lease_expires_at=now + timedelta(seconds=settings.SYNC_LEASE_SECONDS),
            )
            queue_run(run)

        def finished() -> bool:
            run.refresh_from_db()
            if worker.poll() is not None:
                raise SystemExit(f"The worker stopped (exit code {worker.returncode}).")
            if run.state == SyncRun.State.FAILED:
                raise SystemExit(f"The sync failed: {run.error}")
            return run.state == SyncRun.State.DONE

        wait_for(finished, timeout=timeout, interval=0.2, what="the initial sync")
        peak = memory.stop()
    if run.started_at is None or run.finished_at is None:
        raise SystemExit("The run finished without its start and end times.")
    return {
        "rows": link.company.contacts.count(),
        "peak_rss_mb": peak,
        "sync_seconds": round((run.finished_at - run.started_at).total_seconds(), 2),
        "attempts": run.attempts,
        "timings": run.timings,
    }


if __name__ == "__main__":
    main()
