"""`python -m benchmarks.incremental --changes N --rate R`: continuous sync under load.

A running engine with beat switched off: a sync host (`synchost run`: its worker and its
listener for the company database's notifications) on a linked, first-synchronised company
database. For `--seconds` seconds, desktop edits are committed in the company database at R
per second and online edits (`update_record`) at R per second, each to a contact of its own.
A watcher looks at both sides every 10 ms and notes when each edit becomes visible on the
other side. Then a backlog of N desktop changes is committed at once (one transaction) and
timed until the online store's cursor has passed all of them.

Prints one JSON line: p50/p95/p99 milliseconds from commit on one side to visible on the
other, each direction (`in`: desktop -> online, `out`: online -> desktop), and catch-up
throughput (`catchup_changes_per_s`) for the backlog.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import psycopg

from benchmarks._common import (
    create_contacts_database,
    emit,
    make_host,
    online_site,
    process,
    throwaway_database,
    wait_for,
)

WATCH_SECONDS = 0.01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=5000, help="backlog for catch-up")
    parser.add_argument("--rate", type=float, default=50, help="edits per second, each way")
    parser.add_argument("--seconds", type=float, default=20, help="length of the load")
    options = parser.parse_args()
    if not (os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")):
        raise SystemExit(
            "The incremental benchmark needs a real broker: set REDIS_URL (the filesystem "
            "broker polls once a second, which is what it would measure)."
        )
    each_way = int(options.rate * options.seconds)
    contacts = 2 * each_way + options.changes + 10

    with online_site() as var_dir, throwaway_database("company") as company_dsn:
        database_id = create_contacts_database(company_dsn, contacts)
        host = make_host(company_dsn=company_dsn, database_id=database_id, var_dir=var_dir)
        link = host["link"]
        command = [
            sys.executable, "manage.py", "synchost", "run",
            "--credential-file", str(host["credential_file"]),
        ]  # fmt: skip
        with (
            open(var_dir / "synchost.log", "wb") as log,
            process(command, stdout=log, stderr=subprocess.STDOUT) as synchost,
        ):
            first_sync(link, synchost)
            latencies = under_load(
                link, company_dsn, rate=options.rate, each_way=each_way, synchost=synchost
            )
            first_backlog = 2 * each_way + 1
            catchup = catch_up(
                link, company_dsn, first=first_backlog, count=options.changes, synchost=synchost
            )
        if os.environ.get("BENCH_KEEP_LOG"):
            shutil.copy(var_dir / "synchost.log", os.environ["BENCH_KEEP_LOG"])
        emit(
            {
                "benchmark": "incremental",
                "rate": options.rate,
                "edits_each_way": each_way,
                **{
                    f"{direction}_{name}_ms": value
                    for direction, figures in latencies.items()
                    for name, value in figures.items()
                },
                "backlog": options.changes,
                "catchup_changes_per_s": round(catchup),
            }
        )


def first_sync(link: Any, synchost: subprocess.Popen[bytes]) -> None:
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from syncengine.models import SyncLink, SyncRun
    from syncengine.tasks import queue_run

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

    def connected() -> bool:
        alive(synchost)
        link.refresh_from_db()
        return link.state == SyncLink.State.CONNECTED

    wait_for(connected, timeout=600, interval=0.2, what="the first synchronisation")


def alive(synchost: subprocess.Popen[bytes]) -> None:
    if synchost.poll() is not None:
        raise SystemExit(f"synchost run stopped (exit code {synchost.returncode}).")


def under_load(
    link: Any, company_dsn: str, *, rate: float, each_way: int, synchost: subprocess.Popen[bytes]
) -> dict[str, dict[str, float]]:
    """Edits both ways at `rate` per second; the latency percentiles of each direction."""
    from django.db import connection

    from records.models import Contact

    # Desktop edits go to contacts 1..each_way, online edits to the next each_way, so that no
    # edit meets another one (a conflict is another benchmark's subject).
    desktop_ids = list(range(1, each_way + 1))
    online_ids = list(range(each_way + 1, 2 * each_way + 1))
    committed: dict[str, dict[int, tuple[str, float]]] = {"in": {}, "out": {}}
    visible: dict[str, dict[int, float]] = {"in": {}, "out": {}}
    online_dsn = _online_dsn()
    failures: list[BaseException] = []

    def desktop() -> None:
        with psycopg.connect(company_dsn, autocommit=True) as company:
            started = time.monotonic()
            for n, row_id in enumerate(desktop_ids):
                _pace(started, n, rate)
                token = f"desktop edit {n}"
                company.execute("UPDATE contacts SET notes = %s WHERE id = %s", [token, row_id])
                committed["in"][row_id] = (token, time.monotonic())

    def online() -> None:
        from records.services import update_record

        try:
            records = {
                record.source_id: record
                for record in Contact.objects.filter(company=link.company, source_id__in=online_ids)
            }
            started = time.monotonic()
            for n, source_id in enumerate(online_ids):
                _pace(started, n, rate)
                token = f"online edit {n}"
                update_record(record=records[source_id], values={"notes": token})
                committed["out"][source_id] = (token, time.monotonic())
        finally:
            connection.close()

    def watch() -> None:
        with (
            psycopg.connect(online_dsn, autocommit=True) as online_side,
            psycopg.connect(company_dsn, autocommit=True) as company_side,
        ):
            while not done.is_set() or _waiting(committed, visible):
                time.sleep(WATCH_SECONDS)
                for direction, side, statement, scope in (
                    (
                        "in",
                        online_side,
                        "SELECT source_id, notes FROM records_contact "
                        "WHERE company_id = %s AND source_id = ANY(%s)",
                        [link.company_id],
                    ),
                    ("out", company_side, "SELECT id, notes FROM contacts WHERE id = ANY(%s)", []),
                ):
                    waiting = {
                        row_id: token
                        for row_id, (token, _at) in list(committed[direction].items())
                        if row_id not in visible[direction]
                    }
                    if not waiting:
                        continue
                    rows = side.execute(statement, [*scope, list(waiting)]).fetchall()
                    now = time.monotonic()
                    for row_id, notes in rows:
                        if notes == waiting[row_id]:
                            visible[direction][row_id] = now

    def guarded(target: Any) -> Any:
        def run() -> None:
            try:
                target()
            except BaseException as error:  # reported by the main thread
                failures.append(error)

        return run

    done = threading.Event()
    watcher = threading.Thread(target=guarded(watch), daemon=True)
    editors = [threading.Thread(target=guarded(f), daemon=True) for f in (desktop, online)]
    watcher.start()
    for editor in editors:
        editor.start()
    for editor in editors:
        editor.join()
    done.set()
    deadline = time.monotonic() + 120
    while watcher.is_alive() and time.monotonic() < deadline:
        alive(synchost)
        watcher.join(timeout=0.5)
    if failures:
        raise failures[0]
    if watcher.is_alive():
        raise SystemExit(f"Edits still not visible after 120 s: {_waiting(committed, visible)}")
    result = {}
    for direction in ("in", "out"):
        milliseconds = sorted(
            (visible[direction][row_id] - at) * 1000
            for row_id, (_token, at) in committed[direction].items()
        )
        result[direction] = _percentiles(milliseconds)
    return result


def catch_up(
    link: Any, company_dsn: str, *, first: int, count: int, synchost: subprocess.Popen[bytes]
) -> float:
    """Changes per second in catching up with `count` desktop changes committed at once."""
    online_dsn = _online_dsn()
    with psycopg.connect(company_dsn) as company, psycopg.connect(online_dsn) as online_side:
        with company.transaction():
            company.execute(
                "UPDATE contacts SET notes = 'backlog' WHERE id >= %s AND id < %s",
                [first, first + count],
            )
            (last,) = company.execute("SELECT last_value FROM change_log_seq").fetchone() or (0,)
        committed = time.monotonic()
        online_side.autocommit = True

        def caught_up() -> bool:
            alive(synchost)
            found = online_side.execute(
                "SELECT last_seq FROM syncengine_synclink WHERE id = %s", [link.pk]
            ).fetchone()
            return found is not None and int(found[0]) >= int(last)

        wait_for(caught_up, timeout=600, interval=WATCH_SECONDS, what="the catch-up")
        seconds = time.monotonic() - committed
        # The cursor says the changes are in; the figure counts only if the rows say so too.
        (arrived,) = online_side.execute(
            "SELECT count(*) FROM records_contact WHERE company_id = %s "
            "AND source_id >= %s AND source_id < %s AND notes = 'backlog'",
            [link.company_id, first, first + count],
        ).fetchone() or (0,)
        if arrived != count:
            raise SystemExit(f"The cursor passed the backlog; only {arrived} of {count} rows came.")
    return count / seconds


def _online_dsn() -> str:
    from django.db import connection

    database = connection.settings_dict
    return (
        f"postgresql://{database['USER']}"
        + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        + f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )


def _pace(started: float, n: int, rate: float) -> None:
    pause = started + n / rate - time.monotonic()
    if pause > 0:
        time.sleep(pause)


def _waiting(
    committed: dict[str, dict[int, tuple[str, float]]], visible: dict[str, dict[int, float]]
) -> int:
    return sum(len(committed[d]) - len(visible[d]) for d in committed)


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
        "max": round(values[-1], 1),
    }


if __name__ == "__main__":
    main()
