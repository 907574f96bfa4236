import threading

import psycopg
import pytest
from django.db import connection

from syncengine.companydb import connect
from syncengine.engine import pull_changes
from syncengine.models import SyncLink
from tests.syncengine.conftest import assert_same, initial_sync, make_link, sync

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_desktop_insert_update_and_delete_come_in(synced, connector, desktop):
    desktop.execute("INSERT INTO contacts (name, city) VALUES (?, ?)", ["Nieuw B.V.", "Ede"])
    desktop.execute("UPDATE products SET price = ? WHERE id = 1", ["12.34"])
    desktop.execute("DELETE FROM contact_persons WHERE id = 1")

    sync(synced, connector)

    company = synced.company
    assert company.contacts.get(name="Nieuw B.V.").city == "Ede"
    assert str(company.products.get(source_id=1).price) == "12.34"
    assert not company.contact_persons.filter(source_id=1).exists()
    assert_same(synced, connector)


def test_the_cursor_moves_in_the_transaction_that_applies_the_changes(
    synced, connector, desktop, monkeypatch
):
    before = synced.last_seq
    desktop.execute("UPDATE contacts SET city = ? WHERE id = 3", ["Hoorn"])
    from syncengine import engine

    def broken(*args, **kwargs):
        raise RuntimeError("the worker dies while applying")

    monkeypatch.setattr(engine, "_apply_rows", broken)
    with pytest.raises(RuntimeError):
        pull_changes(link=synced, connector=connector)
    synced.refresh_from_db()
    assert synced.last_seq == before  # nothing applied, nothing skipped
    monkeypatch.undo()
    sync(synced, connector)
    assert synced.company.contacts.get(source_id=3).city == "Hoorn"


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_between_two_postgresql_databases_a_pull_copies_its_rows_in_not_row_by_row(
    synced, connector, desktop, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("the binary copy needs PostgreSQL online too (the embedded default is SQLite)")

    def row_by_row(*args, **kwargs):
        raise AssertionError("the pull read company rows one by one")

    desktop.execute("UPDATE contacts SET city = ? WHERE id IN (1, 2)", ["Assen"])
    desktop.execute("INSERT INTO contacts (name, city) VALUES (?, ?)", ["Nieuw B.V.", "Ede"])
    desktop.execute("UPDATE contact_persons SET last_name = ? WHERE id = 1", ["Jansen"])
    desktop.execute("DELETE FROM contact_persons WHERE id = 2")
    monkeypatch.setattr(connector, "fetch_rows", row_by_row)
    sync(synced, connector)
    monkeypatch.undo()

    company = synced.company
    assert set(company.contacts.filter(city="Assen").values_list("source_id", flat=True)) >= {1, 2}
    assert company.contacts.get(name="Nieuw B.V.").city == "Ede"
    assert company.contact_persons.get(source_id=1).last_name == "Jansen"
    assert not company.contact_persons.filter(source_id=2).exists()
    assert_same(synced, connector)


def test_a_child_whose_new_parent_lies_past_the_batch_still_comes_in(
    synced, connector, desktop, settings
):
    settings.SYNC_PULL_BATCH = 1
    desktop.execute("INSERT INTO contacts (name) VALUES (?)", ["Ouder B.V."])
    new_id = connector.table_bounds("contacts")[1]
    desktop.execute("UPDATE contact_persons SET contact_id = ? WHERE id = 1", [new_id])
    desktop.execute("UPDATE contacts SET city = ? WHERE id = ?", ["Urk", new_id])
    sync(synced, connector)
    person = synced.company.contact_persons.get(source_id=1)
    assert person.contact.name == "Ouder B.V."
    assert_same(synced, connector)


@pytest.mark.parametrize("dialect", ["postgresql"])  # SQLite hands rolled-back seqs out again
def test_seqs_of_rolled_back_desktop_writes_do_not_stop_a_pull_short_of_the_mark(
    synced, connector, desktop, settings
):
    settings.SYNC_PULL_BATCH = 2
    company = desktop.connector.connection
    with company.transaction():
        company.execute("UPDATE contacts SET city = 'Nergens' WHERE id <= 5")  # five seqs
        raise psycopg.Rollback
    desktop.execute("UPDATE contacts SET city = ? WHERE id = 6", ["Urk"])

    pulled = pull_changes(link=synced, connector=connector)

    synced.refresh_from_db()
    assert pulled.applied == 1
    assert not pulled.more
    assert synced.company.contacts.get(source_id=6).city == "Urk"
    assert synced.last_seq == connector.seq_mark().last_seq
    assert_same(synced, connector)


def test_skewed_change_times_change_nothing(synced, connector, desktop):
    desktop.execute("UPDATE contacts SET city = ? WHERE id = 2", ["Lelystad"])
    # A desktop computer with its clock years off: the order comes from seq alone.
    desktop.execute("UPDATE change_log SET changed_at = ?", ["1999-01-01 00:00:00"])
    sync(synced, connector)
    assert synced.company.contacts.get(source_id=2).city == "Lelystad"
    assert_same(synced, connector)


def test_a_pull_with_nothing_new_changes_nothing(synced, connector):
    seq = synced.last_seq
    assert pull_changes(link=synced, connector=connector).applied == 0
    synced.refresh_from_db()
    assert synced.last_seq == seq


def test_an_open_desktop_transaction_holds_the_cursor_and_the_mark_back(
    make_company_database, settings
):
    """PostgreSQL: commit order is not seq order. A transaction that took an early seq and
    stays open must stop the cursor there, even though a later seq is committed."""
    dsn, database_id = make_company_database("postgresql")
    link = make_link(database_id)
    with connect(dsn) as connector:
        initial_sync(link, connector)
        settings.SYNC_MARK_WAIT_SECONDS = 0
        start = link.last_seq
        slow = psycopg.connect(dsn, autocommit=False)
        slow.execute("UPDATE contacts SET city = 'Traag' WHERE id = 1")  # takes seq start+1
        with psycopg.connect(dsn, autocommit=True) as quick:
            quick.execute("UPDATE contacts SET city = 'Snel' WHERE id = 2")  # seq start+2
        assert connector.seq_mark().last_seq == start + 2

        pulled = pull_changes(link=link, connector=connector)
        link.refresh_from_db()
        assert pulled.stalled
        assert link.last_seq == start  # neither change: the later one waits too
        assert link.stalled_since is not None
        assert link.company.contacts.get(source_id=2).city != "Snel"

        # The initial sync's mark obeys the same rule.
        waiting = threading.Timer(0.5, slow.commit)
        waiting.start()
        assert connector.high_water_mark(timeout=60) == start + 2
        waiting.join()
        slow.close()
        settings.SYNC_MARK_WAIT_SECONDS = 60
        sync(link, connector)
        assert link.last_seq == start + 2
        assert link.stalled_since is None
        assert link.company.contacts.get(source_id=1).city == "Traag"
        assert link.company.contacts.get(source_id=2).city == "Snel"
        assert link.state == SyncLink.State.CONNECTED


def test_a_transaction_open_in_another_database_of_the_server_does_not_hold_the_mark_back(
    make_company_database,
):
    """xids are server-wide; only this database's sessions can take its change log's seqs."""
    dsn, _database_id = make_company_database("postgresql")
    other, _ = make_company_database("postgresql")
    with connect(dsn) as connector, psycopg.connect(other, autocommit=False) as elsewhere:
        elsewhere.execute("UPDATE contacts SET city = 'Elders' WHERE id = 1")  # open, with an xid
        with psycopg.connect(dsn, autocommit=True) as desktop:
            desktop.execute("UPDATE contacts SET city = 'Hier' WHERE id = 1")
        last = connector.seq_mark().last_seq
        assert connector.high_water_mark(timeout=5) == last
        elsewhere.rollback()
