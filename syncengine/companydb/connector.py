"""The connector: one interface to a company database, on SQLite or PostgreSQL.

    connector = connect("postgresql://sync@db.office:5432/acme")   # checks the schema
    connector.report()
    with connector.sync_transaction() as tx:
        new_id = tx.insert("contacts", {"name": "Bakkerij De Vries"})
        tx.record_applied(change_id, "contacts", new_id)

Values come out the same on both dialects: ints, str, bool, `Decimal` for numeric columns,
`date`, aware UTC `datetime`, and uuids as str. This module is the on-premises side: it never
imports Django.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from syncengine.companydb.dsn import ParsedDsn, parse_dsn
from syncengine.companydb.errors import (
    BadCredentials,
    ChangeLogStalled,
    CompanyDatabaseError,
    DatabaseUnreachable,
    MissingTable,
    NotACompanyDatabase,
    RejectedChange,
    RowNotFound,
    RowVersionConflict,
    SchemaTooOld,
)
from syncengine.companydb.schema import (
    BUSINESS_TABLES,
    MINIMUM_SCHEMA_VERSION,
    ORIGIN_MARKER_TABLE,
    ORIGIN_SETTING,
    TABLES,
    Dialect,
)

Row = dict[str, Any]

_SCALES = {"money": Decimal("0.01"), "percent": Decimal("0.01"), "quantity": Decimal("0.001")}


@dataclass(frozen=True)
class Change:
    """One change_log row."""

    seq: int
    table_name: str
    row_id: int
    op: str  # 'I' | 'U' | 'D'
    changed_columns: list[str]
    origin: str  # 'desktop' | 'sync'
    changed_at: datetime


@dataclass(frozen=True)
class SyncLock:
    owner: str
    mode: str
    locked_at: datetime


@dataclass(frozen=True)
class SeqMark:
    """A candidate high-water mark: every seq <= last_seq is final once `xid` is older than
    the oldest running transaction (PostgreSQL); on SQLite `xid` is None and it is final."""

    last_seq: int
    xid: str | None


@dataclass(frozen=True)
class OpenTransaction:
    """A transaction on the company database that holds back the change-log cursor."""

    pid: int
    user: str | None
    application: str | None
    client: str | None
    started_at: datetime | None
    state: str | None


def connect(dsn: str, *, check: bool = True, connect_timeout: float = 5) -> Connector:
    """A connector for `dsn`; with `check` (the default) the schema is checked first.

    Raises a `CompanyDatabaseError` subclass with a message for a person (never the password).
    """
    parsed = parse_dsn(dsn)
    connector: Connector
    if parsed.dialect == "sqlite":
        connector = SQLiteConnector(parsed, connect_timeout=connect_timeout)
    else:
        connector = PostgreSQLConnector(parsed, connect_timeout=connect_timeout)
    if check:
        try:
            connector.check_schema()
        except BaseException:
            connector.close()
            raise
    return connector


class Connector(ABC):
    """What the sync engine, the host and the tools know of a company database."""

    dialect: Dialect

    def __init__(self, parsed: ParsedDsn) -> None:
        self.parsed = parsed

    # -- plumbing each dialect provides -------------------------------------------------

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows of a statement written with `?` placeholders."""

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Runs a statement written with `?` placeholders; the number of rows it touched."""

    @abstractmethod
    def _table_names(self) -> set[str]: ...

    @abstractmethod
    @contextmanager
    def _write_transaction(self) -> Iterator[None]: ...

    @abstractmethod
    def _to_db(self, kind: str, value: Any) -> Any: ...

    @abstractmethod
    def _from_db(self, kind: str, value: Any) -> Any: ...

    @abstractmethod
    def seq_mark(self) -> SeqMark:
        """A candidate high-water mark, taken without waiting (see `is_final`)."""

    @abstractmethod
    def is_final(self, mark: SeqMark) -> bool:
        """Whether every seq <= mark.last_seq is final, i.e. committed or never to appear.
        Non-blocking."""

    @abstractmethod
    def open_transactions_older_than(self, age: timedelta) -> list[OpenTransaction]:
        """Transactions with a write open longer than `age` (PostgreSQL; [] on SQLite, where
        an open writer blocks every other writer and so cannot hide behind the cursor)."""

    @abstractmethod
    @contextmanager
    def sync_transaction(self) -> Iterator[SyncTransaction]:
        """A transaction whose writes change_log records with origin 'sync'. Commits when the
        block ends, rolls back when it raises."""

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------

    def _converted(self, table: str, rows: list[Row]) -> list[Row]:
        kinds = TABLES[table].kinds()
        return [
            {key: self._from_db(kinds.get(key, "raw"), value) for key, value in row.items()}
            for row in rows
        ]

    def check_schema(self) -> None:
        """Refuses (raises) a database that is not a complete company database of a schema
        version the kit supports."""
        present = self._table_names()
        where = self.parsed.display
        if "company_settings" not in present:
            raise NotACompanyDatabase(
                f"{where.capitalize()} is not a company database: it has no company_settings table."
            )
        missing = [name for name in TABLES if name not in present]
        if missing:
            raise MissingTable(
                f"The company database in {where} is incomplete: the table"
                f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"{'are' if len(missing) > 1 else 'is'} missing.",
                tables=missing,
            )
        rows = self._rows("SELECT schema_version FROM company_settings")
        if not rows:
            raise NotACompanyDatabase(
                f"The company database in {where} has no company settings row."
            )
        version = int(rows[0]["schema_version"])
        if version < MINIMUM_SCHEMA_VERSION:
            raise SchemaTooOld(
                f"The company database in {where} has schema version {version}; version "
                f"{MINIMUM_SCHEMA_VERSION} or newer is needed. Update the desktop program "
                "first.",
                found=version,
                minimum=MINIMUM_SCHEMA_VERSION,
            )

    def company_settings(self) -> Row:
        """The one company_settings row, every column."""
        rows = self._converted("company_settings", self._rows("SELECT * FROM company_settings"))
        if not rows:
            raise NotACompanyDatabase(
                f"The company database in {self.parsed.display} has no company settings row."
            )
        return rows[0]

    def employees(self) -> list[Row]:
        return self._converted("employees", self._rows("SELECT * FROM employees ORDER BY id"))

    def desktop_users(self) -> list[Row]:
        return self._converted("users", self._rows("SELECT * FROM users ORDER BY id"))

    def desktop_sessions(self, active_within: timedelta = timedelta(minutes=15)) -> list[Row]:
        """Sessions seen within `active_within` (DESIGN.md: 15 minutes unseen counts as ended),
        with the desktop user's username."""
        since = datetime.now(UTC) - active_within
        rows = self._rows(
            "SELECT s.id, s.user_id, u.username, s.host, s.started_at, s.last_seen_at "
            "FROM desktop_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.last_seen_at >= ? ORDER BY s.id",
            [self._to_db("timestamp", since)],
        )
        kinds = {"started_at": "timestamp", "last_seen_at": "timestamp"}
        return [
            {key: self._from_db(kinds.get(key, "raw"), value) for key, value in row.items()}
            for row in rows
        ]

    def api_clients(self) -> list[Row]:
        return self._converted("api_clients", self._rows("SELECT * FROM api_clients ORDER BY id"))

    def report(self, *, open_transaction_age: timedelta = timedelta(minutes=1)) -> dict[str, Any]:
        """What a sync host reports about this database; JSON-serialisable, in the shape
        other code relies on (times as ISO 8601 UTC strings). `settings` holds every
        company_settings column but id, database_id and schema_version."""
        settings = self.company_settings()
        return {
            "database_id": str(settings["database_id"]),
            "schema_version": int(settings["schema_version"]),
            "settings": {
                key: _jsonable(value)
                for key, value in settings.items()
                if key not in ("id", "database_id", "schema_version")
            },
            "employees": [
                {
                    key: employee[key]
                    for key in ("id", "first_name", "last_name", "email", "phone", "is_active")
                }
                for employee in self.employees()
            ],
            "users": [
                {key: user[key] for key in ("id", "username", "employee_id", "is_super_user")}
                for user in self.desktop_users()
            ],
            "sessions": [
                {key: _jsonable(value) for key, value in session.items()}
                for session in self.desktop_sessions()
            ],
            "api_clients": [
                {key: client[key] for key in ("id", "name", "is_enabled")}
                for client in self.api_clients()
            ],
            # A desktop transaction left open holds back a first synchronisation (DESIGN.md,
            # invariant 2): the wizard names it before the administrator starts one.
            "open_transactions": [
                {
                    "pid": transaction.pid,
                    "user": transaction.user,
                    "application": transaction.application,
                    "started_at": _jsonable(transaction.started_at),
                }
                for transaction in self.open_transactions_older_than(open_transaction_age)
            ],
        }

    def table_chunk(self, table: str, after_id: int, limit: int) -> list[Row]:
        """Up to `limit` rows of `table` with id > after_id, ordered by id."""
        _table_with_id(table)
        columns = ", ".join(TABLES[table].column_names)
        rows = self._rows(
            f"SELECT {columns} FROM {table} WHERE id > ? ORDER BY id LIMIT ?",  # noqa: S608
            [after_id, limit],
        )
        return self._converted(table, rows)

    def fetch_rows(self, table: str, ids: Sequence[int]) -> dict[int, Row]:
        """The rows of `table` with these ids that still exist, by id."""
        _table_with_id(table)
        found: dict[int, Row] = {}
        columns = ", ".join(TABLES[table].column_names)
        for batch, marks in _in_lists(ids):
            rows = self._rows(
                f"SELECT {columns} FROM {table} WHERE id IN ({marks})",  # noqa: S608
                batch,
            )
            for row in self._converted(table, rows):
                found[row["id"]] = row
        return found

    def applied_changes(self, table: str, change_ids: Sequence[uuid.UUID | str]) -> dict[str, int]:
        """Of these online changes, those written to `table` already: change id (as text) ->
        the row id each produced (DESIGN.md invariant 3). By `sync_applied`'s primary key."""
        found: dict[str, int] = {}
        for batch, marks in _in_lists([self._to_db("uuid", c) for c in change_ids]):
            rows = self._rows(
                "SELECT change_id, row_id FROM sync_applied "  # noqa: S608
                f"WHERE change_id IN ({marks}) AND table_name = ?",
                [*batch, table],
            )
            for row in rows:
                found[str(uuid.UUID(str(row["change_id"])))] = int(row["row_id"])
        return found

    def table_bounds(self, table: str) -> tuple[int, int, int]:
        """(lowest id, highest id, row count) of `table`; (0, 0, 0) when empty."""
        _table_with_id(table)
        row = self._rows(
            f"SELECT min(id) AS low, max(id) AS high, count(*) AS n FROM {table}"  # noqa: S608
        )[0]
        return int(row["low"] or 0), int(row["high"] or 0), int(row["n"])

    def row_counts(self) -> dict[str, int]:
        """Row count of every kit table."""
        return {
            name: int(
                self._rows(f"SELECT count(*) AS n FROM {name}")[0]["n"]  # noqa: S608
            )
            for name in TABLES
        }

    # -- the change log ----------------------------------------------------------------

    def high_water_mark(self, *, timeout: float = 60.0, poll_interval: float = 0.05) -> int:
        """The highest seq below which the change log is final (DESIGN.md invariant 2).

        Waits for transactions that may still commit a lower seq; if one stays open longer
        than `timeout` seconds, raises `ChangeLogStalled` naming it: the cursor must never
        skip past it.
        """
        mark = self.seq_mark()
        deadline = time.monotonic() + timeout
        waited = False
        while not self.is_final(mark):
            if time.monotonic() >= deadline:
                raise ChangeLogStalled(self._stall_message())
            time.sleep(poll_interval)
            waited = True
        if waited:
            # What we waited for has ended, usually a desktop transaction still writing when
            # the mark was read: a mark read now takes in the rest of its changes, which the
            # caller would otherwise come back for (a bulk edit pulled in two runs).
            fresh = self.seq_mark()
            if self.is_final(fresh):
                return fresh.last_seq
        return mark.last_seq

    def _stall_message(self) -> str:
        open_transactions = self.open_transactions_older_than(timedelta(0))
        if not open_transactions:
            return (
                f"The change log of {self.parsed.display} is not final yet: a transaction "
                "is still open."
            )
        oldest = open_transactions[0]
        since = oldest.started_at.isoformat() if oldest.started_at else "an unknown time"
        return (
            f"The change log of {self.parsed.display} is held back by a transaction open since "
            f"{since} (process {oldest.pid}, program {oldest.application or 'unknown'}). "
            "Changes after it are read once it ends."
        )

    def last_seq(self) -> int:
        """The last seq handed out by a committed transaction (SQLite) or at all (PostgreSQL),
        final or not: for display only; the sync uses `high_water_mark()`."""
        return self.seq_mark().last_seq

    def changes(self, after_seq: int, up_to_seq: int, limit: int = 1000) -> list[Change]:
        """change_log rows with after_seq < seq <= up_to_seq, by seq."""
        rows = self._rows(
            "SELECT seq, table_name, row_id, op, changed_columns, origin, changed_at "
            "FROM change_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            [after_seq, up_to_seq, limit],
        )
        return [
            Change(
                seq=int(row["seq"]),
                table_name=row["table_name"],
                row_id=int(row["row_id"]),
                op=row["op"],
                changed_columns=_json_list(row["changed_columns"]),
                origin=row["origin"],
                changed_at=self._from_db("timestamp", row["changed_at"]),
            )
            for row in rows
        ]

    def change_log_size(self) -> int:
        return int(self._rows("SELECT count(*) AS n FROM change_log")[0]["n"])

    # -- the sync lock -----------------------------------------------------------------

    def take_sync_lock(self, owner: str, mode: str) -> bool:
        """Takes the lock for `owner` (or changes its mode when `owner` holds it already).
        False when someone else holds it. While mode is 'initial_sync' the desktop program
        must not be used."""
        with self._write_transaction():
            self._execute(
                "INSERT INTO sync_lock (id, owner, mode, locked_at) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET mode = excluded.mode, "
                "locked_at = excluded.locked_at WHERE sync_lock.owner = excluded.owner",
                [owner, mode, self._to_db("timestamp", datetime.now(UTC))],
            )
            rows = self._rows("SELECT owner FROM sync_lock WHERE id = 1")
        return bool(rows) and rows[0]["owner"] == owner

    def release_sync_lock(self, owner: str) -> bool:
        """Releases the lock if `owner` holds it; whether it did."""
        with self._write_transaction():
            return self._execute("DELETE FROM sync_lock WHERE owner = ?", [owner]) > 0

    def sync_lock(self) -> SyncLock | None:
        rows = self._converted("sync_lock", self._rows("SELECT * FROM sync_lock"))
        if not rows:
            return None
        return SyncLock(
            owner=rows[0]["owner"], mode=rows[0]["mode"], locked_at=rows[0]["locked_at"]
        )


class SyncTransaction:
    """Writes of the sync engine inside `Connector.sync_transaction()`.

    Each write runs in its own savepoint: a write the database refuses raises `RejectedChange`
    and leaves nothing behind, and the transaction can go on with the next one.
    """

    def __init__(self, connector: Connector) -> None:
        self._connector = connector

    @contextmanager
    def _savepoint(self, table: str) -> Iterator[None]:
        raise NotImplementedError

    def _values(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
        definition = TABLES[_business_table(table)]
        allowed = set(definition.data_columns)
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise RejectedChange(
                f"The table {table} of the company database has no column {', '.join(unknown)}."
            )
        kinds = definition.kinds()
        return {key: self._connector._to_db(kinds[key], value) for key, value in values.items()}

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        """Inserts a row; its new id."""
        adapted = self._values(table, values)
        with self._savepoint(table):
            return self._insert(table, adapted)

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        raise NotImplementedError

    def update(
        self,
        table: str,
        row_id: int,
        values: Mapping[str, Any],
        *,
        expected_row_version: int | None = None,
    ) -> int:
        """Updates a row; its new row_version. Raises `RowNotFound` when the row is gone and
        `RowVersionConflict` when `expected_row_version` is given and no longer current."""
        adapted = self._values(table, values)
        touched = 0
        with self._savepoint(table):
            if adapted:
                assignments = ", ".join(f"{key} = ?" for key in adapted)
                sql = f"UPDATE {table} SET {assignments} WHERE id = ?"  # noqa: S608
                params: list[Any] = [*adapted.values(), row_id]
                if expected_row_version is not None:
                    sql += " AND row_version = ?"
                    params.append(expected_row_version)
                touched = self._connector._execute(sql, params)
            current = self._row_version(table, row_id)
        if expected_row_version is not None and (
            (adapted and not touched) or (not adapted and current != expected_row_version)
        ):
            raise RowVersionConflict(
                f"Row {row_id} of {table} was changed in the company database meanwhile "
                f"(version {current}, expected {expected_row_version}).",
                expected=expected_row_version,
                current=current,
            )
        return current

    def _row_version(self, table: str, row_id: int) -> int:
        rows = self._connector._rows(
            f"SELECT row_version FROM {table} WHERE id = ?",  # noqa: S608
            [row_id],
        )
        if not rows:
            raise RowNotFound(f"Row {row_id} of {table} is not in the company database.")
        return int(rows[0]["row_version"])

    def delete(self, table: str, row_id: int, *, expected_row_version: int | None = None) -> bool:
        """Deletes a row; False when it was gone already. With `expected_row_version`, raises
        `RowVersionConflict` instead of deleting a row changed meanwhile."""
        _business_table(table)
        with self._savepoint(table):
            if expected_row_version is not None:
                rows = self._connector._rows(
                    f"SELECT row_version FROM {table} WHERE id = ?",  # noqa: S608
                    [row_id],
                )
                if rows and int(rows[0]["row_version"]) != expected_row_version:
                    raise RowVersionConflict(
                        f"Row {row_id} of {table} was changed in the company database "
                        "meanwhile; it was not deleted.",
                        expected=expected_row_version,
                        current=int(rows[0]["row_version"]),
                    )
            return (
                self._connector._execute(
                    f"DELETE FROM {table} WHERE id = ?",  # noqa: S608
                    [row_id],
                )
                > 0
            )

    def record_applied(self, change_id: uuid.UUID | str, table: str, row_id: int) -> None:
        """Notes that the online change `change_id` was written here as `row_id` of `table`,
        in this same transaction (DESIGN.md invariant 3)."""
        self._connector._execute(
            "INSERT INTO sync_applied (change_id, table_name, row_id, applied_at) "
            "VALUES (?, ?, ?, ?)",
            [
                self._connector._to_db("uuid", change_id),
                table,
                row_id,
                self._connector._to_db("timestamp", datetime.now(UTC)),
            ],
        )

    def applied(self, change_id: uuid.UUID | str) -> int | None:
        """The row id an online change produced, if it was applied already."""
        rows = self._connector._rows(
            "SELECT row_id FROM sync_applied WHERE change_id = ?",
            [self._connector._to_db("uuid", change_id)],
        )
        return int(rows[0]["row_id"]) if rows else None


# -- SQLite ---------------------------------------------------------------------------------


class SQLiteConnector(Connector):
    dialect: Dialect = "sqlite"

    def __init__(self, parsed: ParsedDsn, *, connect_timeout: float = 5, create: bool = False):
        super().__init__(parsed)
        mode = "rwc" if create else "rw"
        uri = f"file:{quote(parsed.path)}?mode={mode}"
        try:
            self.connection = sqlite3.connect(
                uri, uri=True, isolation_level=None, timeout=max(connect_timeout, 30)
            )
        except sqlite3.OperationalError as error:
            raise DatabaseUnreachable(
                f"There is no company database at {parsed.path}, or it cannot be opened."
            ) from error
        self.connection.row_factory = sqlite3.Row
        try:
            # Reading the schema makes SQLite look at the file now: a file that is not a
            # database at all fails here rather than on first use.
            self.connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            self.connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as error:
            self.connection.close()
            raise NotACompanyDatabase(
                f"The file {parsed.path} is not a company database (not a SQLite database)."
            ) from error

    def close(self) -> None:
        self.connection.close()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return [dict(row) for row in self.connection.execute(sql, tuple(params))]
        except sqlite3.OperationalError as error:
            raise _sqlite_operational(error, self.parsed) from error

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self.connection.execute(sql, tuple(params)).rowcount
        except sqlite3.OperationalError as error:
            raise _sqlite_operational(error, self.parsed) from error

    def _table_names(self) -> set[str]:
        rows = self._rows("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row["name"] for row in rows}

    @contextmanager
    def _write_transaction(self) -> Iterator[None]:
        if self.connection.in_transaction:
            yield
            return
        self._execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self._execute("COMMIT")

    def _to_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, uuid.UUID):
            return str(value)
        return value

    def _from_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == "bool":
            return bool(value)
        if kind in _SCALES:
            return Decimal(str(value)).quantize(_SCALES[kind])
        if kind == "timestamp":
            parsed = datetime.fromisoformat(str(value))
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        if kind == "date":
            return date.fromisoformat(str(value))
        return value

    def seq_mark(self) -> SeqMark:
        # sqlite_sequence holds the last seq AUTOINCREMENT handed out, also when the newest
        # change_log rows were deleted since. One writer at a time: commit order is seq order,
        # so what this connection sees committed is final.
        rows = self._rows("SELECT seq FROM sqlite_sequence WHERE name = 'change_log'")
        return SeqMark(int(rows[0]["seq"]) if rows else 0, None)

    def is_final(self, mark: SeqMark) -> bool:
        return True

    def open_transactions_older_than(self, age: timedelta) -> list[OpenTransaction]:
        return []

    @contextmanager
    def sync_transaction(self) -> Iterator[SyncTransaction]:
        if self.connection.in_transaction:
            raise CompanyDatabaseError("A sync transaction cannot start inside another one.")
        self._execute("BEGIN IMMEDIATE")
        try:
            # SQLite triggers cannot see TEMP tables, so the mark is a row of a real table that
            # no other connection ever sees: it is deleted again before the commit, and the
            # one-writer lock keeps desktop writes out while it is there.
            self._execute(f"INSERT INTO {ORIGIN_MARKER_TABLE} (marker) VALUES (1)")  # noqa: S608
            yield _SQLiteSyncTransaction(self)
            self._execute(f"DELETE FROM {ORIGIN_MARKER_TABLE}")  # noqa: S608
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self._execute("COMMIT")


class _SQLiteSyncTransaction(SyncTransaction):
    _connector: SQLiteConnector

    @contextmanager
    def _savepoint(self, table: str) -> Iterator[None]:
        connection = self._connector.connection
        connection.execute("SAVEPOINT sync_write")
        try:
            yield
        except sqlite3.IntegrityError as error:
            connection.execute("ROLLBACK TO sync_write")
            connection.execute("RELEASE sync_write")
            raise RejectedChange(
                f"The company database refused the change to {table}: {error}."
            ) from error
        except BaseException:
            connection.execute("ROLLBACK TO sync_write")
            connection.execute("RELEASE sync_write")
            raise
        connection.execute("RELEASE sync_write")

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        connection = self._connector.connection
        if values:
            columns = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        else:
            sql = f"INSERT INTO {table} DEFAULT VALUES"
        cursor = connection.execute(sql, tuple(values.values()))
        assert cursor.lastrowid is not None  # noqa: S101
        return int(cursor.lastrowid)


def _sqlite_operational(error: sqlite3.OperationalError, parsed: ParsedDsn) -> CompanyDatabaseError:
    text = str(error)
    if text.startswith("no such table"):
        table = text.split(":", 1)[-1].strip()
        return MissingTable(
            f"The company database in {parsed.display} has no table {table}.", tables=[table]
        )
    if "locked" in text or "busy" in text:
        return DatabaseUnreachable(
            f"The company database in {parsed.display} stayed locked by another program."
        )
    return CompanyDatabaseError(f"The company database in {parsed.display} failed: {text}.")


# -- PostgreSQL -----------------------------------------------------------------------------


class PostgreSQLConnector(Connector):
    dialect: Dialect = "postgresql"

    def __init__(
        self,
        parsed: ParsedDsn,
        *,
        connect_timeout: float = 5,
        application_name: str = "online-desktop-sync",
    ) -> None:
        super().__init__(parsed)
        import psycopg
        from psycopg.rows import dict_row

        self._psycopg = psycopg
        try:
            self.connection = psycopg.connect(
                parsed.dsn,
                autocommit=True,
                connect_timeout=max(1, int(connect_timeout)),
                application_name=application_name,
                row_factory=dict_row,
            )
        except psycopg.OperationalError as error:
            raise pg_connect_error(error, parsed) from error
        with self._kept():
            self.connection.execute("SET TIME ZONE 'UTC'")

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def _kept(self) -> Iterator[None]:
        """A connection lost in the block (the server restarted, the network cut, the session
        ended by an administrator) raises DatabaseUnreachable, which the engine tries again,
        visibly. psycopg raises it from wherever it meets it: a statement, a COPY, a commit."""
        try:
            yield
        except self._psycopg.OperationalError as error:
            raise DatabaseUnreachable(
                f"The connection to the company database in {self.parsed.display} was lost."
            ) from error

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            with self._kept():
                cursor = self.connection.execute(sql.replace("?", "%s"), list(params))
                return list(cursor.fetchall()) if cursor.description else []
        except self._psycopg.errors.UndefinedTable as error:
            raise MissingTable(
                f"The company database in {self.parsed.display} is missing a table "
                f"({error.diag.message_primary}).",
                tables=[],
            ) from error

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._kept():
            return self.connection.execute(sql.replace("?", "%s"), list(params)).rowcount

    def _table_names(self) -> set[str]:
        rows = self._rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {row["table_name"] for row in rows}

    @contextmanager
    def _write_transaction(self) -> Iterator[None]:
        with self._kept(), self.connection.transaction():
            yield

    def _to_db(self, kind: str, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        if kind == "uuid" and isinstance(value, str):
            return uuid.UUID(value)
        return value

    def _from_db(self, kind: str, value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return str(value)
        return value

    def seq_mark(self) -> SeqMark:
        # Read L first, then take a new xid X in a transaction that commits. A writer that got
        # a seq <= L already had its xid (its business-row write comes before the trigger's
        # nextval), so its xid < X: once the oldest running xid is past X it has ended.
        with self._kept(), self.connection.transaction():
            sequence = self._rows("SELECT last_value, is_called FROM change_log_seq")[0]
            xid = self._rows("SELECT pg_current_xact_id()::text AS xid")[0]["xid"]
        last = int(sequence["last_value"]) if sequence["is_called"] else 0
        return SeqMark(last, str(xid))

    def is_final(self, mark: SeqMark) -> bool:
        if mark.xid is None:
            return True
        # xids are server-wide, but a seq of this database's change log can only be taken by
        # a session connected to this database: only a running transaction older than X
        # (`pg_snapshot_xip`) of a session here may still commit a seq <= L. A transaction of
        # another database on the same server (the online store's, other company databases')
        # does not hold the mark back. One whose session cannot be found (it is ending now, or
        # a prepared transaction) counts as holding it back: waiting is always safe.
        rows = self._rows(
            "SELECT NOT EXISTS ("
            " SELECT 1 FROM pg_snapshot_xip(pg_current_snapshot()) AS running(xid)"
            " LEFT JOIN pg_locks l ON l.locktype = 'transactionid'"
            "  AND l.transactionid = running.xid::xid AND l.mode = 'ExclusiveLock'"
            " LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE running.xid < ?::xid8 AND (a.datid IS NULL OR a.datname = current_database())"
            ") AS final",
            [mark.xid],
        )
        return bool(rows[0]["final"])

    def open_transactions_older_than(self, age: timedelta) -> list[OpenTransaction]:
        # Only transactions holding an xid hold back pg_snapshot_xmin (and so the cursor).
        # Without pg_read_all_stats the columns of other users' sessions read as NULL.
        rows = self._rows(
            "SELECT pid, usename, application_name, client_addr::text AS client, xact_start, "
            "state FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL "
            "AND xact_start <= clock_timestamp() - ?::interval ORDER BY xact_start",
            [age],
        )
        return [
            OpenTransaction(
                pid=int(row["pid"]),
                user=row["usename"],
                application=row["application_name"] or None,
                client=row["client"],
                started_at=row["xact_start"],
                state=row["state"],
            )
            for row in rows
        ]

    @contextmanager
    def sync_transaction(self) -> Iterator[SyncTransaction]:
        with self._kept(), self.connection.transaction():
            self._execute("SELECT set_config(?, 'sync', true)", [ORIGIN_SETTING])
            yield _PostgreSQLSyncTransaction(self)

    def copy_out(self, table: str, after_id: int, up_to_id: int) -> Iterator[bytes]:
        """Rows of `table` with after_id < id <= up_to_id, by id, as PostgreSQL binary COPY
        data (header, rows, trailer), in pieces. Columns in `TABLES[table].column_names`
        order, so the online side can COPY it straight into a table of the same types."""
        from psycopg import sql

        return self._copy_binary(
            table,
            sql.SQL("id > {low} AND id <= {high} ORDER BY id").format(
                low=sql.Literal(after_id), high=sql.Literal(up_to_id)
            ),
        )

    def copy_rows(self, table: str, ids: Sequence[int]) -> Iterator[bytes]:
        """The rows of `table` with these ids that still exist, as binary COPY data in the
        columns of `copy_out`: a pull's read of the rows its changes name."""
        from psycopg import sql

        return self._copy_binary(
            table,
            sql.SQL("id = ANY({ids}::bigint[])").format(
                ids=sql.Literal([int(row_id) for row_id in ids])
            ),
        )

    def _copy_binary(self, table: str, where: Any) -> Iterator[bytes]:
        """`SELECT` of `table`'s columns `WHERE` `where` (a psycopg sql.Composable), as binary
        COPY data in pieces."""
        from psycopg import sql

        _table_with_id(table)
        statement = sql.SQL(
            "COPY (SELECT {columns} FROM {table} WHERE {where}) TO STDOUT (FORMAT BINARY)"
        ).format(
            columns=sql.SQL(", ").join(sql.Identifier(c) for c in TABLES[table].column_names),
            table=sql.Identifier(table),
            where=where,
        )
        with self._kept(), self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for data in copy:
                yield bytes(data)


class _PostgreSQLSyncTransaction(SyncTransaction):
    _connector: PostgreSQLConnector

    @contextmanager
    def _savepoint(self, table: str) -> Iterator[None]:
        psycopg = self._connector._psycopg
        try:
            with self._connector.connection.transaction():
                yield
        except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as error:
            raise RejectedChange(
                f"The company database refused the change to {table}: {error.diag.message_primary}."
            ) from error

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        if values:
            columns = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"  # noqa: S608
        else:
            sql = f"INSERT INTO {table} DEFAULT VALUES RETURNING id"  # noqa: S608
        return int(self._connector._rows(sql, list(values.values()))[0]["id"])


def pg_connect_error(error: Exception, parsed: ParsedDsn) -> CompanyDatabaseError:
    """A person's message for a failed PostgreSQL connection; the driver's text only picks
    the kind (it is never shown: it may echo parts of the connection string)."""
    text = str(error).lower()
    where = f"{parsed.host}:{parsed.port}"
    if "password authentication failed" in text or "no password supplied" in text:
        return BadCredentials(
            f"The PostgreSQL server at {where} refused the user '{parsed.user}' or its password."
        )
    if "role" in text and "does not exist" in text:
        return BadCredentials(f"The PostgreSQL server at {where} has no user '{parsed.user}'.")
    if "database" in text and "does not exist" in text:
        return NotACompanyDatabase(
            f"The PostgreSQL server at {where} has no database '{parsed.dbname}'."
        )
    if "permission denied" in text or "not permitted" in text or "pg_hba.conf" in text:
        return BadCredentials(
            f"The PostgreSQL server at {where} does not let the user '{parsed.user}' connect "
            f"to database '{parsed.dbname}'."
        )
    return DatabaseUnreachable(
        f"The PostgreSQL server at {where} cannot be reached (is it running, and is the host "
        "and port right?)."
    )


def _table_with_id(table: str) -> str:
    if table not in TABLES or not TABLES[table].has_id:
        raise ValueError(f"{table!r} is not a company-database table with an id.")
    return table


def _business_table(table: str) -> str:
    if table not in BUSINESS_TABLES:
        raise ValueError(f"{table!r} is not a business table of the company database.")
    return table


def _json_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(item) for item in json.loads(value)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _in_lists(values: Sequence[Any]) -> Iterator[tuple[list[Any], str]]:
    """`values` in pieces of at most 500, each with its "?, ?, ..." for an IN list (SQLite
    takes at most 999 parameters a statement)."""
    for start in range(0, len(values), 500):
        piece = list(values[start : start + 500])
        yield piece, ", ".join("?" for _ in piece)
