from datetime import UTC, datetime

import pytest
from django.test import override_settings

from licensing.models import CompanyDatabase
from records.models import Contact
from syncengine.engine import LeaseLost, SyncRefused, initial_sync_step
from syncengine.models import SyncLink, SyncRun
from syncengine.store import OnlineStore
from tests.syncengine.conftest import assert_same, initial_sync, running_run

# Transactional: on PostgreSQL the test's own open transaction would hold back the company
# database's high-water mark when both live on one server (xids are server-wide).
pytestmark = pytest.mark.django_db(transaction=True)


def test_initial_sync_copies_every_table_with_equal_values(link, connector):
    run = initial_sync(link, connector)

    counts = connector.row_counts()
    assert run.state == SyncRun.State.DONE
    for table, progress in run.progress.items():
        assert progress["done"] == progress["total"] == counts[table], table
    assert link.company.contacts.count() == counts["contacts"] == 30
    assert link.company.order_lines.count() == counts["order_lines"] > 0
    assert_same(link, connector)


def test_initial_sync_connects_the_link_and_releases_the_lock(link, connector):
    run = initial_sync(link, connector)

    assert link.state == SyncLink.State.CONNECTED
    assert link.connected_at is not None
    assert CompanyDatabase.objects.get(pk=link.database_id).connected
    assert connector.sync_lock() is None
    assert run.high_water_mark == link.last_seq
    assert set(run.timings) >= {"prepare", "copy", "replay"}


class Killed(Exception):
    pass


def test_a_killed_initial_sync_resumes_after_its_last_chunk_without_duplicates(
    link, connector, monkeypatch
):
    calls = {"n": 0}
    real_insert, real_copy = OnlineStore.insert_rows, OnlineStore.copy_binary

    def counting(real):
        def wrapped(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 4:
                raise Killed  # the worker dies inside the fourth chunk's transaction
            return real(self, *args, **kwargs)

        return wrapped

    monkeypatch.setattr(OnlineStore, "insert_rows", counting(real_insert))
    monkeypatch.setattr(OnlineStore, "copy_binary", counting(real_copy))
    run, lease = running_run(link)
    with override_settings(SYNC_COPY_CHUNK=10, SYNC_BATCH_CHUNK=10), pytest.raises(Killed):
        initial_sync_step(run=run, lease=lease, connector=connector, budget_seconds=60)

    run.refresh_from_db()
    assert run.checkpoints == {"contacts": 30}  # three chunks of contacts, then the kill
    assert link.company.contacts.count() == 30
    assert link.company.contact_persons.count() == 0  # the killed chunk left nothing

    calls["n"] = 100  # no more kills; count the chunks the resumed run copies
    with override_settings(SYNC_COPY_CHUNK=10, SYNC_BATCH_CHUNK=10):
        while not initial_sync_step(run=run, lease=lease, connector=connector, budget_seconds=60):
            pass
    run.refresh_from_db()
    assert run.counts_in["contacts"] == 30  # the done chunks were not copied again
    assert run.progress["contacts"]["done"] == 30
    assert_same(link, connector)


def test_initial_sync_replays_what_the_desktop_wrote_during_the_copy(
    link, connector, desktop, monkeypatch
):
    wrote = {"done": False}

    def copy_then_write(real):
        def wrapped(self, table, *args, **kwargs):
            result = real(self, table, *args, **kwargs)
            if table == "products" and not wrote["done"]:
                wrote["done"] = True
                # Someone ignores the sync lock: the change log after the mark carries it in.
                desktop.execute("UPDATE contacts SET city = ? WHERE id = 1", ["Zwolle"])
                desktop.execute("DELETE FROM contact_persons WHERE id = 2")
                desktop.execute("INSERT INTO contacts (name) VALUES (?)", ["Late B.V."])
            return result

        return wrapped

    monkeypatch.setattr(OnlineStore, "insert_rows", copy_then_write(OnlineStore.insert_rows))
    monkeypatch.setattr(OnlineStore, "copy_binary", copy_then_write(OnlineStore.copy_binary))
    initial_sync(link, connector)
    assert wrote["done"]

    assert link.company.contacts.get(source_id=1).city == "Zwolle"
    assert link.company.contacts.filter(name="Late B.V.").count() == 1
    assert not link.company.contact_persons.filter(source_id=2).exists()
    assert_same(link, connector)


def test_initial_sync_is_refused_while_desktop_users_are_working(link, connector, desktop):
    now = datetime.now(UTC)
    desktop.execute(
        "INSERT INTO desktop_sessions (user_id, host, started_at, last_seen_at) "
        "VALUES (1, 'KANTOOR-PC01', ?, ?)",
        [connector._to_db("timestamp", now), connector._to_db("timestamp", now)],
    )
    run, lease = running_run(link)
    with pytest.raises(SyncRefused, match="Desktop users are still working"):
        initial_sync_step(run=run, lease=lease, connector=connector, budget_seconds=60)
    assert connector.sync_lock() is None
    assert not Contact.objects.exists()


def test_initial_sync_is_refused_while_an_api_client_is_enabled(link, connector, desktop):
    desktop.execute("UPDATE api_clients SET is_enabled = ? WHERE id = 1", [True])
    run, lease = running_run(link)
    with pytest.raises(SyncRefused, match="Webshop-koppeling"):
        initial_sync_step(run=run, lease=lease, connector=connector, budget_seconds=60)


def test_a_run_whose_lease_was_taken_over_writes_nothing(link, connector):
    run, lease = running_run(link)
    SyncRun.objects.filter(pk=run.pk).update(lease_token=None)  # the reaper handed it on
    with pytest.raises(LeaseLost):
        initial_sync_step(run=run, lease=lease, connector=connector, budget_seconds=60)
    assert not Contact.objects.exists()


def test_a_refused_restart_does_not_leave_the_desktop_locked_out(link, connector, desktop):
    connector.take_sync_lock(link.lock_owner(), "initial_sync")  # a killed attempt took it
    desktop.execute("UPDATE api_clients SET is_enabled = ? WHERE id = 1", [True])
    run, lease = running_run(link)
    with pytest.raises(SyncRefused):
        initial_sync_step(run=run, lease=lease, connector=connector, budget_seconds=60)
    assert connector.sync_lock() is None


def test_starting_the_first_sync_twice_plans_one_run(link, tasks_sent_by_name):
    from syncengine.services import start_initial_sync

    first = start_initial_sync(link=link, by=None)
    assert start_initial_sync(link=link, by=None) == first
    assert link.runs.count() == 1
    assert tasks_sent_by_name == ["syncengine.start_due_runs"]  # at once, not at the next beat
