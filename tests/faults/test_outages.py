"""Outages rather than kills: the real Redis restarted with tasks queued, and the company
database refusing connections for a while. The database, not the broker, is the truth about
work (DESIGN.md invariant 6): the sync waits, visibly, and completes once they are back."""

from __future__ import annotations

import random
import signal
import time
from functools import partial

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from records.models import Contact, OutboxEntry
from records.services import update_record
from syncengine.companydb import connect
from syncengine.companydb.desktop import play_desktop_users
from syncengine.models import SyncLink, SyncRun
from syncengine.services import start_initial_sync
from tests.faults.conftest import RECOVERY_LIMIT, Beat, CompanyDatabase, use_broker, wait_for
from tests.faults.processes import Workers, redis_answers, redis_stopped
from tests.faults.sides import assert_same_rows
from tests.faults.test_continuous_sync_kills import caught_up, company_seq
from tests.syncengine.companydb.conftest import SERVER_DSN
from tests.syncengine.conftest import initial_sync

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def queued_tasks(queue: str) -> int:
    import redis

    return int(redis.Redis.from_url(str(settings.REDIS_URL)).llen(queue))


def test_tasks_queued_when_redis_restarts_are_done_once_it_is_back(
    link: SyncLink,
    company_database: CompanyDatabase,
    workers: Workers,
    rng: random.Random,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CELERY_BROKER_URL", str(settings.REDIS_URL))
    use_broker(str(settings.REDIS_URL), {})
    dsn = company_database.dsn
    with connect(dsn) as connector:
        initial_sync(link, connector)
    beat = Beat(tick=True)
    workers.start()
    # The worker stands still (as a busy one would) while edits on both sides queue tasks.
    workers.signal_all(signal.SIGSTOP)
    try:
        contacts = list(Contact.objects.filter(company=link.company).order_by("pk")[:20])
        for contact in contacts[:10]:
            update_record(record=contact, values={"city": rng.choice(("Ede", "Oss", "Epe"))})
        play_desktop_users(dsn, changes=20, seed=rng.randrange(10**6))
        beat()  # a tick: a pull and a push for the link
        assert queued_tasks(link.host.queue) >= 10
        with redis_stopped(str(settings.REDIS_URL)):
            # An edit while the broker is down is kept; its push waits for the next tick.
            update_record(record=contacts[10], values={"city": "Urk"})
            assert OutboxEntry.objects.unfinished().filter(record_id=contacts[10].pk).exists()
        assert queued_tasks(link.host.queue) == 0  # the restart lost them
    finally:
        workers.signal_all(signal.SIGCONT)
        assert redis_answers(str(settings.REDIS_URL))
    restarted = time.monotonic()
    final = company_seq(dsn)
    wait_for(
        lambda: caught_up(link, dsn, seq=final),
        timeout=RECOVERY_LIMIT,
        beat=beat,
        what="the sync catching up after the restart",
    )
    print(f"caught up {time.monotonic() - restarted:.1f} s after Redis came back")
    workers.stop()
    assert_same_rows(link, dsn)
    assert Contact.objects.get(pk=contacts[10].pk).city == "Urk"


def fresh(run: SyncRun) -> SyncRun:
    run.refresh_from_db()
    return run


def allow_connections(dbname: str, allowed: bool) -> None:
    """Blocks (or allows again) new connections to a database; blocking also ends the ones
    open, as a server restart or a network cut would."""
    with psycopg.connect(SERVER_DSN, autocommit=True) as server:
        server.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(dbname), sql.SQL("true" if allowed else "false")
            )
        )
        if not allowed:
            server.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [dbname],
            )


def test_a_first_sync_waits_visibly_while_its_company_database_is_unreachable_then_completes(
    transport: str,
    link: SyncLink,
    company_database: CompanyDatabase,
    workers: Workers,
    rng: random.Random,
) -> None:
    beat = Beat()
    workers.start()
    run = start_initial_sync(link=link, by=None)

    def copied() -> float:
        run.refresh_from_db()
        done = sum(entry["done"] for entry in run.progress.values())
        total = sum(entry["total"] for entry in run.progress.values())
        return done / total if total else 0.0

    # Cut off at a random point of the copy, chosen once. The worker runs in short slices
    # and stands still while the test looks, so that the whole copy (about a second) cannot
    # end between the look and the cut.
    point = rng.uniform(0.1, 0.5)
    workers.pause()
    wait_for(
        lambda: copied() >= point,
        timeout=RECOVERY_LIMIT,
        beat=beat,
        step=partial(workers.step_a_slice, rng),
        what=f"the first sync reaching {point:.0%}",
    )
    allow_connections(company_database.dbname, False)
    workers.resume()
    try:
        blocked = time.monotonic()
        # Waits, visibly: the run says why, the trace too; it does not fail.
        wait_for(
            lambda: "cannot be reached" in fresh(run).error,
            timeout=RECOVERY_LIMIT,
            beat=beat,
            what="the run saying that the company database cannot be reached",
        )
        while time.monotonic() - blocked < 2.5 * settings.SYNC_LEASE_SECONDS:
            beat()
            time.sleep(0.1)
        run.refresh_from_db()
        assert run.state in (SyncRun.State.QUEUED, SyncRun.State.RUNNING), run.error
        assert run.failures >= 2  # tried again, more than once
        assert "cannot be reached" in "".join(link.trace_text())
    finally:
        allow_connections(company_database.dbname, True)
    back = time.monotonic()
    wait_for(
        lambda: fresh(run).state in (SyncRun.State.DONE, SyncRun.State.FAILED),
        timeout=RECOVERY_LIMIT,
        beat=beat,
        what="the first sync completing once the database is back",
    )
    assert run.state == SyncRun.State.DONE, run.error
    assert (run.error, run.failures) == ("", 0)
    print(f"{transport}: done {time.monotonic() - back:.1f} s after the database came back")
    assert_same_rows(link, company_database.dsn)
