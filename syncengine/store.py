"""The online side of the synchronisation: how company rows become records and back.

The engine reaches the online store only through `OnlineStore`, as it reaches the company
database only through the kit's connector (DESIGN.md "Where the company database is
reached"): a later host agent can put HTTPS calls to the portal behind this same surface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from licensing.models import Company
from records.models import RECORD_MODELS, Record, SyncState
from syncengine.companydb.connector import Row
from syncengine.companydb.schema import _TYPES, TABLES


def is_text(field: models.Field[Any, Any]) -> bool:
    return isinstance(field, models.CharField | models.TextField) and not field.null


def among(column: str, values: Iterable[int]) -> models.Q:
    """A filter: bigint `column` is one of `values` (a few thousand ids, say). PostgreSQL: one
    array parameter rather than a placeholder per value, which Django and psycopg would both
    take apart again for every query (a third of a pull batch's time once its rows went
    set-wise). The cast matters: psycopg sends small numbers as a smallint[], and PostgreSQL
    searches a bigint in that one element after another instead of by hash."""
    if connection.vendor == "postgresql":
        # A quoted column name; the values go as a parameter.
        condition = f"{connection.ops.quote_name(column)} = ANY(%s::bigint[])"
        array = RawSQL(condition, [list(values)], output_field=models.BooleanField())  # noqa: S611
        return models.Q(array)
    return models.Q(**{f"{column}__in": list(values)})


class OnlineStore:
    """The records of one company, in company terms (tables, columns, company ids)."""

    def __init__(self, company: Company) -> None:
        self.company = company

    def model(self, table: str) -> type[Record]:
        return RECORD_MODELS[table]

    def records(self, table: str) -> models.QuerySet[Record]:
        return self.model(table)._default_manager.filter(company=self.company)

    # -- ids -------------------------------------------------------------------------------

    def record_ids(self, table: str, source_ids: Iterable[int]) -> dict[int, int]:
        """Company id -> record id, for those present online."""
        wanted = {source_id for source_id in source_ids if source_id is not None}
        if not wanted:
            return {}
        found: dict[int, int] = {}
        ids = sorted(wanted)
        for start in range(0, len(ids), 500):
            pairs = self.records(table).filter(source_id__in=ids[start : start + 500])
            found.update(pairs.values_list("source_id", "pk"))  # type: ignore[arg-type]
        return found

    def source_ids(self, table: str, record_ids: Iterable[int]) -> dict[int, int | None]:
        """Record id -> company id (None while not pushed yet)."""
        wanted = [record_id for record_id in record_ids if record_id is not None]
        if not wanted:
            return {}
        return dict(self.records(table).filter(pk__in=wanted).values_list("pk", "source_id"))

    # -- values ----------------------------------------------------------------------------

    def to_online(
        self, table: str, row: Mapping[str, Any], parents: Mapping[str, dict[int, int]]
    ) -> dict[str, Any]:
        """A company row as field values by field name (parents as record ids).

        `parents` maps each parent column to {company id: record id}; a missing parent is
        a KeyError (the caller fetches it first)."""
        model = self.model(table)
        values: dict[str, Any] = {}
        for column, name in model.COLUMNS.items():
            value = row[column]
            if column in model.PARENTS:
                value = None if value is None else parents[column][value]
            elif value is None and is_text(model.field_for(column)):
                value = ""  # online, an empty text is the company's NULL
            values[name] = value
        return values

    def to_company(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Field values by field name (parents as record ids) as company column values.

        Raises `ParentNotPushed` when a parent record has no company id yet."""
        model = self.model(table)
        by_field = {name: column for column, name in model.COLUMNS.items()}
        definition = TABLES[table]
        result: dict[str, Any] = {}
        for name, value in values.items():
            column = by_field[name]
            if column in model.PARENTS and value is not None:
                parent_table = model.PARENTS[column]
                source = self.source_ids(parent_table, [value]).get(value)
                if source is None:
                    raise ParentNotPushed(parent_table, value)
                value = source
            elif value == "" and not definition.column(column).not_null:
                value = None
            result[column] = value
        return result

    # -- bulk copy (initial sync) ----------------------------------------------------------

    def insert_rows(
        self,
        table: str,
        rows: list[dict[str, Any]],
        *,
        parents: Mapping[str, dict[int, int]] | None = None,
        now: datetime | None = None,
    ) -> int:
        """Inserts company rows as new records, in batches: the initial sync's path on SQLite
        (or mixed dialects), and a pull's for rows new to the online store. `parents` (as
        for `to_online`) when the caller has looked them up already."""
        model = self.model(table)
        if parents is None:
            parents = self.parents_of(table, rows)
        now = now or timezone.now()
        objects = []
        for row in rows:
            values = self.to_online(table, row, parents)
            attrs = {model._attname(name): value for name, value in values.items()}
            objects.append(
                model(
                    company=self.company,
                    source_id=row["id"],
                    row_version=row["row_version"],
                    updated_at=now,
                    **attrs,
                )
            )
        model._default_manager.bulk_create(objects, batch_size=500)
        return len(objects)

    def update_records(self, table: str, records: list[Record]) -> None:
        """Writes the synchronised fields of `records` (changed in memory) and their company
        id, row_version, updated_at and sync state."""
        fields = self._written_fields(self.model(table))
        self.write(
            table,
            {
                record.pk: {field.name: getattr(record, field.attname) for field in fields}
                for record in records
            },
        )

    @staticmethod
    def _written_fields(model: type[Record]) -> list[models.Field[Any, Any]]:
        names = [*model.COLUMNS.values(), "source_id", "row_version", "updated_at"]
        fields = [model._meta.get_field(name) for name in [*names, "sync_state", "sync_message"]]
        return [field for field in fields if isinstance(field, models.Field)]

    def write(self, table: str, records: Mapping[int, Mapping[str, Any]]) -> None:
        """Sets, of each record (by id), the synchronised fields, source_id, row_version,
        updated_at, sync_state and sync_message to the Python values given by field name.
        PostgreSQL: one UPDATE joining an array per column; SQLite: one UPDATE per record, in
        one executemany. (Django's bulk_update builds a CASE per field and row: seconds of
        Python for a thousand records.)"""
        if not records:
            return
        model = self.model(table)
        fields = self._written_fields(model)
        ids = list(records)
        values = [[records[record_id][field.name] for field in fields] for record_id in ids]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The values are Python's own (str, bool, int, Decimal, date, aware datetime),
                # which psycopg sends as they are; each array's cast gives the column's type.
                columns = [quote(f.column) for f in fields]
                arrays = ", ".join(
                    f"%s::{f.db_type(connection)}[]" for f in [model._meta.pk, *fields]
                )
                cursor.execute(
                    f"UPDATE {model._meta.db_table} AS r SET "  # noqa: S608
                    + ", ".join(f"{c} = v.{c}" for c in columns)
                    + f" FROM unnest({arrays}) AS v(id, {', '.join(columns)}) WHERE r.id = v.id",
                    [ids, *([row[n] for row in values] for n in range(len(fields)))],
                )
            else:
                assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
                cursor.executemany(
                    f"UPDATE {model._meta.db_table} SET {assignments} WHERE id = %s",  # noqa: S608
                    [
                        [
                            *(
                                f.get_db_prep_save(v, connection)
                                for f, v in zip(fields, row, strict=True)
                            ),
                            record_id,
                        ]
                        for record_id, row in zip(ids, values, strict=True)
                    ],
                )

    def copy_binary(self, table: str, data: Iterable[bytes]) -> int:
        """PostgreSQL: streams a company table's binary COPY data into its records (`Staged`:
        one COPY into a temporary table, one INSERT … SELECT from it). Runs in the caller's
        transaction.

        Integrity: the records' foreign keys stay as Django made them (deferred), so PostgreSQL
        checks every row of the chunk at the chunk's commit, and a chunk that breaks one is
        not committed (nor its checkpoint). Chosen over switching the checks off and
        validating in bulk (`session_replication_role`, disabling triggers, NOT VALID +
        VALIDATE): those need superuser or owner rights and lock the shared table for every
        company. The cost is bounded by the chunk, is paid by the benchmark's ceiling table as
        well (it has the same foreign keys), and measured about a third of a chunk's time at
        100,000 contacts. Parents are copied before children, so every join finds its parent
        (a child pointed at a newer parent during the copy gets it from the replay)."""
        return Staged(self, table, data).insert(None, now=timezone.now())

    def analyze(self) -> None:
        """PostgreSQL: fresh planner statistics of the records tables, after a bulk copy.
        (PostgreSQL skips, with a warning rather than an error, a table the user may not
        analyze.)"""
        if connection.vendor == "postgresql":
            tables = ", ".join(model._meta.db_table for model in RECORD_MODELS.values())
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {tables}")

    def parents_of(
        self, table: str, rows: Iterable[Mapping[str, Any]]
    ) -> dict[str, dict[int, int]]:
        """{parent column: {company id: record id}} for the parents of `rows` found online."""
        rows = list(rows)
        return {
            column: self.record_ids(parent, [row[column] for row in rows])
            for column, parent in self.model(table).PARENTS.items()
        }


class CompanyRows(ABC):
    """One table's company rows of a pull batch, and the writes that bring records level
    with them: `Fetched` holds them in memory (any dialects), `Staged` in a temporary table
    of the online transaction (PostgreSQL on both sides), where a thousand rows cost a few
    statements and no Python per row."""

    def __init__(self, store: OnlineStore, table: str) -> None:
        self.store = store
        self.table = table
        self.model = store.model(table)

    @abstractmethod
    def versions(self) -> dict[int, int]:
        """Company id -> row_version of every row present (a row the batch's changes name
        that is missing was deleted)."""

    @abstractmethod
    def missing_parents(self, column: str) -> set[int]:
        """The company ids in parent column `column` that have no record online."""

    @abstractmethod
    def rows(self, ids: Collection[int]) -> dict[int, Row]:
        """These rows as dicts by company column, values as the connector gives them."""

    @abstractmethod
    def insert(self, ids: Collection[int] | None, *, now: datetime) -> int:
        """Inserts rows `ids` (all with None) as new records; their number. Their parents
        are online."""

    @abstractmethod
    def update(self, targets: Mapping[int, int], *, now: datetime) -> None:
        """Writes rows over records, `targets` mapping company id -> record id: every
        synchronised field, row_version, updated_at = `now`, and the synced state. Their
        parents are online."""


class Fetched(CompanyRows):
    """Rows read by `Connector.fetch_rows`, by company id."""

    def __init__(self, store: OnlineStore, table: str, rows: Mapping[int, Row]) -> None:
        super().__init__(store, table)
        self._rows = rows

    def versions(self) -> dict[int, int]:
        return {source_id: int(row["row_version"]) for source_id, row in self._rows.items()}

    def missing_parents(self, column: str) -> set[int]:
        wanted = {row[column] for row in self._rows.values() if row[column] is not None}
        return wanted - set(self.store.record_ids(self.model.PARENTS[column], wanted))

    def rows(self, ids: Collection[int]) -> dict[int, Row]:
        return {source_id: self._rows[source_id] for source_id in ids}

    def insert(self, ids: Collection[int] | None, *, now: datetime) -> int:
        chosen = self._rows.values() if ids is None else [self._rows[i] for i in ids]
        return self.store.insert_rows(self.table, list(chosen), now=now)

    def update(self, targets: Mapping[int, int], *, now: datetime) -> None:
        parents = self.store.parents_of(self.table, [self._rows[i] for i in targets])
        self.store.write(
            self.table,
            {
                record_id: {
                    **self.store.to_online(self.table, self._rows[source_id], parents),
                    "source_id": source_id,
                    "row_version": self._rows[source_id]["row_version"],
                    "updated_at": now,
                    "sync_state": SyncState.SYNCED,
                    "sync_message": "",
                }
                for source_id, record_id in targets.items()
            },
        )


class Staged(CompanyRows):
    """PostgreSQL on both sides: binary COPY data of company rows (`copy_out`, `copy_rows`)
    went into a temporary table of the company's own column types, which the writes join,
    turning parent company ids into record ids on the way.

    The table lives in the caller's transaction (emptied at its commit), so a table is
    staged at most once per transaction."""

    def __init__(self, store: OnlineStore, table: str, data: Iterable[bytes]) -> None:
        super().__init__(store, table)
        definition = TABLES[table]
        kinds = definition.kinds()
        self.staging = f"sync_in_{table}"
        self.columns = definition.column_names
        columns = ", ".join(f"{name} {_TYPES[kinds[name]][1]}" for name in self.columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {self.staging} ({columns}) ON COMMIT DELETE ROWS"
            )
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {self.staging} FROM STDIN (FORMAT BINARY)") as copy:
                for piece in data:
                    copy.write(piece)
        self._versions: dict[int, int] | None = None

    def _query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, {"company": self.store.company.pk, **(params or {})})
            return cursor.fetchall()

    def versions(self) -> dict[int, int]:
        if self._versions is None:
            found = self._query(f"SELECT id, row_version FROM {self.staging}")  # noqa: S608
            self._versions = {int(source_id): int(version) for source_id, version in found}
        return self._versions

    def missing_parents(self, column: str) -> set[int]:
        parent = self.store.model(self.model.PARENTS[column])._meta.db_table
        found = self._query(
            f"SELECT DISTINCT s.{column} FROM {self.staging} s "  # noqa: S608
            f"WHERE s.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {parent} p "
            f"WHERE p.company_id = %(company)s AND p.source_id = s.{column})"
        )
        return {int(source_id) for (source_id,) in found}

    def rows(self, ids: Collection[int]) -> dict[int, Row]:
        found = self._query(
            f"SELECT {', '.join(self.columns)} FROM {self.staging} "  # noqa: S608
            "WHERE id = ANY(%(ids)s::bigint[])",
            {"ids": list(ids)},
        )
        return {int(row[0]): dict(zip(self.columns, row, strict=True)) for row in found}

    def _values(self) -> tuple[list[str], list[str], str, str]:
        """(record columns, the staged values that go in them, the joins of their parents,
        a condition that every parent a row names was found)."""
        targets, select, joins, found = [], [], [], ["true"]
        for column, name in self.model.COLUMNS.items():
            field = self.model.field_for(column)
            targets.append(str(self.model._meta.get_field(name).column))  # type: ignore[union-attr]
            if column in self.model.PARENTS:
                parent = self.store.model(self.model.PARENTS[column])._meta.db_table
                alias = f"p_{column}"
                joins.append(
                    f"LEFT JOIN {parent} {alias} ON {alias}.company_id = %(company)s "
                    f"AND {alias}.source_id = s.{column}"
                )
                select.append(f"{alias}.id")
                found.append(f"(s.{column} IS NULL OR {alias}.id IS NOT NULL)")
            elif is_text(field):
                select.append(f"coalesce(s.{column}, '')")
            else:
                select.append(f"s.{column}")
        return targets, select, " ".join(joins), " AND ".join(found)

    def insert(self, ids: Collection[int] | None, *, now: datetime) -> int:
        targets, select, joins, found = self._values()
        statement = (
            f"INSERT INTO {self.model._meta.db_table} (company_id, source_id, row_version, "  # noqa: S608
            f"updated_at, sync_state, sync_message, {', '.join(targets)}) "
            f"SELECT %(company)s, s.id, s.row_version, %(now)s, %(synced)s, '', "
            f"{', '.join(select)} FROM {self.staging} s {joins}"
        )
        params: dict[str, Any] = {"now": now, "synced": SyncState.SYNCED.value}
        if ids is not None:
            statement += f" WHERE s.id = ANY(%(ids)s::bigint[]) AND {found}"
            params["ids"] = list(ids)
        with connection.cursor() as cursor:
            cursor.execute(statement, {"company": self.store.company.pk, **params})
            inserted = int(cursor.rowcount)
        if ids is not None and inserted != len(ids):
            raise MissingParent(self.table)
        return inserted

    def update(self, targets: Mapping[int, int], *, now: datetime) -> None:
        if not targets:
            return
        columns, select, joins, found = self._values()
        assignments = [f"{c} = {v}" for c, v in zip(columns, select, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self.model._meta.db_table} AS r SET "  # noqa: S608
                + ", ".join(assignments)
                + ", row_version = s.row_version, updated_at = %(now)s, "
                "sync_state = %(synced)s, sync_message = '' "
                f"FROM {self.staging} s {joins} "
                "WHERE r.id = ANY(%(ids)s::bigint[]) AND r.company_id = %(company)s "
                f"AND s.id = r.source_id AND {found}",
                {
                    "company": self.store.company.pk,
                    "ids": list(targets.values()),
                    "now": now,
                    "synced": SyncState.SYNCED.value,
                },
            )
            updated = int(cursor.rowcount)
        if updated != len(targets):
            raise MissingParent(self.table)


class MissingParent(Exception):
    """A company row names a parent that is not online: its batch must not be applied."""

    def __init__(self, table: str) -> None:
        super().__init__(f"A row of {table} refers to a parent the online store does not hold.")


class ParentNotPushed(Exception):
    """A record refers to a parent made online that is not in the company database yet."""

    def __init__(self, table: str, record_id: int) -> None:
        super().__init__(f"{table} record {record_id} is not in the company database yet.")
        self.table = table
        self.record_id = record_id
