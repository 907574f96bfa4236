import os
import socket
import subprocess
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from licensing.models import CompanyDatabase, LicenceLink
from syncengine import tasks
from syncengine.companydb.errors import DatabaseUnreachable
from syncengine.host import CREDENTIAL_FILE_VARIABLE, HostCredentials
from syncengine.models import Conflict, SyncHost, SyncLink, SyncRun
from syncengine.services import LinkRefused, connect_database, start_initial_sync
from tests.factories import AgreementFactory, CompanyFactory, online_desktop
from tests.syncengine.conftest import assert_same, make_link
from tests.workers import worker_process

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch):
    """The run_sync tasks sent, as (run id, queue), instead of going to a broker."""
    calls: list[tuple[int, str]] = []
    monkeypatch.setattr(
        tasks.run_sync,
        "apply_async",
        lambda args, queue: calls.append((args[0], queue)),
    )
    return calls


@pytest.fixture
def host_file(tmp_path, monkeypatch, link, company_dsn):
    """The host's credential file, naming the company database, as `synchost run` keeps it."""
    path = tmp_path / "synchost.json"
    HostCredentials(
        host_id=link.host_id, queue=link.host.queue, credential="x", databases=[company_dsn]
    ).save(path)
    monkeypatch.setenv(CREDENTIAL_FILE_VARIABLE, str(path))
    return path


def test_connecting_a_database_creates_its_link_and_marks_it_connected(company_database):
    bare = make_link(company_database[1])
    database, host = bare.database, bare.host
    bare.delete()
    product = online_desktop()
    agreement = AgreementFactory.create(company=database.company, add_ons=[product])
    licence = LicenceLink.objects.create(agreement=agreement, product=product, database=database)

    link = connect_database(licence_link=licence, host=host, by=None)

    assert link.state == SyncLink.State.SCHEDULED
    assert CompanyDatabase.objects.get(pk=database.pk).connected
    other_host = SyncHost.objects.create(
        company=CompanyFactory.create(), name="x", queue="host-other", credential_hash="y"
    )
    with pytest.raises(LinkRefused):
        connect_database(licence_link=licence, host=other_host, by=None)


def test_a_scheduled_first_sync_waits_for_its_time_and_for_its_host(link, sent):
    later = start_initial_sync(link=link, by=None, at=timezone.now() + timedelta(hours=2))
    tasks.start_due_runs()
    assert sent == []
    assert "scheduled time" in later.waiting_reason()

    SyncRun.objects.filter(pk=later.pk).update(scheduled_for=timezone.now())
    SyncHost.objects.filter(pk=link.host_id).update(last_heartbeat_at=None)
    tasks.start_due_runs()
    later.refresh_from_db()
    assert sent == []
    assert later.state == SyncRun.State.SCHEDULED
    assert "come online" in later.waiting_reason()

    SyncHost.objects.filter(pk=link.host_id).update(last_heartbeat_at=timezone.now())
    tasks.start_due_runs()
    later.refresh_from_db()
    assert later.state == SyncRun.State.QUEUED
    assert sent == [(later.pk, link.host.queue)]


def test_a_first_sync_started_now_while_the_broker_is_down_is_kept_for_beat_to_start(
    link, sent, monkeypatch
):
    """Finish in the wizard must not answer with an error when Redis is restarting: the run is
    a row, and beat's start_due_runs starts it."""
    from kombu.exceptions import OperationalError

    from syncengine import services

    tried = []

    def broker_down(*args, **options):
        tried.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(services.current_app, "send_task", broker_down)
    run = start_initial_sync(link=link, by=None)  # does not raise
    assert tried == [("syncengine.start_due_runs",)]

    tasks.start_due_runs()  # what beat does
    run.refresh_from_db()
    assert run.state == SyncRun.State.QUEUED
    assert sent == [(run.pk, link.host.queue)]


def test_a_run_whose_worker_died_is_handed_on_by_the_reaper(link, sent):
    run = SyncRun.objects.create(
        link=link,
        kind=SyncRun.Kind.INITIAL,
        state=SyncRun.State.RUNNING,
        lease_token="00000000-0000-0000-0000-000000000001",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    tasks.reap_runs()
    run.refresh_from_db()
    assert run.state == SyncRun.State.QUEUED
    assert run.lease_token is None
    assert sent == [(run.pk, link.host.queue)]
    tasks.reap_runs()  # not expired any more: nothing happens twice
    assert len(sent) == 1


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_run_whose_worker_process_here_died_is_taken_over_at_once_by_its_redelivered_task(
    link, host_file, sent
):
    """A worker's child killed mid-step: acks_late + reject_on_worker_lost bring its task
    back at once, and the run is taken over without waiting for the lease to expire."""
    here = socket.gethostname()
    old_token = uuid.uuid4()
    run = SyncRun.objects.create(
        link=link,
        kind=SyncRun.Kind.INITIAL,
        state=SyncRun.State.RUNNING,
        lease_owner=f"{here}:{_dead_pid()}",
        lease_token=old_token,
        lease_expires_at=timezone.now() + timedelta(minutes=2),
        attempts=1,
    )
    tasks.run_sync(run.pk)
    run.refresh_from_db()
    assert run.attempts == 2
    assert run.lease_token != old_token
    assert run.high_water_mark is not None  # it did the step


@pytest.mark.parametrize("owner", ["living", "elsewhere"])
def test_a_running_run_of_a_living_process_or_another_computer_is_left_to_its_lease(
    link, host_file, sent, owner
):
    lease_owner = f"{socket.gethostname()}:{os.getpid()}" if owner == "living" else "other-pc:12345"
    run = SyncRun.objects.create(
        link=link,
        kind=SyncRun.Kind.INITIAL,
        state=SyncRun.State.RUNNING,
        lease_owner=lease_owner,
        lease_token=uuid.uuid4(),
        lease_expires_at=timezone.now() + timedelta(minutes=2),
        attempts=1,
    )
    tasks.run_sync(run.pk)
    run.refresh_from_db()
    assert run.attempts == 1
    assert run.lease_owner == lease_owner


def test_run_sync_works_in_short_steps_and_is_harmless_twice(
    link, connector, host_file, sent, settings
):
    settings.SYNC_STEP_SECONDS = 0  # one chunk per step
    settings.SYNC_BATCH_CHUNK = settings.SYNC_COPY_CHUNK = 10
    run = SyncRun.objects.create(link=link, kind=SyncRun.Kind.INITIAL, state="queued")
    tasks.run_sync(run.pk)
    steps = 1
    while SyncRun.objects.get(pk=run.pk).state == SyncRun.State.QUEUED:
        assert sent[-1] == (run.pk, link.host.queue)  # it queued its own next step
        tasks.run_sync(run.pk)
        steps += 1
    run.refresh_from_db()
    assert run.state == SyncRun.State.DONE
    assert steps > 5
    tasks.run_sync(run.pk)  # a duplicate delivery finds nothing to claim
    run.refresh_from_db()
    assert run.attempts == steps
    assert_same(link, connector)


def test_a_long_first_sync_waits_visibly_while_its_company_database_is_unreachable(
    link, connector, host_file, sent, settings, monkeypatch
):
    """Found by the fault tests: the limit counted every step, so a first sync past its tenth
    step failed at the first hiccup of its company database. Only failures in a row count."""
    settings.SYNC_MAX_PUSH_ATTEMPTS = 3
    run = SyncRun.objects.create(link=link, kind=SyncRun.Kind.INITIAL, state="queued", attempts=12)
    opener = tasks.open_company_database

    def unreachable(**options):
        raise DatabaseUnreachable("The PostgreSQL server at kantoor:5432 cannot be reached.")

    monkeypatch.setattr(tasks, "open_company_database", unreachable)
    for failures in (1, 2):
        tasks.run_sync(run.pk)
        run.refresh_from_db()
        assert run.state == SyncRun.State.QUEUED
        assert (run.failures, run.error) == (
            failures,
            "The PostgreSQL server at kantoor:5432 cannot be reached.",
        )
        SyncRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now())

    monkeypatch.setattr(tasks, "open_company_database", opener)
    tasks.run_sync(run.pk)  # back: the step goes through, and what held it back is over
    run.refresh_from_db()
    assert (run.state, run.failures, run.error) in {
        (SyncRun.State.QUEUED, 0, ""),
        (SyncRun.State.DONE, 0, ""),
    }
    assert "cannot be reached" in "".join(link.trace_text())

    monkeypatch.setattr(tasks, "open_company_database", unreachable)
    SyncRun.objects.filter(pk=run.pk).update(state="queued")
    for _attempt in range(3):
        tasks.run_sync(run.pk)
    run.refresh_from_db()
    assert run.state == SyncRun.State.FAILED  # three in a row: the limit


class Killed(BaseException):
    """The worker dying: nothing after it runs."""


def test_a_first_sync_that_ends_after_failures_ends_without_them_in_the_same_write(
    link, connector, host_file, sent, monkeypatch
):
    """Found by the fault tests: the failures and the error were cleared by a write of their
    own after the run's end, so a page could read a finished run with the old error, and a
    worker killed in between left it there for good."""
    run = SyncRun.objects.create(
        link=link, kind=SyncRun.Kind.INITIAL, state="queued", failures=2,
        error="The PostgreSQL server at kantoor:5432 cannot be reached.",
    )  # fmt: skip
    step = tasks.initial_sync_step

    def step_then_killed(**options):
        if step(**{**options, "budget_seconds": 600}):
            raise Killed  # right after the step that finished the run
        return False

    monkeypatch.setattr(tasks, "initial_sync_step", step_then_killed)
    with pytest.raises(Killed):
        tasks.run_sync(run.pk)
    run.refresh_from_db()
    assert (run.state, run.failures, run.error) == (SyncRun.State.DONE, 0, "")


def test_a_refused_first_sync_fails_the_run_and_the_link_with_the_reason(
    link, connector, desktop, host_file, sent
):
    desktop.execute("UPDATE api_clients SET is_enabled = ? WHERE id = 2", [True])
    run = SyncRun.objects.create(link=link, kind=SyncRun.Kind.INITIAL, state="queued")
    tasks.run_sync(run.pk)
    run.refresh_from_db()
    link.refresh_from_db()
    assert run.state == SyncRun.State.FAILED
    assert "Boekhoudexport" in run.error
    assert link.state == SyncLink.State.FAILED
    assert "Boekhoudexport" in link.reason


def test_old_conflicts_are_purged(link):
    old = Conflict.objects.create(
        link=link, table="contacts", source_id=1, field="city", rule="company_wins",
        winner="company", at=timezone.now() - timedelta(days=8),
    )  # fmt: skip
    recent = Conflict.objects.create(
        link=link, table="contacts", source_id=1, field="city", rule="company_wins",
        winner="company",
    )  # fmt: skip
    tasks.purge_conflicts()
    assert list(Conflict.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk


@pytest.mark.parametrize("dialect", ["sqlite"])
def test_a_host_worker_runs_a_first_sync_end_to_end(link, connector, host_file):
    """A real Celery worker on the host's queue, finding its DSN through its credential file."""
    with worker_process(queues=link.host.queue):
        start_initial_sync(link=link, by=None)
        tasks.start_due_runs()  # what beat does on the default queue
        run = link.runs.get()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.state in (SyncRun.State.DONE, SyncRun.State.FAILED):
                break
            time.sleep(0.5)
    assert run.state == SyncRun.State.DONE, run.error
    link.refresh_from_db()
    assert link.state == SyncLink.State.CONNECTED
    assert_same(link, connector)


def test_the_trace_reads_as_text_in_order(link, connector):
    from tests.syncengine.conftest import initial_sync

    initial_sync(link, connector)
    lines = list(link.trace_text())
    assert "First synchronisation: copying up to change" in lines[0]
    assert "the database is connected" in lines[-1]
    assert all(line.endswith("\n") for line in lines)
