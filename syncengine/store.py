"""The online side of the synchronisation: how company rows become records and back.

The engine reaches the online store only through `OnlineStore`, as it reaches the company
database only through the kit's connector (DESIGN.md "Where the company database is
reached"): a later host agent can put HTTPS calls to the portal behind this same surface.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, models
from django.utils import timezone

from licensing.models import Company
from records.models import RECORD_MODELS, Record
from syncengine.companydb.schema import _TYPES, TABLES


def is_text(field: models.Field[Any, Any]) -> bool:
    return isinstance(field, models.CharField | models.TextField) and not field.null


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
    ) -> int:
        """Inserts company rows as new records, in batches: the initial sync's path on SQLite
        (or mixed dialects), and a pull's for rows new to the online store. `parents` (as
        for `to_online`) when the caller has looked them up already."""
        model = self.model(table)
        if parents is None:
            parents = {
                column: self.record_ids(parent, [row[column] for row in rows])
                for column, parent in model.PARENTS.items()
            }
        now = timezone.now()
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
        id, row_version, updated_at and sync state. PostgreSQL: one UPDATE joining an array
        per column; SQLite: one UPDATE per record, in one executemany. (Django's bulk_update
        builds a CASE per field and row: seconds of Python for a thousand records.)"""
        if not records:
            return
        model = self.model(table)
        names = [*model.COLUMNS.values(), "source_id", "row_version", "updated_at"]
        fields = [model._meta.get_field(name) for name in [*names, "sync_state", "sync_message"]]
        concrete = [field for field in fields if isinstance(field, models.Field)]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The values are Python's own (str, bool, int, Decimal, date, aware datetime),
                # which psycopg sends as they are; each array's cast gives the column's type.
                values = [[getattr(record, f.attname) for f in concrete] for record in records]
                columns = [quote(f.column) for f in concrete]
                arrays = ", ".join(
                    f"%s::{f.db_type(connection)}[]" for f in [model._meta.pk, *concrete]
                )
                cursor.execute(
                    f"UPDATE {model._meta.db_table} AS r SET "  # noqa: S608
                    + ", ".join(f"{c} = v.{c}" for c in columns)
                    + f" FROM unnest({arrays}) AS v(id, {', '.join(columns)}) WHERE r.id = v.id",
                    [[record.pk for record in records]]
                    + [[row[n] for row in values] for n in range(len(concrete))],
                )
            else:
                values = [
                    [f.get_db_prep_save(getattr(record, f.attname), connection) for f in concrete]
                    for record in records
                ]
                assignments = ", ".join(f"{quote(f.column)} = %s" for f in concrete)
                cursor.executemany(
                    f"UPDATE {model._meta.db_table} SET {assignments} WHERE id = %s",  # noqa: S608
                    [[*row, record.pk] for row, record in zip(values, records, strict=True)],
                )

    def copy_binary(self, table: str, data: Iterable[bytes]) -> int:
        """PostgreSQL: streams a company table's binary COPY data into its records.

        The data goes by COPY into a temporary table of the company's own column types, then
        one INSERT … SELECT gives each row its company and turns parent company ids into
        record ids by a join. Runs in the caller's transaction.

        Integrity: the records' foreign keys stay as Django made them (deferred), so PostgreSQL
        checks every row of the chunk at the chunk's commit, and a chunk that breaks one is
        not committed (nor its checkpoint). Chosen over switching the checks off and
        validating in bulk (`session_replication_role`, disabling triggers, NOT VALID +
        VALIDATE): those need superuser or owner rights and lock the shared table for every
        company. The cost is bounded by the chunk, is paid by the benchmark's ceiling table as
        well (it has the same foreign keys), and measured about a third of a chunk's time at
        100,000 contacts. Parents are copied before children, so every join finds its parent
        (a child pointed at a newer parent during the copy gets it from the replay)."""
        model = self.model(table)
        definition = TABLES[table]
        kinds = definition.kinds()
        staging = f"sync_in_{table}"
        columns = ", ".join(f"{name} {_TYPES[kinds[name]][1]}" for name in definition.column_names)
        select = []
        joins = []
        for column in model.COLUMNS:
            field = model.field_for(column)
            if column in model.PARENTS:
                parent = self.model(model.PARENTS[column])._meta.db_table
                alias = f"p_{column}"
                joins.append(
                    f"LEFT JOIN {parent} {alias} ON {alias}.company_id = %(company)s "
                    f"AND {alias}.source_id = s.{column}"
                )
                select.append(f"{alias}.id")
            elif is_text(field):
                select.append(f"coalesce(s.{column}, '')")
            else:
                select.append(f"s.{column}")
        targets = [str(model._meta.get_field(name).column) for name in model.COLUMNS.values()]  # type: ignore[union-attr]
        insert = (
            f"INSERT INTO {model._meta.db_table} (company_id, source_id, row_version, "  # noqa: S608
            f"updated_at, sync_state, sync_message, {', '.join(targets)}) "
            f"SELECT %(company)s, s.id, s.row_version, now(), 'synced', '', {', '.join(select)} "
            f"FROM {staging} s {' '.join(joins)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {staging} ({columns}) ON COMMIT DELETE ROWS"
            )
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {staging} FROM STDIN (FORMAT BINARY)") as copy:
                for piece in data:
                    copy.write(piece)
            cursor.execute(insert, {"company": self.company.pk})
            return int(cursor.rowcount)


class ParentNotPushed(Exception):
    """A record refers to a parent made online that is not in the company database yet."""

    def __init__(self, table: str, record_id: int) -> None:
        super().__init__(f"{table} record {record_id} is not in the company database yet.")
        self.table = table
        self.record_id = record_id
