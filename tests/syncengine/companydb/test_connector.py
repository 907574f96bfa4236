"""The connector's reads, the sync lock and the PostgreSQL export."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest

from syncengine.companydb import Connector, connect
from syncengine.companydb.errors import DatabaseUnreachable


def test_report_has_exactly_the_promised_shape_and_is_json(connector: Connector) -> None:
    report = connector.report()

    assert set(report) == {
        "database_id",
        "schema_version",
        "settings",
        "employees",
        "users",
        "sessions",
        "api_clients",
        "open_transactions",
    }
    assert isinstance(report["database_id"], str)
    assert report["schema_version"] == 1
    assert {"name", "org_number", "database_kind", "edition", "licence_contact_name"} <= set(
        report["settings"]
    )
    assert not {"database_id", "schema_version"} & set(report["settings"])
    assert set(report["employees"][0]) == {
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "is_active",
    }
    assert set(report["users"][0]) == {"id", "username", "employee_id", "is_super_user"}
    assert set(report["sessions"][0]) == {
        "id",
        "user_id",
        "username",
        "host",
        "started_at",
        "last_seen_at",
    }
    assert set(report["api_clients"][0]) == {"id", "name", "is_enabled"}
    assert json.loads(json.dumps(report)) == report


def test_only_sessions_seen_in_the_last_15_minutes_count_as_active(connector: Connector) -> None:
    all_sessions = connector.row_counts()["desktop_sessions"]

    active = connector.desktop_sessions()

    assert 0 < len(active) < all_sessions
    assert [session["host"] for session in active] == ["KANTOOR-PC01", "KANTOOR-PC02"]


def test_table_chunk_pages_through_a_table_by_id_with_python_values(connector: Connector) -> None:
    first = connector.table_chunk("order_lines", 0, 10)
    second = connector.table_chunk("order_lines", first[-1]["id"], 10)

    ids = [row["id"] for row in first + second]
    assert ids == sorted(ids)
    assert len(set(ids)) == 20
    assert isinstance(first[0]["unit_price"], Decimal)
    assert first[0]["unit_price"].as_tuple().exponent == -2
    assert first[0]["row_version"] == 1


def test_the_sync_lock_is_held_by_one_owner_at_a_time(connector: Connector) -> None:
    assert connector.sync_lock() is None
    assert connector.take_sync_lock("host-a", "initial_sync")
    assert not connector.take_sync_lock("host-b", "initial_sync")
    assert connector.take_sync_lock("host-a", "incremental")  # the owner changes its mode

    lock = connector.sync_lock()
    assert lock is not None
    assert (lock.owner, lock.mode) == ("host-a", "incremental")
    assert not connector.release_sync_lock("host-b")
    assert connector.release_sync_lock("host-a")
    assert connector.sync_lock() is None


def test_postgresql_copy_out_streams_a_primary_key_range_in_binary(pg_kit_dsn: str) -> None:
    from syncengine.companydb.connector import PostgreSQLConnector

    with connect(pg_kit_dsn) as connector:
        assert isinstance(connector, PostgreSQLConnector)
        data = b"".join(connector.copy_out("contacts", 5, 15))

    assert data.startswith(b"PGCOPY\n\xff\r\n\x00")
    assert _binary_copy_ids(data) == list(range(6, 16))


def test_postgresql_copy_rows_streams_the_rows_named_that_still_exist(pg_kit_dsn: str) -> None:
    from syncengine.companydb.connector import PostgreSQLConnector

    with connect(pg_kit_dsn) as connector:
        assert isinstance(connector, PostgreSQLConnector)
        data = b"".join(connector.copy_rows("contacts", [3, 7, 9_999_999]))

    assert sorted(_binary_copy_ids(data)) == [3, 7]


def _binary_copy_ids(data: bytes) -> list[int]:
    """The first column (id, bigint) of every tuple of PostgreSQL binary COPY data."""
    position = 11 + 4  # signature, flags
    position += 4 + int.from_bytes(data[position : position + 4], "big")  # header extension
    ids: list[int] = []
    while True:
        fields = int.from_bytes(data[position : position + 2], "big", signed=True)
        position += 2
        if fields == -1:
            return ids
        for index in range(fields):
            length = int.from_bytes(data[position : position + 4], "big", signed=True)
            position += 4
            if index == 0:
                ids.append(int.from_bytes(data[position : position + length], "big"))
            position += max(length, 0)


def _end_session(connector: Connector) -> None:
    """The server ends the connector's session, as a restart or a network cut would."""
    import psycopg

    from tests.syncengine.companydb.conftest import SERVER_DSN

    pid = connector.connection.info.backend_pid  # type: ignore[attr-defined]
    with psycopg.connect(SERVER_DSN, autocommit=True) as server:
        server.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def _in_a_sync_transaction(connector: Connector) -> None:
    with connector.sync_transaction() as tx:
        tx.applied(uuid.uuid4())
        _end_session(connector)  # the commit meets it


USES: dict[str, Callable[[Connector], object]] = {
    "copy_out": lambda c: b"".join(c.copy_out("contacts", 0, 30)),  # type: ignore[attr-defined]
    "sync_transaction": _in_a_sync_transaction,
    "seq_mark": lambda c: c.seq_mark(),
    "sync_lock": lambda c: c.take_sync_lock("test", "initial_sync"),
}


@pytest.mark.parametrize("use", USES)
def test_a_postgresql_connection_lost_anywhere_is_database_unreachable(
    pg_kit_dsn: str, use: str
) -> None:
    """Not psycopg's own error: the engine tries DatabaseUnreachable again, visibly, where an
    unknown error would leave a first sync waiting for its lease to run out."""
    with connect(pg_kit_dsn) as connector:
        if use != "sync_transaction":
            _end_session(connector)
        with pytest.raises(DatabaseUnreachable, match="was lost"):
            USES[use](connector)
