"""Celery tasks of the sync engine. Stable names, ids as arguments; each task re-reads its
rows and claims its work with a conditional update, so running one twice is harmless."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import OperationalError

from syncengine import engine
from syncengine.companydb import ChangeLogStalled, CompanyDatabaseError
from syncengine.engine import Lease, LeaseLost, SyncRefused, Tally, initial_sync_step
from syncengine.host import (
    HostCredentials,
    HostSetupError,
    ReadResult,
    open_company_database,
    read_reports,
)
from syncengine.models import Conflict, SyncHost, SyncLink, SyncRun
from syncengine.services import HostRefused, authenticate_host, record_reports

logger = logging.getLogger(__name__)


@shared_task(name="syncengine.refresh_host_report", time_limit=120, soft_time_limit=100)
def refresh_host_report(host_id: int) -> None:
    """Runs on the host's own queue: reads its company databases afresh and reports them.

    Safe to run twice: a report only ever replaces the previous one."""
    try:
        credentials = HostCredentials.from_environment()
        if credentials.host_id != host_id:
            return  # a task for another host: the queue names make this a misconfiguration
        host = authenticate_host(credential=credentials.credential)
    except (HostSetupError, HostRefused):
        return  # a removed or unpaired host has nothing to report; its worker stops soon
    report_host(host=host, credentials=credentials)


def report_host(
    *, host: SyncHost, credentials: HostCredentials, result: ReadResult | None = None
) -> ReadResult:
    """Reads the host's company databases (unless `result` holds a fresh reading) and records
    the report; the result tells the office computer what failed, in full."""
    result = result or read_reports(credentials.databases)
    record_reports(
        host=host,
        reports=result.reports,
        problems=[failure.for_portal(credentials.names) for failure in result.failures],
    )
    return result


def _lease_seconds() -> timedelta:
    return timedelta(seconds=settings.SYNC_LEASE_SECONDS)


def _send(task: Any, link_id: int, queue: str, **options: Any) -> None:
    """Sends `task` for a link, at once; a broker that cannot take it is logged, not raised.

    The rows say what is to be done (DESIGN.md invariant 6), so a lost send costs only time:
    a queued run's pickup time passes and the reaper sends it again, an outbox entry waits
    for the next tick. Raising would turn an edit or a step that committed into an error."""
    try:
        task.apply_async(args=[link_id], queue=queue, **options)
    except OperationalError as error:
        logger.warning("%s for %s not sent (the broker: %s); beat sends it again", task.name,
                       link_id, error)  # fmt: skip


def queue_run(run: SyncRun) -> None:
    """Sends `run_sync` for a run on its link's host queue, after the commit."""
    queue = run.link.host.queue
    transaction.on_commit(lambda: _send(run_sync, run.pk, queue))


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_is_gone(owner: str) -> bool:
    """Whether a lease owner was a process of this computer that has ended (killed, say)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another computer's process: only its lease's expiry tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # a living process of another user
    return False


def _claimable(run_id: int) -> QuerySet[SyncRun]:
    """The run, if it is ours to take: queued, or running under a lease whose owner was a
    process of this computer that has ended.

    The second case is a worker's child killed mid-step: its task comes back at once
    (reject_on_worker_lost) and is taken over now rather than when the lease expires. The
    token read here must still be the run's, so that one redelivery only takes it over."""
    queued = SyncRun.objects.filter(pk=run_id, state=SyncRun.State.QUEUED)
    running = (
        SyncRun.objects.filter(pk=run_id, state=SyncRun.State.RUNNING)
        .values_list("lease_token", "lease_owner")
        .first()
    )
    if running is not None and running[1] and _owner_is_gone(running[1]):
        return SyncRun.objects.filter(
            pk=run_id, state=SyncRun.State.RUNNING, lease_token=running[0]
        )
    return queued


@shared_task(name="syncengine.run_sync", time_limit=300, soft_time_limit=240)
def run_sync(run_id: int) -> None:
    """One short step of a sync run, on the link's host queue; re-queues itself for the next.

    The run is claimed with a conditional update and a fresh lease token; every write of the
    step is fenced by that token, so a worker that lost its lease changes nothing."""
    token = uuid.uuid4()
    now = timezone.now()
    # Only first syncs run as runs; incremental work is the pull and push tasks below.
    claimed = (
        _claimable(run_id)
        .filter(kind=SyncRun.Kind.INITIAL)
        .update(
            state=SyncRun.State.RUNNING,
            lease_owner=_this_process(),
            lease_token=token,
            lease_expires_at=now + _lease_seconds(),
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), now),
        )
    )
    if not claimed:
        return  # another worker has it, or it is done
    run = SyncRun.objects.select_related("link__host", "link__database", "link__company").get(
        pk=run_id
    )
    lease = Lease(run.pk, token)
    link = run.link
    try:
        with open_company_database(
            host_id=link.host_id, database_id=str(link.database.database_id)
        ) as connector:
            # Only initial runs are queued: an incremental run is the record of a pull or a
            # push that `_incremental` made, written when it is done.
            done = initial_sync_step(
                run=run, lease=lease, connector=connector, budget_seconds=settings.SYNC_STEP_SECONDS
            )
    except LeaseLost:
        return
    except SyncRefused as refused:
        with transaction.atomic():
            lease.fence(state=SyncRun.State.FAILED, error=str(refused), lease_token=None,
                        finished_at=timezone.now(), lease_expires_at=None)  # fmt: skip
            link.set_state(SyncLink.State.FAILED, str(refused))
            link.trace(str(refused), level="error")
        return
    except ChangeLogStalled as stalled:
        # A desktop transaction is open: wait for it however long it takes, visibly, never
        # skipping past it (2). The reaper sends the run again when its pickup time passes.
        with transaction.atomic():
            lease.fence(state=SyncRun.State.QUEUED, error=stalled.message, lease_token=None)
            link.trace(stalled.message, level="warning")
        return
    except (CompanyDatabaseError, HostSetupError) as error:
        # Transient as far as we know: the step is tried again, visibly, up to a limit of
        # failures in a row (not of steps: a long first sync takes many).
        message = getattr(error, "message", str(error))
        with transaction.atomic():
            if run.failures + 1 >= settings.SYNC_MAX_PUSH_ATTEMPTS:
                lease.fence(state=SyncRun.State.FAILED, error=message, lease_token=None,
                            finished_at=timezone.now(), lease_expires_at=None,
                            failures=F("failures") + 1)  # fmt: skip
                link.set_state(SyncLink.State.FAILED, message)
            else:
                lease.fence(state=SyncRun.State.QUEUED, error=message, lease_token=None,
                            failures=F("failures") + 1)  # fmt: skip
                # Not at once: the reaper sends it again when its pickup time has passed.
            link.trace(message, level="warning")
        return
    if not done:
        with transaction.atomic():
            # The step went through: what held the run back is over (the trace keeps it).
            lease.fence(state=SyncRun.State.QUEUED, lease_token=None, failures=0, error="")
            queue_run(run)


@shared_task(name="syncengine.pull_changes", time_limit=300, soft_time_limit=240)
def pull_changes(link_id: int) -> None:
    """Brings the company database's new changes in (on the link's host queue)."""
    _incremental(link_id, pull_in=True)


@shared_task(name="syncengine.push_outbox", time_limit=300, soft_time_limit=240)
def push_outbox(link_id: int) -> None:
    """Sends the online changes waiting in the outbox (on the link's host queue)."""
    _incremental(link_id, pull_in=False)


def _incremental(link_id: int, *, pull_in: bool) -> None:
    link = SyncLink.objects.select_related("host", "database", "company").filter(pk=link_id).first()
    if link is None or link.state != SyncLink.State.CONNECTED:
        return  # the outbox waits for the first synchronisation to finish
    started = time.monotonic()
    tally = Tally()
    try:
        with open_company_database(
            host_id=link.host_id, database_id=str(link.database.database_id)
        ) as connector:
            if pull_in:
                pulled = engine.pull_changes(link=link, connector=connector, tally=tally)
                if pulled.more:  # a long backlog: the next step in a task of its own
                    pull_changes.apply_async(args=[link.pk], queue=link.host.queue, expires=120)
            else:
                engine.push_outbox(link=link, connector=connector, tally=tally)
    except (CompanyDatabaseError, HostSetupError) as error:
        link.trace(getattr(error, "message", str(error)), level="warning")
        return  # tick tries again
    if tally.total or tally.conflicts or tally.rejected:
        now = timezone.now()
        counts = {"counts_in": tally.counts} if pull_in else {"counts_out": tally.counts}
        SyncRun.objects.create(
            link=link,
            kind=SyncRun.Kind.INCREMENTAL,
            state=SyncRun.State.DONE,
            scheduled_for=now,
            started_at=now,
            finished_at=now,
            conflicts=tally.conflicts,
            rejected=tally.rejected,
            timings={"pull" if pull_in else "push": round(time.monotonic() - started, 3)},
            **counts,
        )
    if not pull_in:  # a pull notes its time as it hands back its claim
        SyncLink.objects.filter(pk=link.pk).update(last_push_at=timezone.now())


def queue_push(company_id: int) -> None:
    """Listener for records' outbox: pushes at once where the company's link is connected."""
    for link in SyncLink.objects.connected().filter(company_id=company_id).select_related("host"):
        _send(push_outbox, link.pk, link.host.queue)


@shared_task(name="syncengine.start_due_runs", time_limit=60)
def start_due_runs() -> None:
    """Queues scheduled runs whose time has come on their host's queue. A run whose host is
    offline stays scheduled (its page says so) and starts when the host is back."""
    for run in SyncRun.objects.due().select_related("link__host"):
        if not run.link.host.is_online():
            continue
        with transaction.atomic():
            if SyncRun.objects.filter(pk=run.pk, state=SyncRun.State.SCHEDULED).update(
                state=SyncRun.State.QUEUED, lease_expires_at=timezone.now() + _lease_seconds()
            ):
                queue_run(run)


@shared_task(name="syncengine.reap_runs", time_limit=60)
def reap_runs() -> None:
    """Re-queues runs whose lease expired: a worker died, or the broker lost the task."""
    for run in SyncRun.objects.lease_expired().select_related("link__host"):
        with transaction.atomic():
            expired = SyncRun.objects.filter(
                pk=run.pk, state=run.state, lease_expires_at=run.lease_expires_at
            )
            if not run.link.host.is_online():
                # Back to waiting, visibly; start_due_runs starts it when the host returns.
                expired.update(state=SyncRun.State.SCHEDULED, lease_token=None)
                continue
            if expired.update(
                state=SyncRun.State.QUEUED,
                lease_token=None,
                lease_expires_at=timezone.now() + _lease_seconds(),
            ):
                queue_run(run)


@shared_task(name="syncengine.tick", time_limit=60)
def tick() -> None:
    """Safety net for continuous sync: a pull and a push for every connected link whose host
    is online (notifications and the outbox listener do the quick work)."""
    for link in SyncLink.objects.connected().select_related("host"):
        if link.host.is_online():
            _send(pull_changes, link.pk, link.host.queue, expires=120)
            _send(push_outbox, link.pk, link.host.queue, expires=120)


@shared_task(name="syncengine.purge_conflicts", time_limit=120)
def purge_conflicts() -> None:
    """Conflicts are kept CONFLICT_RETENTION_DAYS (default 7)."""
    cutoff = timezone.now() - timedelta(days=settings.CONFLICT_RETENTION_DAYS)
    Conflict.objects.filter(at__lt=cutoff).delete()
