"""A continuous sync under load (desktop and online edits flowing both ways) whose worker is
killed with SIGKILL at random moments (its child, and separately its main process, in a random
order), on Redis and on the filesystem transport: each time the
sync catches up within the limit, and once the edits stop both sides hold the same rows, no
online edit written twice (DESIGN.md invariants 1, 3, 6)."""

from __future__ import annotations

import random
import time
from datetime import datetime
from functools import partial

import psycopg
import pytest
from django.utils import timezone

from records.models import OutboxEntry
from syncengine.companydb import connect
from syncengine.models import SyncLink
from tests.faults import conftest as faults
from tests.faults.conftest import RECOVERY_LIMIT, Beat, CompanyDatabase, wait_for
from tests.faults.load import Load
from tests.faults.processes import Workers
from tests.faults.sides import assert_same_rows
from tests.syncengine.conftest import initial_sync

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

KILLS = ("child", "main") * 2  # per transport: 8 kills in all
RATE = 5.0  # edits per second on each side


def company_seq(dsn: str) -> int:
    with psycopg.connect(dsn) as company:
        return int(company.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0])  # type: ignore[index]


def caught_up(link: SyncLink, dsn: str, *, since: datetime | None = None, seq: int) -> bool:
    """Every online edit made up to `since` (all, when None) is in the company database and
    the cursor is at `seq` or past it."""
    waiting = OutboxEntry.objects.unfinished().filter(company_id=link.company_id)
    if since is not None:
        waiting = waiting.filter(created_at__lte=since)
    link.refresh_from_db()
    return link.last_seq >= seq and not waiting.exists()


def elapsed(started: float, seconds: float) -> bool:
    return time.monotonic() - started >= seconds


def test_a_continuous_sync_under_load_killed_at_random_moments_loses_and_doubles_nothing(
    transport: str,
    link: SyncLink,
    company_database: CompanyDatabase,
    workers: Workers,
    rng: random.Random,
) -> None:
    dsn = company_database.dsn
    with connect(dsn) as connector:
        initial_sync(link, connector)
    assert link.state == SyncLink.State.CONNECTED
    beat = Beat(tick=True)
    workers.start()
    load = Load(dsn=dsn, company=link.company, rate=RATE, rng=rng)
    load.start()
    recoveries = []
    targets = workers.kills(*KILLS)
    for target in rng.sample(targets, len(targets)):
        # A random moment of the load, a few seconds after the last recovery.
        moment = rng.uniform(1.0, 6.0)
        wait_for(partial(elapsed, time.monotonic(), moment), timeout=60, beat=beat)
        assert load.running, load.errors
        killed_at, seq = time.monotonic(), company_seq(dsn)
        since = timezone.now()
        if target == "child":
            workers.kill_child()
        else:
            workers.kill_main()
            workers.start()
        wait_for(
            partial(caught_up, link, dsn, since=since, seq=seq),
            timeout=RECOVERY_LIMIT,
            beat=beat,
            what=f"catching up after a {target} kill",
        )
        seconds = time.monotonic() - killed_at - faults.excused_seconds
        recoveries.append((target, round(seconds, 1)))
    load.stop()
    # At rest: the outbox empty and the cursor at the company's newest change, read afresh
    # (the last pushes write changes after the load stops: a seq read once is passed by them,
    # so "still equal to it" could never become true).
    wait_for(
        lambda: caught_up(link, dsn, seq=company_seq(dsn)) and link.last_seq,
        timeout=RECOVERY_LIMIT,
        beat=beat,
        what="catching up after the load",
    )
    # The pushes' own writes come back as changes: one more round moves the cursor past them.
    final = company_seq(dsn)
    wait_for(lambda: caught_up(link, dsn, seq=final), timeout=RECOVERY_LIMIT, beat=beat)
    print(f"kills on {transport} under load: recoveries {recoveries} s")
    assert all(seconds <= RECOVERY_LIMIT for _target, seconds in recoveries)

    workers.stop()
    assert_same_rows(link, dsn)
    outbox = OutboxEntry.objects.filter(company_id=link.company_id)
    applied = outbox.filter(state=OutboxEntry.State.APPLIED)
    # Refused only by the delete rule: the desktop deleted what an edit waited to change (5).
    refused = outbox.exclude(state=OutboxEntry.State.APPLIED)
    assert all(
        "deleted in the company database" in m for m in refused.values_list("message", flat=True)
    ), list(refused.values("table", "op", "state", "message"))
    # Each online edit written once: a retry found it in sync_applied instead of writing again.
    with psycopg.connect(dsn) as company:
        written = company.execute("SELECT count(*) FROM change_log WHERE origin = 'sync'")
        sync_writes = int(written.fetchone()[0])  # type: ignore[index]
        recorded = company.execute("SELECT count(*), count(DISTINCT change_id) FROM sync_applied")
        rows, distinct = recorded.fetchone()  # type: ignore[misc]
    assert rows == distinct == applied.count()
    assert 0 < sync_writes <= applied.count()
    print(f"{load.desktop_edits} desktop and {load.online_edits} online edits")
