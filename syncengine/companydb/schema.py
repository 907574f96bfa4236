# ruff: noqa: S608 -- every identifier in these statements is a constant of this module.
"""The company database's tables, for SQLite and PostgreSQL, rendered from one description.

The table and column names are the contract of DESIGN.md ("The company database"); columns may
be added, never renamed. A database is built in three steps so that bulk loading is fast and
leaves no trace in change_log: `table_statements()` (tables, primary keys, unique keys), the
data, then `finishing_statements()` (foreign keys on PostgreSQL, indexes, the change-log
triggers). A database built without data goes through the same three steps.

Conventions both dialects share, so the connector returns the same Python values:
- money is NUMERIC(12,2) (SQLite keeps such values exactly as long as they have fewer than 15
  significant digits; the connector hands out `Decimal` either way);
- times are UTC: `timestamptz` on PostgreSQL, 'YYYY-MM-DD HH:MM:SS.ffffff' text on SQLite;
- booleans are `boolean` on PostgreSQL, 0/1 on SQLite;
- `change_log.changed_columns` is a JSON array of column names, in table order (`jsonb` on
  PostgreSQL, JSON text on SQLite): every column for 'I', the columns whose value changed for
  'U' (row_version never counts), `[]` for 'D'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]

SCHEMA_VERSION = 1
"""The schema_version the kit creates."""

MINIMUM_SCHEMA_VERSION = 1
"""The oldest schema_version the connector accepts."""

NOTIFY_CHANNEL = "companydb_changes"
"""PostgreSQL channel notified (payload: the table name) by every statement writing a business
table; deduplicated by PostgreSQL within a transaction."""

ORIGIN_SETTING = "companydb.origin"
"""PostgreSQL transaction-local setting that marks the sync engine's writes."""

ORIGIN_MARKER_TABLE = "sync_origin"
"""SQLite table in which the sync engine keeps one row for the length of its transaction."""

_TYPES: dict[str, tuple[str, str]] = {
    # kind: (SQLite, PostgreSQL)
    "int": ("INTEGER", "integer"),
    "bigint": ("INTEGER", "bigint"),
    "text": ("TEXT", "text"),
    "bool": ("BOOLEAN", "boolean"),
    "money": ("NUMERIC(12,2)", "numeric(12,2)"),
    "quantity": ("NUMERIC(12,3)", "numeric(12,3)"),
    "percent": ("NUMERIC(5,2)", "numeric(5,2)"),
    "date": ("DATE", "date"),
    "timestamp": ("TIMESTAMP", "timestamptz"),
    "uuid": ("TEXT", "uuid"),
}

DECIMAL_KINDS = frozenset({"money", "quantity", "percent"})


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    not_null: bool = False
    default: object = None
    check: str | None = None
    references: str | None = None
    unique: bool = False

    def ddl(self, dialect: Dialect, *, inline_references: bool) -> str:
        sqlite_type, pg_type = _TYPES[self.kind]
        parts = [self.name, sqlite_type if dialect == "sqlite" else pg_type]
        if self.not_null:
            parts.append("NOT NULL")
        if self.unique:
            parts.append("UNIQUE")
        if self.default is not None:
            parts.append(f"DEFAULT {_literal(self.default, dialect)}")
        if self.check:
            parts.append(f"CHECK ({self.check})")
        if self.references and inline_references:
            parts.append(f"REFERENCES {self.references} (id)")
        return " ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    business: bool = False
    has_id: bool = True
    extra_ddl: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        """Every column, in table order, `id` and `row_version` included when present."""
        names = ["id"] if self.has_id else []
        names += [column.name for column in self.columns]
        if self.business:
            names.append("row_version")
        return tuple(names)

    @property
    def data_columns(self) -> tuple[str, ...]:
        """The columns a write may set: all but `id` and `row_version`."""
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def kinds(self) -> dict[str, str]:
        kinds = {column.name: column.kind for column in self.columns}
        if self.has_id:
            kinds["id"] = "bigint"
        if self.business:
            kinds["row_version"] = "bigint"
        return kinds


def _literal(value: object, dialect: Dialect) -> str:
    if isinstance(value, bool):
        if dialect == "sqlite":
            return "1" if value else "0"
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _c(name: str, kind: str = "text", **options: object) -> Column:
    return Column(name, kind, **options)  # type: ignore[arg-type]


TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "company_settings",
            (
                _c("name", not_null=True),
                _c("org_number"),
                _c("vat_number"),
                _c("street"),
                _c("postcode"),
                _c("city"),
                _c("country", not_null=True, default="NL"),
                _c("phone"),
                _c("email"),
                _c("website"),
                _c("licence_contact_name"),
                _c("licence_contact_phone"),
                _c(
                    "database_kind",
                    not_null=True,
                    default="production",
                    check="database_kind IN ('production', 'sample')",
                ),
                _c(
                    "edition",
                    not_null=True,
                    default="full",
                    check="edition IN ('full', 'evaluation')",
                ),
                _c("database_id", "uuid", not_null=True),
                _c("schema_version", "int", not_null=True),
                _c("created_at", "timestamp", not_null=True),
            ),
            extra_ddl=("CHECK (id = 1)",),
        ),
        Table(
            "employees",
            (
                _c("first_name"),
                _c("last_name", not_null=True),
                _c("email"),
                _c("phone"),
                _c("is_active", "bool", not_null=True, default=True),
            ),
        ),
        Table(
            "users",
            (
                _c("username", not_null=True, unique=True),
                _c("employee_id", "bigint", references="employees"),
                _c("is_super_user", "bool", not_null=True, default=False),
            ),
        ),
        Table(
            "desktop_sessions",
            (
                _c("user_id", "bigint", not_null=True, references="users"),
                _c("host", not_null=True),
                _c("started_at", "timestamp", not_null=True),
                _c("last_seen_at", "timestamp", not_null=True),
            ),
        ),
        Table(
            "api_clients",
            (_c("name", not_null=True), _c("is_enabled", "bool", not_null=True, default=True)),
        ),
        Table(
            "contacts",
            (
                _c("name", not_null=True, check="name <> ''"),
                _c("org_number"),
                _c("is_customer", "bool", not_null=True, default=True),
                _c("is_supplier", "bool", not_null=True, default=False),
                _c("street"),
                _c("postcode"),
                _c("city"),
                _c("country", not_null=True, default="NL"),
                _c("phone"),
                _c("email"),
                _c("website"),
                _c("notes"),
            ),
            business=True,
        ),
        Table(
            "contact_persons",
            (
                _c("contact_id", "bigint", not_null=True, references="contacts"),
                _c("first_name"),
                _c("last_name", not_null=True),
                _c("email"),
                _c("phone"),
                _c("position"),
            ),
            business=True,
        ),
        Table(
            "products",
            (
                _c("sku", not_null=True, unique=True),
                _c("name", not_null=True),
                _c("unit", not_null=True, default="stuk"),
                _c("price", "money", not_null=True, default=0),
                _c("vat_rate", "percent", not_null=True, default=21, check="vat_rate >= 0"),
                _c("stock", "quantity", not_null=True, default=0),
                _c("is_active", "bool", not_null=True, default=True),
            ),
            business=True,
        ),
        Table(
            "orders",
            (
                _c("number", not_null=True, unique=True),
                _c("contact_id", "bigint", not_null=True, references="contacts"),
                _c(
                    "status",
                    not_null=True,
                    default="quote",
                    check="status IN ('quote', 'order', 'invoiced', 'cancelled')",
                ),
                _c("order_date", "date", not_null=True),
                _c("delivery_date", "date"),
                _c("currency", not_null=True, default="EUR"),
                _c("notes"),
            ),
            business=True,
        ),
        Table(
            "order_lines",
            (
                _c("order_id", "bigint", not_null=True, references="orders"),
                _c("product_id", "bigint", references="products"),
                _c("description", not_null=True),
                _c("quantity", "quantity", not_null=True, default=1),
                _c("unit_price", "money", not_null=True),
                _c(
                    "discount_pct",
                    "percent",
                    not_null=True,
                    default=0,
                    check="discount_pct >= 0 AND discount_pct <= 100",
                ),
            ),
            business=True,
        ),
        Table(
            "activities",
            (
                _c("subject", not_null=True),
                _c(
                    "kind",
                    not_null=True,
                    check="kind IN ('call', 'meeting', 'task', 'email')",
                ),
                _c("starts_at", "timestamp", not_null=True),
                _c("ends_at", "timestamp"),
                _c("done", "bool", not_null=True, default=False),
                _c("contact_id", "bigint", references="contacts"),
                _c("employee_id", "bigint", references="employees"),
                _c("notes"),
            ),
            business=True,
        ),
        Table(
            "timesheet_lines",
            (
                _c("employee_id", "bigint", not_null=True, references="employees"),
                _c("work_date", "date", not_null=True),
                _c("hours", "percent", not_null=True, check="hours > 0 AND hours <= 24"),
                _c("description"),
                _c("contact_id", "bigint", references="contacts"),
            ),
            business=True,
        ),
        Table(
            "invoices",
            (
                _c("number", not_null=True, unique=True),
                _c("contact_id", "bigint", not_null=True, references="contacts"),
                _c("invoice_date", "date", not_null=True),
                _c("due_date", "date", not_null=True),
                _c("total", "money", not_null=True),
                _c("paid", "bool", not_null=True, default=False),
            ),
            business=True,
        ),
        Table(
            "change_log",
            (
                _c("table_name", not_null=True),
                _c("row_id", "bigint", not_null=True),
                _c("op", not_null=True, check="op IN ('I', 'U', 'D')"),
                _c("changed_columns", not_null=True),  # rendered per dialect below
                _c("origin", not_null=True, check="origin IN ('desktop', 'sync')"),
                _c("changed_at", "timestamp", not_null=True),
            ),
            has_id=False,
        ),
        Table(
            "sync_lock",
            (
                _c("owner", not_null=True),
                _c("mode", not_null=True, check="mode <> ''"),
                _c("locked_at", "timestamp", not_null=True),
            ),
            extra_ddl=("CHECK (id = 1)",),
        ),
        Table(
            "sync_applied",
            (
                _c("change_id", "uuid", not_null=True),
                _c("table_name", not_null=True),
                _c("row_id", "bigint", not_null=True),
                _c("applied_at", "timestamp", not_null=True),
            ),
            has_id=False,
        ),
        Table(ORIGIN_MARKER_TABLE, (_c("marker", "int", not_null=True),), has_id=False),
    )
}

BUSINESS_TABLES: tuple[str, ...] = tuple(name for name, table in TABLES.items() if table.business)
"""Business tables in dependency order (a table only references tables before it)."""

_SINGLE_ROW_TABLES = {"company_settings", "sync_lock"}

_INDEXES = (
    ("contact_persons", "contact_id"),
    ("orders", "contact_id"),
    ("order_lines", "order_id"),
    ("order_lines", "product_id"),
    ("activities", "contact_id"),
    ("activities", "employee_id"),
    ("timesheet_lines", "employee_id"),
    ("timesheet_lines", "contact_id"),
    ("invoices", "contact_id"),
    ("users", "employee_id"),
    ("desktop_sessions", "user_id"),
)


def _id_column(table: Table, dialect: Dialect) -> str:
    if table.name in _SINGLE_ROW_TABLES:
        return "id INTEGER PRIMARY KEY" if dialect == "sqlite" else "id integer PRIMARY KEY"
    if dialect == "sqlite":
        # AUTOINCREMENT: an id is never handed out twice, even after the newest row is deleted,
        # so a change_log row_id or a sync_applied row_id can never point at a stranger.
        return "id INTEGER PRIMARY KEY AUTOINCREMENT"
    return "id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"


def table_statements(dialect: Dialect) -> list[str]:
    """CREATE statements for every table (and the change-log sequence on PostgreSQL)."""
    statements: list[str] = []
    if dialect == "postgresql":
        # CACHE 1: with a per-session cache, last_value would run ahead of values other
        # sessions still hold, and the high-water mark (DESIGN.md invariant 2) would be wrong.
        statements.append("CREATE SEQUENCE change_log_seq AS bigint CACHE 1 NO CYCLE")
    for table in TABLES.values():
        lines: list[str] = []
        if table.name == "change_log":
            if dialect == "sqlite":
                lines.append("seq INTEGER PRIMARY KEY AUTOINCREMENT")
            else:
                lines.append("seq bigint PRIMARY KEY DEFAULT nextval('change_log_seq')")
        elif table.name == "sync_applied":
            pass
        elif table.has_id:
            lines.append(_id_column(table, dialect))
        for column in table.columns:
            if table.name == "change_log" and column.name == "changed_columns":
                lines.append(
                    "changed_columns TEXT NOT NULL"
                    if dialect == "sqlite"
                    else "changed_columns jsonb NOT NULL"
                )
                continue
            definition = column.ddl(dialect, inline_references=dialect == "sqlite")
            if column.name == "change_id" or column.name == "marker":
                definition += " PRIMARY KEY"
            lines.append(definition)
        if table.business:
            lines.append(
                "row_version INTEGER NOT NULL DEFAULT 1"
                if dialect == "sqlite"
                else "row_version bigint NOT NULL DEFAULT 1"
            )
        lines.extend(table.extra_ddl)
        body = ",\n    ".join(lines)
        statements.append(f"CREATE TABLE {table.name} (\n    {body}\n)")
    if dialect == "postgresql":
        statements.append("ALTER SEQUENCE change_log_seq OWNED BY change_log.seq")
    return statements


def finishing_statements(dialect: Dialect) -> list[str]:
    """Foreign keys (PostgreSQL), indexes and the change-log triggers, run after the data."""
    statements: list[str] = []
    if dialect == "postgresql":
        for table in TABLES.values():
            for column in table.columns:
                if column.references:
                    statements.append(
                        f"ALTER TABLE {table.name} ADD CONSTRAINT {table.name}_{column.name}_fkey "
                        f"FOREIGN KEY ({column.name}) REFERENCES {column.references} (id)"
                    )
    for table_name, column_name in _INDEXES:
        statements.append(
            f"CREATE INDEX {table_name}_{column_name}_idx ON {table_name} ({column_name})"
        )
    if dialect == "sqlite":
        statements.extend(_sqlite_triggers())
    else:
        statements.extend(_postgresql_triggers())
    return statements


def _sqlite_origin() -> str:
    return f"CASE WHEN EXISTS (SELECT 1 FROM {ORIGIN_MARKER_TABLE}) THEN 'sync' ELSE 'desktop' END"


_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _sqlite_triggers() -> list[str]:
    statements = []
    origin = _sqlite_origin()
    for name in BUSINESS_TABLES:
        table = TABLES[name]
        columns = table.data_columns
        all_columns = "[" + ",".join(f'"{column}"' for column in columns) + "]"
        insert_log = (
            "INSERT INTO change_log (table_name, row_id, op, changed_columns, origin, changed_at) "
        )
        statements.append(
            f"CREATE TRIGGER {name}_log_insert AFTER INSERT ON {name}\nBEGIN\n"
            f"  {insert_log}VALUES ('{name}', NEW.id, 'I', '{all_columns}', {origin}, "
            f"{_SQLITE_NOW});\nEND"
        )
        changed = " || ".join(
            f"CASE WHEN OLD.{column} IS NOT NEW.{column} THEN '\"{column}\",' ELSE '' END"
            for column in columns
        )
        # UPDATE OF <data columns>: the trigger's own row_version bump sets no data column, so
        # it never fires the trigger again, whatever PRAGMA recursive_triggers says.
        statements.append(
            f"CREATE TRIGGER {name}_log_update AFTER UPDATE OF {', '.join(columns)} ON {name}\n"
            f"BEGIN\n"
            f"  UPDATE {name} SET row_version = OLD.row_version + 1 WHERE id = NEW.id;\n"
            f"  {insert_log}VALUES ('{name}', NEW.id, 'U', "
            f"'[' || rtrim({changed}, ',') || ']', {origin}, {_SQLITE_NOW});\nEND"
        )
        statements.append(
            f"CREATE TRIGGER {name}_log_delete AFTER DELETE ON {name}\nBEGIN\n"
            f"  {insert_log}VALUES ('{name}', OLD.id, 'D', '[]', {origin}, {_SQLITE_NOW});\nEND"
        )
    return statements


_PG_FUNCTIONS = (
    """
CREATE FUNCTION companydb_bump_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.row_version := OLD.row_version + 1;
    RETURN NEW;
END
$$""",
    """
CREATE FUNCTION companydb_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
-- TG_ARGV: the table's data columns, in table order.
DECLARE
    new_row jsonb;
    old_row jsonb;
    columns jsonb;
    row_id bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        columns := to_jsonb(TG_ARGV);
        row_id := NEW.id;
    ELSIF TG_OP = 'UPDATE' THEN
        new_row := to_jsonb(NEW);
        old_row := to_jsonb(OLD);
        SELECT coalesce(jsonb_agg(name ORDER BY position), '[]'::jsonb) INTO columns
        FROM unnest(TG_ARGV) WITH ORDINALITY AS arg(name, position)
        WHERE new_row -> name IS DISTINCT FROM old_row -> name;
        row_id := NEW.id;
    ELSE
        columns := '[]'::jsonb;
        row_id := OLD.id;
    END IF;
    INSERT INTO change_log (table_name, row_id, op, changed_columns, origin, changed_at)
    VALUES (
        TG_TABLE_NAME,
        row_id,
        left(TG_OP, 1),
        columns,
        CASE WHEN current_setting('companydb.origin', true) = 'sync'
             THEN 'sync' ELSE 'desktop' END,
        clock_timestamp()
    );
    RETURN NULL;
END
$$""",
    f"""
CREATE FUNCTION companydb_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Same channel and payload within a transaction are delivered once.
    PERFORM pg_notify('{NOTIFY_CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END
$$""",
)


def _postgresql_triggers() -> list[str]:
    statements = [function.strip() for function in _PG_FUNCTIONS]
    for name in BUSINESS_TABLES:
        arguments = ", ".join(f"'{column}'" for column in TABLES[name].data_columns)
        statements += [
            f"CREATE TRIGGER {name}_bump_row_version BEFORE UPDATE ON {name} "
            f"FOR EACH ROW EXECUTE FUNCTION companydb_bump_row_version()",
            f"CREATE TRIGGER {name}_log_change AFTER INSERT OR UPDATE OR DELETE ON {name} "
            f"FOR EACH ROW EXECUTE FUNCTION companydb_log_change({arguments})",
            f"CREATE TRIGGER {name}_notify AFTER INSERT OR UPDATE OR DELETE ON {name} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION companydb_notify()",
        ]
    return statements


def drop_statements(dialect: Dialect) -> list[str]:
    """Statements that remove every kit table (and function) from a database, for --replace."""
    statements = [f"DROP TABLE IF EXISTS {name}" for name in reversed(TABLES)]
    if dialect == "postgresql":
        statements = [statement + " CASCADE" for statement in statements]
        statements += [
            "DROP SEQUENCE IF EXISTS change_log_seq",
            "DROP FUNCTION IF EXISTS companydb_bump_row_version()",
            "DROP FUNCTION IF EXISTS companydb_log_change()",
            "DROP FUNCTION IF EXISTS companydb_notify()",
        ]
    return statements
