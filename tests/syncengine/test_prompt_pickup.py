"""Prompt pick-up: the sync host listens to its PostgreSQL company databases' notifications
and queues a pull, so a desktop change arrives without waiting for beat's tick."""

import time

import pytest

from syncengine.host import CREDENTIAL_FILE_VARIABLE, ChangeListener, HostCredentials
from tests.syncengine.conftest import initial_sync
from tests.workers import worker_process

pytestmark = pytest.mark.django_db(transaction=True)
on_postgresql = pytest.mark.parametrize("dialect", ["postgresql"])  # SQLite cannot notify


@pytest.fixture
def credentials(tmp_path, monkeypatch, link, company_dsn):
    """The host's credential file, as `synchost run` keeps it, for the worker and listener."""
    path = tmp_path / "synchost.json"
    saved = HostCredentials(
        host_id=link.host_id, queue=link.host.queue, credential="x", databases=[company_dsn]
    )
    saved.save(path)
    monkeypatch.setenv(CREDENTIAL_FILE_VARIABLE, str(path))
    return saved


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@on_postgresql
def test_a_desktop_edit_arrives_without_beat(link, connector, desktop, credentials):
    initial_sync(link, connector)
    listener = ChangeListener(credentials).start()
    try:
        with worker_process(queues=link.host.queue):
            desktop.execute("UPDATE contacts SET city = ? WHERE id = 4", ["Dokkum"])

            def arrived() -> bool:
                return link.company.contacts.get(source_id=4).city == "Dokkum"

            assert wait_until(arrived, 60)
    finally:
        listener.stop()


@on_postgresql
def test_a_burst_of_desktop_edits_makes_few_pulls_and_one_after_the_last(
    link, connector, desktop, credentials, monkeypatch
):
    initial_sync(link, connector)
    pulls: list[float] = []
    monkeypatch.setattr(
        ChangeListener, "queue_pull", lambda self, _id: pulls.append(time.monotonic())
    )
    listener = ChangeListener(credentials, debounce_seconds=0.2).start()
    try:
        assert wait_until(lambda: len(pulls) == 1, 10)  # on connecting: what came meanwhile
        for n in range(20):
            desktop.execute("UPDATE contacts SET city = ? WHERE id = 5", [f"Stad {n}"])
        last_write = time.monotonic()
        assert wait_until(lambda: pulls[-1] > last_write, 5)  # the last edit is not left behind
        time.sleep(0.5)
    finally:
        listener.stop()
    assert 2 <= len(pulls) < 1 + 20  # one per notification would be 20 more


def test_a_listener_for_sqlite_databases_only_listens_to_nothing(tmp_path):
    credentials = HostCredentials(
        host_id=1, queue="host-x", credential="x", databases=[f"sqlite://{tmp_path}/a.db"]
    )
    assert ChangeListener(credentials).threads == []
