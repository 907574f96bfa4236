"""The triggers: one change_log row per written business row, origin, row_version, seq."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest

from syncengine.companydb import Change, ChangeLogStalled, Connector, connect

from .conftest import Desktop


def _log(connector: Connector) -> list[Change]:
    return connector.changes(0, 10**12, limit=10_000)


def test_generated_database_starts_with_an_empty_change_log(connector: Connector) -> None:
    assert _log(connector) == []
    assert connector.high_water_mark() == 0


def test_insert_update_and_delete_are_each_logged_once_with_origin_desktop(
    connector: Connector, desktop: Desktop
) -> None:
    desktop.execute("INSERT INTO contacts (id, name) VALUES (5000, 'Nieuw BV')")
    desktop.execute("UPDATE contacts SET city = 'Zwolle' WHERE id = 5000")
    desktop.execute("DELETE FROM contacts WHERE id = 5000")

    log = _log(connector)

    assert [(c.table_name, c.row_id, c.op, c.origin) for c in log] == [
        ("contacts", 5000, "I", "desktop"),
        ("contacts", 5000, "U", "desktop"),
        ("contacts", 5000, "D", "desktop"),
    ]
    assert log[0].changed_columns[0] == "name"
    assert "row_version" not in log[0].changed_columns
    assert log[1].changed_columns == ["city"]
    assert log[2].changed_columns == []


def test_a_statement_writing_many_rows_logs_one_change_per_row(
    connector: Connector, desktop: Desktop
) -> None:
    touched = desktop.execute("UPDATE contact_persons SET position = 'Inkoper'")

    log = _log(connector)

    assert touched > 1
    assert len(log) == touched
    assert len({change.row_id for change in log}) == touched


def test_sync_transaction_writes_are_logged_as_sync_and_the_next_desktop_write_is_desktop(
    connector: Connector, desktop: Desktop
) -> None:
    with connector.sync_transaction() as tx:
        new_id = tx.insert("contacts", {"name": "Online BV"})
        tx.update("contacts", 1, {"city": "Delft"})
        tx.delete("activities", 1)
    desktop.execute("UPDATE contacts SET city = 'Breda' WHERE id = 1")
    # The same connection that ran the sync transaction writes as the desktop afterwards.
    connector._execute("UPDATE contacts SET city = 'Ede' WHERE id = 2")

    log = _log(connector)

    assert [(c.table_name, c.row_id, c.op, c.origin) for c in log] == [
        ("contacts", new_id, "I", "sync"),
        ("contacts", 1, "U", "sync"),
        ("activities", 1, "D", "sync"),
        ("contacts", 1, "U", "desktop"),
        ("contacts", 2, "U", "desktop"),
    ]
    assert connector.row_counts()["sync_origin"] == 0


def test_row_version_increases_on_every_update(connector: Connector, desktop: Desktop) -> None:
    versions = [connector.fetch_rows("products", [1])[1]["row_version"]]
    for stock in (3, 4, 4):  # the last one writes the same value: still a write
        desktop.execute("UPDATE products SET stock = ? WHERE id = 1", [stock])
        versions.append(connector.fetch_rows("products", [1])[1]["row_version"])
    with connector.sync_transaction() as tx:
        versions.append(tx.update("products", 1, {"name": "Koffie"}))

    assert versions == [1, 2, 3, 4, 5]


def test_seq_keeps_rising_after_the_newest_change_log_rows_are_deleted(
    connector: Connector, desktop: Desktop
) -> None:
    for city in ("A", "B", "C"):
        desktop.execute("UPDATE contacts SET city = ? WHERE id = 1", [city])
    highest_seen = max(change.seq for change in _log(connector))
    desktop.execute("DELETE FROM change_log WHERE seq >= ?", [highest_seen - 1])

    desktop.execute("UPDATE contacts SET city = 'D' WHERE id = 1")

    newest = _log(connector)[-1]
    assert newest.seq > highest_seen
    assert connector.high_water_mark() == newest.seq


def test_sqlite_high_water_mark_is_final_at_once(sqlite_kit_dsn: str) -> None:
    # One writer at a time and commit order is seq order: nothing can hide behind the mark.
    with connect(sqlite_kit_dsn) as connector:
        connector._execute("UPDATE contacts SET city = 'Later' WHERE id = 4")

        assert connector.open_transactions_older_than(timedelta(0)) == []
        assert connector.is_final(connector.seq_mark())
        assert connector.high_water_mark(timeout=0) == 1


def test_high_water_mark_waits_for_an_open_desktop_transaction_and_names_it(
    pg_kit_dsn: str,
) -> None:
    with (
        connect(pg_kit_dsn) as connector,
        psycopg.connect(pg_kit_dsn, application_name="desktop-program") as open_desktop,
    ):
        open_desktop.execute("UPDATE contacts SET city = 'Open' WHERE id = 3")  # not committed
        # A later transaction commits a higher seq first.
        with connect(pg_kit_dsn) as other:
            other._execute("UPDATE contacts SET city = 'Later' WHERE id = 4")

        mark = connector.seq_mark()
        open_ones = connector.open_transactions_older_than(timedelta(0))

        assert mark.last_seq == 2
        assert not connector.is_final(mark)
        assert [t.application for t in open_ones] == ["desktop-program"]
        committed = [c.seq for c in connector.changes(0, mark.last_seq)]
        assert committed == [2]  # seq 1 is still invisible: the cursor must not pass it
        open_desktop.commit()

        # pg_snapshot_xmin is server-wide: another database's transaction may delay finality
        # a little, so wait for it rather than expect it at once.
        assert [c.seq for c in connector.changes(0, connector.high_water_mark())] == [1, 2]


def test_a_mark_that_waited_for_a_transaction_takes_in_all_it_wrote(pg_kit_dsn: str) -> None:
    with connect(pg_kit_dsn) as connector, psycopg.connect(pg_kit_dsn) as bulk_edit:
        bulk_edit.execute("UPDATE contacts SET city = 'Eerst' WHERE id = 3")  # seq 1, open

        def finish() -> None:
            bulk_edit.execute("UPDATE contacts SET city = 'Daarna' WHERE id = 4")  # seq 2
            bulk_edit.commit()

        finishing = threading.Timer(0.3, finish)
        finishing.start()
        mark = connector.high_water_mark(timeout=60)
        finishing.join()

    assert mark == 2  # not 1, the seq that was the last when the wait began


def test_high_water_mark_gives_up_with_a_message_when_a_transaction_stays_open(
    pg_kit_dsn: str,
) -> None:
    with (
        connect(pg_kit_dsn) as connector,
        psycopg.connect(pg_kit_dsn, application_name="desktop-program") as open_desktop,
    ):
        open_desktop.execute("UPDATE contacts SET city = 'Open' WHERE id = 3")
        with pytest.raises(ChangeLogStalled, match="desktop-program"):
            connector.high_water_mark(timeout=0.2)
        open_desktop.rollback()


def test_postgresql_notifies_the_changes_channel_once_per_table_and_transaction(
    pg_kit_dsn: str,
) -> None:
    received: list[str] = []
    with psycopg.connect(pg_kit_dsn, autocommit=True) as listener:
        listener.execute("LISTEN companydb_changes")

        def listen() -> None:
            for notification in listener.notifies(timeout=1.5, stop_after=3):
                received.append(notification.payload)

        thread = threading.Thread(target=listen)
        thread.start()
        with psycopg.connect(pg_kit_dsn) as writer:
            writer.execute("UPDATE contacts SET city = 'X' WHERE id IN (1, 2, 3)")
            writer.execute("UPDATE contacts SET city = 'Y' WHERE id IN (1, 2, 3)")
            writer.execute("DELETE FROM activities WHERE id = 2")
        thread.join()

    assert sorted(received) == ["activities", "contacts"]


def test_the_report_names_a_desktop_transaction_left_open(pg_kit_dsn: str) -> None:
    with (
        connect(pg_kit_dsn) as connector,
        psycopg.connect(pg_kit_dsn, application_name="Kassa") as open_desktop,
    ):
        assert connector.report(open_transaction_age=timedelta(0))["open_transactions"] == []
        open_desktop.execute("UPDATE contacts SET city = 'Open' WHERE id = 3")  # not committed

        reported = connector.report(open_transaction_age=timedelta(0))["open_transactions"]

        assert [entry["application"] for entry in reported] == ["Kassa"]
        open_desktop.rollback()
