# ruff: noqa: S608 -- every identifier in these statements comes from the models or the kit.
"""Both sides compared after the faults: row counts, a checksum of every row, duplicates.

The checksums are computed by each database in SQL over the same canonical text of a row (the
business columns in the kit's order, a parent as its company id, NULL text as '', numbers
without trailing zeros, times in UTC), so that a million rows compare without loading them
into Python."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from django.db import connection

from records.models import RECORD_MODELS, Record
from syncengine.companydb.schema import TABLES
from syncengine.models import SyncLink

RANGE = 50_000  # company ids compared per round trip


def _canonical(expression: str, kind: str) -> str:
    if kind in ("money", "quantity", "percent"):
        expression = f"trim_scale({expression})"
    elif kind == "timestamp":
        return (
            f"coalesce(to_char({expression} AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '')"
        )
    return f"coalesce(({expression})::text, '')"


def company_checksums_sql(table: str) -> str:
    model = RECORD_MODELS[table]
    kinds = TABLES[table].kinds()
    parts = [_canonical(column, kinds[column]) for column in model.COLUMNS]
    return (
        f"SELECT id, md5(concat_ws('|', {', '.join(parts)})) FROM {table} "
        "WHERE id > %s AND id <= %s"
    )


def online_checksums_sql(model: type[Record]) -> str:
    kinds = TABLES[model.TABLE].kinds()
    parts = []
    joins = []
    for column, name in model.COLUMNS.items():
        target = model._meta.get_field(name).column  # type: ignore[union-attr]
        if column in model.PARENTS:
            parent = RECORD_MODELS[model.PARENTS[column]]._meta.db_table
            joins.append(f"LEFT JOIN {parent} p_{column} ON p_{column}.id = r.{target}")
            parts.append(_canonical(f"p_{column}.source_id", "bigint"))
        else:
            parts.append(_canonical(f"r.{target}", kinds[column]))
    return (
        f"SELECT r.source_id, md5(concat_ws('|', {', '.join(parts)})) "
        f"FROM {model._meta.db_table} r {' '.join(joins)} "
        "WHERE r.company_id = %s AND r.source_id > %s AND r.source_id <= %s"
    )


@dataclass
class TableReport:
    table: str
    company_rows: int
    online_rows: int
    online_distinct: int
    online_only: int  # records that never reached the company database
    different: list[int] = field(default_factory=list)
    missing_online: list[int] = field(default_factory=list)
    missing_company: list[int] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return (
            self.company_rows == self.online_rows == self.online_distinct
            and not self.online_only
            and not (self.different or self.missing_online or self.missing_company)
        )

    def __str__(self) -> str:
        return (
            f"{self.table}: company {self.company_rows}, online {self.online_rows} "
            f"({self.online_distinct} distinct, {self.online_only} online only); "
            f"different {self.different[:5]}, missing online {self.missing_online[:5]}, "
            f"missing in the company database {self.missing_company[:5]}"
        )


def compare_sides(link: SyncLink, dsn: str) -> list[TableReport]:
    """One report per business table of the company database `dsn` against `link`'s company
    in the online store."""
    reports = []
    company_id = link.company_id
    with psycopg.connect(dsn, autocommit=True) as company, connection.cursor() as online:
        for table, model in RECORD_MODELS.items():
            count, high = company.execute(
                f"SELECT count(*), coalesce(max(id), 0) FROM {table}"
            ).fetchone()  # type: ignore[misc]
            online.execute(
                f"SELECT count(*), count(DISTINCT source_id), count(*) - count(source_id), "
                f"coalesce(max(source_id), 0) FROM {model._meta.db_table} WHERE company_id = %s",
                [company_id],
            )
            online_rows, distinct, online_only, online_high = online.fetchone()
            report = TableReport(table, count, online_rows, distinct, online_only)
            company_sql = company_checksums_sql(table)
            online_sql = online_checksums_sql(model)
            after = 0
            while after < max(high, online_high):
                up_to = after + RANGE
                theirs: dict[int, str] = dict(
                    company.execute(company_sql, [after, up_to]).fetchall()
                )
                online.execute(online_sql, [company_id, after, up_to])
                ours = dict(online.fetchall())
                report.missing_online += sorted(set(theirs) - set(ours))
                report.missing_company += sorted(set(ours) - set(theirs))
                report.different += sorted(
                    key for key in set(theirs) & set(ours) if theirs[key] != ours[key]
                )
                after = up_to
            reports.append(report)
    return reports


def assert_same_rows(link: SyncLink, dsn: str) -> int:
    """Equal row counts and per-row checksums on both sides for every table, and no duplicate;
    returns the number of rows compared."""
    assert_unique_per_company_id()
    reports = compare_sides(link, dsn)
    unequal = [str(report) for report in reports if not report.equal]
    assert not unequal, "\n".join(unequal)
    return sum(report.company_rows for report in reports)


def assert_unique_per_company_id() -> None:
    """Every record table has its unique constraint on (company, company id) in the database
    itself: a duplicate cannot hide from the count."""
    with connection.cursor() as cursor:
        for model in RECORD_MODELS.values():
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert any(
                c["unique"] and c["columns"] == ["company_id", "source_id"]
                for c in constraints.values()
            ), model._meta.db_table


def inserted_rows() -> int:
    """Rows ever inserted into the record tables, rolled back ones included: PostgreSQL counts
    an insert whether its transaction commits or not (and a killed worker's backend reports
    its counts when it ends). The difference over a run is the work done, re-done included."""
    tables = [model._meta.db_table for model in RECORD_MODELS.values()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [tables],
        )
        return int(cursor.fetchone()[0])
