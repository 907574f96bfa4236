"""`syncbench DSN`: times a first synchronisation of a PostgreSQL company database through the
engine, next to a raw binary COPY TO -> COPY FROM pipe of the same tables; one JSON line.

It works in a throwaway company of the configured online database and deletes it after."""

from __future__ import annotations

import json
import resource
import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from licensing.models import Company, CompanyDatabase
from records.models import RECORD_MODELS
from syncengine.companydb import connect
from syncengine.companydb.connector import PostgreSQLConnector
from syncengine.companydb.schema import _TYPES, TABLES
from syncengine.engine import TABLES as SYNCED
from syncengine.engine import Lease, initial_sync_step
from syncengine.models import SyncHost, SyncLink, SyncRun


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Times a first synchronisation of a PostgreSQL company database (JSON line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dsn", help="A kit company database on PostgreSQL.")

    def handle(self, *args: Any, **options: Any) -> None:
        connector = connect(options["dsn"])
        assert isinstance(connector, PostgreSQLConnector)  # noqa: S101
        settings = connector.company_settings()
        rss_before = _peak_rss_mb()
        raw_seconds, raw_rows = self._raw_pipe(connector)
        company = Company.objects.create(name="syncbench")
        try:
            database = CompanyDatabase.objects.create(
                company=company,
                database_id=uuid.uuid4(),  # the engine never reads it; a bench must not clash
                name=str(settings["name"]),
                kind="production",
                edition="full",
                schema_version=1,
                reported_at=timezone.now(),
            )
            host = SyncHost.objects.create(
                company=company,
                name="bench",
                queue=SyncHost.new_queue(),
                credential_hash=uuid.uuid4().hex,
            )
            link = SyncLink.objects.create(company=company, database=database, host=host)
            token = uuid.uuid4()
            run = SyncRun.objects.create(
                link=link, kind="initial", state="running", lease_token=token
            )
            started = time.perf_counter()
            while not initial_sync_step(
                run=run, lease=Lease(run.pk, token), connector=connector, budget_seconds=20
            ):
                run.refresh_from_db()
            seconds = time.perf_counter() - started
            run.refresh_from_db()
            rows = sum(p["done"] for p in run.progress.values())
            self.stdout.write(
                json.dumps(
                    {
                        "benchmark": "initial_sync",
                        "rows": rows,
                        "contacts": run.progress["contacts"]["done"],
                        "seconds": round(seconds, 2),
                        "rows_per_second": round(rows / seconds),
                        "raw_copy_seconds": round(raw_seconds, 2),
                        "raw_copy_rows_per_second": round(raw_rows / raw_seconds),
                        "ratio_to_raw_copy": round(raw_seconds / seconds, 2),
                        "peak_rss_mb_before": round(rss_before, 1),
                        "peak_rss_mb": round(_peak_rss_mb(), 1),
                        "timings": run.timings,
                    }
                )
            )
        finally:
            made = SyncLink.objects.filter(company=company).first()
            if made is not None:
                connector.release_sync_lock(made.lock_owner())
                made.delete()
            # Straight SQL deletes: the ORM's cascade would load a million records first.
            for model in reversed(RECORD_MODELS.values()):
                model._default_manager.filter(company=company)._raw_delete(connection.alias)
            SyncHost.objects.filter(company=company).delete()
            CompanyDatabase.objects.filter(company=company).delete()
            company.delete()
            connector.close()

    def _raw_pipe(self, connector: PostgreSQLConnector) -> tuple[float, int]:
        """Every synced table by binary COPY TO -> COPY FROM into unlogged-free temp tables."""
        started = time.perf_counter()
        rows = 0
        for table in SYNCED:
            kinds = TABLES[table].kinds()
            columns = ", ".join(f"{n} {_TYPES[kinds[n]][1]}" for n in TABLES[table].column_names)
            _low, high, _count = connector.table_bounds(table)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"CREATE TEMP TABLE raw_{table} ({columns}) ON COMMIT DROP")
                with cursor.cursor.copy(f"COPY raw_{table} FROM STDIN (FORMAT BINARY)") as copy:
                    for piece in connector.copy_out(table, 0, high):
                        copy.write(piece)
                cursor.execute(f"SELECT count(*) FROM raw_{table}")  # noqa: S608
                rows += cursor.fetchone()[0]
        return time.perf_counter() - started, rows
