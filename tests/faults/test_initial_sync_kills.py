"""A first synchronisation whose worker is killed with SIGKILL at random points (its child, and
separately its main process, in a random order), on Redis and on the filesystem transport:
each time it resumes from its last checkpoint within the limit, and in the end both sides hold
the same rows, each copied once (DESIGN.md invariants 1, 4, 6)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from functools import partial

import pytest
from django.conf import settings

from syncengine.models import SyncLink, SyncRun
from syncengine.services import start_initial_sync
from tests.faults import conftest as faults
from tests.faults.conftest import RECOVERY_LIMIT, SEED, Beat, wait_for
from tests.faults.processes import Workers
from tests.faults.sides import assert_same_rows, inserted_rows

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

KILLS = ("child", "main") * 3  # per transport: 12 kills in all


@dataclass
class Snapshot:
    state: str
    done: int
    total: int
    checkpoints: dict[str, int]
    owner_pid: int | None

    @classmethod
    def of(cls, run: SyncRun) -> Snapshot:
        run.refresh_from_db()
        progress = run.progress or {}
        owner = run.lease_owner.rpartition(":")[2]
        return cls(
            state=run.state,
            done=sum(int(entry["done"]) for entry in progress.values()),
            total=sum(int(entry["total"]) for entry in progress.values()),
            checkpoints=dict(run.checkpoints),
            owner_pid=int(owner) if owner.isdigit() else None,
        )

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def not_behind(self, other: Snapshot) -> bool:
        return all(self.checkpoints.get(table, 0) >= at for table, at in other.checkpoints.items())


def reached(run: SyncRun, point: float) -> bool:
    """Whether the run has started and copied `point` of the rows, or ended."""
    now = Snapshot.of(run)
    if now.state in (SyncRun.State.DONE, SyncRun.State.FAILED):
        return True
    return (
        run.started_at is not None
        and now.state != SyncRun.State.SCHEDULED
        and (now.fraction >= point)
    )


@dataclass
class Kill:
    target: str
    at_fraction: float
    killed: set[int]
    before: Snapshot
    recovery_seconds: float = 0.0


def kill(workers: Workers, target: str) -> set[int]:
    if target == "child":
        return workers.kill_child()  # the main process starts another child itself
    killed = workers.kill_main()
    workers.start()  # a new worker, as a supervisor would start it
    return killed


def test_a_first_sync_killed_at_random_points_resumes_and_copies_every_row_once(
    transport: str,
    link: SyncLink,
    company_database,
    kit_template,
    workers: Workers,
    rng: random.Random,
) -> None:
    beat = Beat()
    before = inserted_rows()
    workers.start()
    run = start_initial_sync(link=link, by=None)  # as the wizard starts it
    points = sorted(rng.uniform(0.0, 0.85) for _ in KILLS)
    targets = rng.sample(workers.kills(*KILLS), len(KILLS))
    kills: list[Kill] = []

    step = partial(workers.step_a_slice, rng)

    # The worker runs in short slices from here on, and stands still while the test looks at
    # the run (the whole copy takes about a second): each kill is where the run stood when
    # the test decided on it, never past the end.
    workers.pause()
    for point, target in zip(points, targets, strict=True):
        wait_for(
            partial(reached, run, point),
            timeout=RECOVERY_LIMIT,
            beat=beat,
            step=step,
            what=f"the first sync reaching {point:.0%}",
        )
        # Then a random moment into the next chunk (one takes a few hundredths of a second):
        # in its COPY, its commit, or between two steps.
        workers.step(rng.uniform(0.0, 0.04))
        snapshot = Snapshot.of(run)
        assert snapshot.state in (SyncRun.State.QUEUED, SyncRun.State.RUNNING), (
            f"The run ended ({snapshot.state}, {run.error}) before kill {len(kills) + 1} at "
            f"{point:.0%} (seed {SEED})"
        )
        killed_at = time.monotonic()
        record = Kill(target, point, kill(workers, target), snapshot)
        workers.pause()  # the new worker too: its first progress is watched slice by slice
        after_kill = Snapshot.of(run)

        def moved_on(record: Kill = record, after_kill: Snapshot = after_kill) -> bool:
            now = Snapshot.of(run)
            if now.state == SyncRun.State.DONE:
                return True
            # Progress by a process we did not kill (an orphaned child may finish its chunk).
            return now.done > after_kill.done and now.owner_pid not in record.killed

        wait_for(
            moved_on, timeout=RECOVERY_LIMIT, beat=beat, step=step, what="recovery after a kill"
        )
        record.recovery_seconds = time.monotonic() - killed_at - faults.excused_seconds
        # Resumed from its last checkpoint, never from an earlier one (4).
        assert Snapshot.of(run).not_behind(record.before), (record, SEED)
        kills.append(record)

    workers.resume()
    wait_for(
        lambda: Snapshot.of(run).state in (SyncRun.State.DONE, SyncRun.State.FAILED),
        timeout=RECOVERY_LIMIT,
        beat=beat,
        what="the first sync finishing",
    )
    run.refresh_from_db()
    link.refresh_from_db()
    assert run.state == SyncRun.State.DONE, run.error
    assert link.state == SyncLink.State.CONNECTED
    print(f"kills on {transport}:", [(k.target, round(k.recovery_seconds, 1)) for k in kills])
    assert all(k.recovery_seconds <= RECOVERY_LIMIT for k in kills)

    rows = assert_same_rows(link, company_database.dsn)
    assert rows == sum(kit_template.rows[table] for table in run.progress)
    # Each chunk counted once in the progress the page shows.
    assert all(entry["done"] == entry["total"] for entry in run.progress.values()), run.progress

    # Re-done work: every row inserted, committed or rolled back, once the workers are gone
    # (a killed worker's database session reports its counts as it ends).
    workers.stop()
    inserted = wait_for(
        lambda: (n := inserted_rows() - before) >= rows and n,
        timeout=30,
        what="the insert counts",
    )
    time.sleep(1)
    inserted = inserted_rows() - before
    redone = inserted - rows
    print(f"re-done rows: {redone} for {len(kills)} kills")
    assert redone <= len(kills) * settings.SYNC_COPY_CHUNK, (redone, kills, SEED)
