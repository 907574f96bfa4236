"""Creates a company database full of realistic Dutch small-business data.

Names, streets, places and companies come from pools built once per run with Faker nl_NL
(a Faker call per row would be far too slow); every row is then drawn from those pools with one
`random.Random(seed)`, so the same seed (and the same `as_of` date, which the dates are relative
to) gives the same rows. Only `database_id` (a fresh uuid4), `created_at` and the desktop
sessions (which are relative to the moment of creation, so that some are active) differ.

Size: `contacts` = N scales every other table. On average, per contact: 1.5 contact persons,
1 order with 3 order lines (two in five orders invoiced, each with one invoice), 2 activities and
1 time-sheet line: about 10 N rows in all. Products: max(10, N / 20). Employees:
3 + N / 2000, at most 60. Desktop users: one desktop super user (the owner, an employee with an
e-mail) and up to 3 ordinary users; 3 API clients, one of them disabled.

Streaming: rows go out in batches (COPY on PostgreSQL, executemany on SQLite) in dependency
order, so memory stays bounded whatever N is. The data goes in before the change-log triggers
exist, so change_log starts empty and seq starts at 1.
"""

from __future__ import annotations

import random
import re
import sqlite3
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from syncengine.companydb.connector import SQLiteConnector, pg_connect_error
from syncengine.companydb.dsn import ParsedDsn, parse_dsn
from syncengine.companydb.errors import CompanyDatabaseError
from syncengine.companydb.schema import (
    SCHEMA_VERSION,
    TABLES,
    drop_statements,
    finishing_statements,
    table_statements,
)


class CompanyDatabaseExists(CompanyDatabaseError):
    """`create` found a company database (or other data) where it was asked to create one."""


# The columns the generator writes, per table, in this order.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "company_settings": ("id", *TABLES["company_settings"].data_columns),
    "employees": ("id", "first_name", "last_name", "email", "phone", "is_active"),
    "users": ("id", "username", "employee_id", "is_super_user"),
    "desktop_sessions": ("id", "user_id", "host", "started_at", "last_seen_at"),
    "api_clients": ("id", "name", "is_enabled"),
    "contacts": ("id", *TABLES["contacts"].data_columns),
    "contact_persons": ("id", *TABLES["contact_persons"].data_columns),
    "products": ("id", *TABLES["products"].data_columns),
    "orders": ("id", *TABLES["orders"].data_columns),
    "order_lines": ("id", *TABLES["order_lines"].data_columns),
    "activities": ("id", *TABLES["activities"].data_columns),
    "timesheet_lines": ("id", *TABLES["timesheet_lines"].data_columns),
    "invoices": ("id", *TABLES["invoices"].data_columns),
}
_LOAD_ORDER = tuple(_COLUMNS)

_PRODUCT_WORDS = (
    ("Koffiebonen", "kg", 1895, 9),
    ("Thee", "doos", 450, 9),
    ("Printpapier A4", "doos", 2495, 21),
    ("Bureaustoel", "stuk", 24900, 21),
    ("Monitor 27 inch", "stuk", 27900, 21),
    ("Laptoptas", "stuk", 3995, 21),
    ("Installatie", "uur", 7500, 21),
    ("Advies", "uur", 9500, 21),
    ("Onderhoudscontract", "jaar", 45000, 21),
    ("Kabel CAT6", "meter", 125, 21),
    ("Schroeven RVS", "doos", 1250, 21),
    ("Verf wit", "liter", 1895, 21),
    ("Boek", "stuk", 2450, 9),
    ("Brood", "stuk", 325, 9),
    ("Groente-abonnement", "week", 2250, 9),
    ("Postzegels", "vel", 1100, 0),
    ("Cursus", "dag", 39500, 0),
    ("Bloemen", "bos", 1495, 9),
    ("Houten pallet", "stuk", 1500, 21),
    ("Transport", "rit", 8500, 21),
)
_PRODUCT_VARIANTS = ("Basis", "Plus", "Premium", "Eco", "XL", "Mini", "Pro", "Classic")
_POSITIONS = (
    "Directeur",
    "Eigenaar",
    "Inkoper",
    "Office manager",
    "Boekhouder",
    "Projectleider",
    "Verkoper",
    "Planner",
    None,
)
_ACTIVITY_SUBJECTS = {
    "call": ("Terugbellen over offerte", "Telefonisch overleg levering", "Nabellen factuur"),
    "meeting": ("Kennismakingsgesprek", "Evaluatie project", "Jaargesprek contract"),
    "task": ("Offerte opstellen", "Contract versturen", "Voorraad controleren"),
    "email": ("Bevestiging bestelling", "Nieuwsbrief", "Vraag over levertijd"),
}
_TIMESHEET_TEXTS = (
    "Installatie op locatie",
    "Advieswerk",
    "Administratie",
    "Reistijd",
    "Overleg met klant",
    "Onderhoud",
    "Voorbereiding project",
)
_NOTES = (
    "Liever bellen na 10 uur.",
    "Levering via achteringang.",
    "Betaalt altijd op tijd.",
    "Vaste klant sinds jaren.",
    "Contact loopt via de inkoopafdeling.",
)
_AREA_CODES = ("10", "20", "30", "40", "50", "70", "71", "73", "76", "79", "6")


@dataclass(frozen=True)
class Pools:
    """Values drawn once from Faker nl_NL; rows pick from them."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[tuple[str, str], ...]  # (name, domain)
    streets: tuple[str, ...]
    places: tuple[tuple[str, str], ...]  # (postcode, city)


def build_pools(seed: int, size: int = 600) -> Pools:
    from faker import Faker

    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    companies = []
    for _ in range(size * 2):
        name = fake.company()
        companies.append((name, _domain(name)))
    return Pools(
        first_names=tuple(fake.first_name() for _ in range(size)),
        last_names=tuple(fake.last_name() for _ in range(size)),
        companies=tuple(companies),
        streets=tuple(fake.street_name() for _ in range(size)),
        places=tuple((fake.postcode(), fake.city()) for _ in range(size)),
    )


def _domain(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"\b(b\.?v\.?|n\.?v\.?|v\.?o\.?f\.?|en|zonen|&)\b", " ", ascii_name.lower())
    slug = re.sub(r"[^a-z0-9]+", "", words) or "bedrijf"
    return f"{slug[:30]}.nl"


def _email_name(first: str, last: str) -> str:
    text = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z.]+", "", text.lower().replace(" ", ""))


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass
class CreateResult:
    database_id: str
    name: str
    rows: dict[str, int]
    seconds: float
    dialect: str
    super_user: dict[str, Any] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# -- sinks ----------------------------------------------------------------------------------


class _Sink:
    """Buffers rows per table and writes all buffers, in dependency order, when full."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.buffers: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _LOAD_ORDER}
        self.buffered = 0
        self.counts: dict[str, int] = dict.fromkeys(_LOAD_ORDER, 0)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.buffers[table].append(row)
        self.buffered += 1
        if self.buffered >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        for table in _LOAD_ORDER:
            rows = self.buffers[table]
            if rows:
                self.write(table, _COLUMNS[table], rows)
                self.counts[table] += len(rows)
                self.buffers[table] = []
        self.buffered = 0

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError


class _SQLiteSink(_Sink):
    def __init__(self, connection: sqlite3.Connection, batch_size: int) -> None:
        super().__init__(batch_size)
        self.connection = connection

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.connection.execute("BEGIN")
        self.connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )
        self.connection.execute("COMMIT")


class _PostgreSQLSink(_Sink):
    def __init__(self, connection: Any, batch_size: int) -> None:
        super().__init__(batch_size)
        self.connection = connection

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        from psycopg import sql

        statement = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
            table=sql.Identifier(table),
            columns=sql.SQL(", ").join(sql.Identifier(column) for column in columns),
        )
        with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)


# -- rows -----------------------------------------------------------------------------------


class _RowMaker:
    """Draws every row from the pools with one seeded Random."""

    def __init__(self, pools: Pools, seed: int, as_of: date) -> None:
        self.pools = pools
        self.rng = random.Random(seed)  # noqa: S311 -- repeatable data, not secrets
        self.as_of = as_of
        # Dates as text, by days before as_of (and some days after, for deliveries and due
        # dates): built once, used for every row.
        self.days = [(as_of + timedelta(days=offset)).isoformat() for offset in range(-800, 60)]

    def day(self, offset: int) -> str:
        return self.days[800 + offset]

    def phone(self) -> str:
        rng = self.rng
        area = rng.choice(_AREA_CODES)
        if area == "6":
            return f"06-{rng.randrange(10_000_000, 99_999_999)}"
        digits = 9 - len(area)
        return f"0{area}-{rng.randrange(10 ** (digits - 1), 10**digits)}"

    def person(self) -> tuple[str, str]:
        return self.rng.choice(self.pools.first_names), self.rng.choice(self.pools.last_names)

    def address(self) -> tuple[str, str, str]:
        rng = self.rng
        postcode, city = rng.choice(self.pools.places)
        street = f"{rng.choice(self.pools.streets)} {rng.randint(1, 250)}"
        return street, postcode, city


def generate(
    sink: _Sink,
    *,
    contacts: int,
    seed: int,
    as_of: date,
    now: datetime,
    kind: str,
    edition: str,
    database_id: str,
    super_user_email: str | None = None,
    super_user_name: tuple[str, str] | None = None,
    company_name: str | None = None,
    desktop_in_use: bool = True,
) -> dict[str, Any]:
    """Writes a whole company database's rows into `sink`; the desktop super user's details."""
    pools = build_pools(seed)
    maker = _RowMaker(pools, seed, as_of)
    rng = maker.rng
    add = sink.add

    # The company itself.
    drawn_name, domain = rng.choice(pools.companies)
    if company_name:
        domain = _domain(company_name)
    else:
        company_name = drawn_name
    street, postcode, city = maker.address()
    owner_first, owner_last = super_user_name or maker.person()
    owner_email = super_user_email or f"{_email_name(owner_first, owner_last)}@{domain}"
    owner_phone = maker.phone()
    timestamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    add(
        "company_settings",
        (
            1,
            company_name,
            str(rng.randrange(10_000_000, 99_999_999)),
            f"NL{rng.randrange(100_000_000, 999_999_999)}B01",
            street,
            postcode,
            city,
            "NL",
            maker.phone(),
            f"info@{domain}",
            f"https://www.{domain}",
            f"{owner_first} {owner_last}",
            owner_phone,
            kind,
            edition,
            database_id,
            SCHEMA_VERSION,
            timestamp,
        ),
    )

    # Employees: the owner first (the desktop super user, always with an e-mail).
    employee_count = min(60, 3 + contacts // 2000)
    add("employees", (1, owner_first, owner_last, owner_email, owner_phone, True))
    employee_names = [(owner_first, owner_last)]
    for employee_id in range(2, employee_count + 1):
        first, last = maker.person()
        employee_names.append((first, last))
        email = f"{_email_name(first, last)}@{domain}" if rng.random() < 0.8 else None
        add(
            "employees",
            (employee_id, first, last, email, maker.phone(), rng.random() < 0.9),
        )

    # Desktop users: exactly one super user, and a few ordinary ones.
    usernames: set[str] = set()
    for user_id in range(1, min(4, employee_count) + 1):
        first, last = employee_names[user_id - 1]
        username = _email_name(first, "")[:1] + _email_name(last, "").replace(".", "")
        username = username or f"gebruiker{user_id}"
        while username in usernames:
            username += str(user_id)
        usernames.add(username)
        add("users", (user_id, username, user_id, user_id == 1))

    # Sessions, relative to the moment of creation: while the desktop program is in use the
    # super user and one colleague are working now; another one stopped this morning. When it
    # is not in use (a demo ready to activate), everybody stopped hours ago and the integrated
    # programs are switched off.
    def at(minutes_ago: int) -> str:
        return (now - timedelta(minutes=minutes_ago)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    idle = 0 if desktop_in_use else 300
    add("desktop_sessions", (1, 1, "KANTOOR-PC01", at(150 + idle), at(2 + idle)))
    if employee_count >= 2:
        add("desktop_sessions", (2, 2, "LAPTOP-VERKOOP", at(600 + idle), at(240 + idle)))
        add("desktop_sessions", (3, 2, "KANTOOR-PC02", at(45 + idle), at(5 + idle)))
    add("api_clients", (1, "Webshop-koppeling", desktop_in_use))
    add("api_clients", (2, "Boekhoudexport", desktop_in_use))
    add("api_clients", (3, "Oude kassakoppeling", False))

    # Products.
    product_count = max(10, contacts // 20)
    prices: list[tuple[int, int, str]] = []  # (cents, vat, name) per product id - 1
    for product_id in range(1, product_count + 1):
        base, unit, cents, vat = _PRODUCT_WORDS[(product_id - 1) % len(_PRODUCT_WORDS)]
        variant = _PRODUCT_VARIANTS[((product_id - 1) // len(_PRODUCT_WORDS)) % 8]
        price = max(50, int(cents * rng.uniform(0.7, 1.5)))
        name = f"{base} {variant}"
        prices.append((price, vat, name))
        add(
            "products",
            (
                product_id,
                f"P{product_id:06d}",
                name,
                unit,
                _money(price),
                str(vat),
                str(rng.randint(0, 500)) if unit in ("stuk", "doos", "kg") else "0",
                rng.random() < 0.95,
            ),
        )

    # Contacts and everything hanging off them.
    person_id = order_id = line_id = activity_id = timesheet_id = invoice_id = 0
    year = as_of.year
    kinds = tuple(_ACTIVITY_SUBJECTS)
    statuses = ("quote", "order", "invoiced", "invoiced", "cancelled")
    companies = pools.companies
    for contact_id in range(1, contacts + 1):
        name, contact_domain = rng.choice(companies)
        street, postcode, city = maker.address()
        add(
            "contacts",
            (
                contact_id,
                name,
                str(rng.randrange(10_000_000, 99_999_999)) if rng.random() < 0.7 else None,
                rng.random() < 0.85,
                rng.random() < 0.2,
                street,
                postcode,
                city,
                "NL",
                maker.phone(),
                f"info@{contact_domain}",
                f"https://www.{contact_domain}" if rng.random() < 0.5 else None,
                rng.choice(_NOTES) if rng.random() < 0.1 else None,
            ),
        )
        for _ in range(rng.randint(0, 3)):
            person_id += 1
            first, last = maker.person()
            add(
                "contact_persons",
                (
                    person_id,
                    contact_id,
                    first,
                    last,
                    f"{_email_name(first, last)}@{contact_domain}" if rng.random() < 0.8 else None,
                    maker.phone() if rng.random() < 0.7 else None,
                    rng.choice(_POSITIONS),
                ),
            )
        for _ in range(rng.randint(0, 2)):
            order_id += 1
            offset = -rng.randint(0, 730)
            status = rng.choice(statuses)
            add(
                "orders",
                (
                    order_id,
                    f"O{year}-{order_id:07d}",
                    contact_id,
                    status,
                    maker.day(offset),
                    maker.day(min(offset + rng.randint(1, 21), 59)),
                    "EUR",
                    None,
                ),
            )
            total = 0
            for _ in range(rng.randint(1, 5)):
                line_id += 1
                product_id = rng.randint(1, product_count)
                price, vat, product_name = prices[product_id - 1]
                quantity = rng.randint(1, 12)
                discount = 10 if rng.random() < 0.1 else 0
                net = quantity * price * (100 - discount) // 100
                total += net + net * vat // 100
                add(
                    "order_lines",
                    (
                        line_id,
                        order_id,
                        product_id,
                        product_name,
                        str(quantity),
                        _money(price),
                        str(discount),
                    ),
                )
            if status == "invoiced":
                invoice_id += 1
                invoice_offset = min(offset + rng.randint(0, 14), 0)
                add(
                    "invoices",
                    (
                        invoice_id,
                        f"F{year}-{invoice_id:07d}",
                        contact_id,
                        maker.day(invoice_offset),
                        maker.day(invoice_offset + 30),
                        _money(total),
                        invoice_offset < -45 or rng.random() < 0.6,
                    ),
                )
        for _ in range(rng.randint(0, 4)):
            activity_id += 1
            kind_name = rng.choice(kinds)
            offset = rng.randint(-400, 30)
            hour = rng.randint(8, 17)
            starts = f"{maker.day(offset)} {hour:02d}:{rng.choice((0, 15, 30, 45)):02d}:00"
            add(
                "activities",
                (
                    activity_id,
                    rng.choice(_ACTIVITY_SUBJECTS[kind_name]),
                    kind_name,
                    starts,
                    starts[:11] + f"{hour + 1:02d}" + starts[13:] if kind_name != "task" else None,
                    offset < 0 and rng.random() < 0.8,
                    contact_id,
                    rng.randint(1, employee_count),
                    None,
                ),
            )
        for _ in range(rng.randint(0, 2)):
            timesheet_id += 1
            add(
                "timesheet_lines",
                (
                    timesheet_id,
                    rng.randint(1, employee_count),
                    maker.day(-rng.randint(0, 365)),
                    str(rng.choice((0.5, 1, 1.5, 2, 3, 4, 6, 8))),
                    rng.choice(_TIMESHEET_TEXTS),
                    contact_id,
                ),
            )
    sink.flush()
    return {
        "user_id": 1,
        "employee_id": 1,
        "name": f"{owner_first} {owner_last}",
        "email": owner_email,
    }


# -- creating a database --------------------------------------------------------------------


def create_company_database(
    dsn: str,
    *,
    contacts: int = 200,
    seed: int = 1,
    kind: Literal["production", "sample"] = "production",
    edition: Literal["full", "evaluation"] = "full",
    replace: bool = False,
    as_of: date | None = None,
    super_user_email: str | None = None,
    super_user_name: tuple[str, str] | None = None,
    company_name: str | None = None,
    desktop_in_use: bool = True,
    batch_size: int = 20_000,
    progress: Callable[[str], None] | None = None,
) -> CreateResult:
    """Creates a company database at `dsn` (on PostgreSQL the database itself too, when it is
    missing) filled for `contacts` contacts. Refuses to touch an existing company database (or
    any non-empty one) unless `replace`. `super_user_email`/`super_user_name` set the desktop
    super user's employee, e.g. to match a demo ID; `company_name` the company's name. Without
    `desktop_in_use` nobody is logged in to the desktop program and no integrated program is
    enabled (ready for a first synchronisation)."""
    if contacts < 0:
        raise ValueError("contacts must be 0 or more")
    parsed = parse_dsn(dsn)
    now = datetime.now(UTC)
    options: dict[str, Any] = {
        "contacts": contacts,
        "seed": seed,
        "as_of": as_of or now.date(),
        "now": now,
        "kind": kind,
        "edition": edition,
        "database_id": str(uuid.uuid4()),
        "super_user_email": super_user_email,
        "super_user_name": super_user_name,
        "company_name": company_name,
        "desktop_in_use": desktop_in_use,
    }
    started = time.perf_counter()
    if parsed.dialect == "sqlite":
        counts, super_user = _create_sqlite(parsed, replace, batch_size, options)
    else:
        counts, super_user = _create_postgresql(parsed, replace, batch_size, options)
    return CreateResult(
        database_id=options["database_id"],
        name=_company_name(dsn),
        rows=counts,
        seconds=time.perf_counter() - started,
        dialect=parsed.dialect,
        super_user=super_user,
    )


def _company_name(dsn: str) -> str:
    from syncengine.companydb.connector import connect

    with connect(dsn) as connector:
        return str(connector.company_settings()["name"])


def _create_sqlite(
    parsed: ParsedDsn, replace: bool, batch_size: int, options: dict[str, Any]
) -> tuple[dict[str, int], dict[str, Any]]:
    path = Path(parsed.path)
    if path.exists() and path.stat().st_size > 0:
        if not replace:
            raise CompanyDatabaseExists(
                f"There is already a file at {path}; add --replace to overwrite it."
            )
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    connector = SQLiteConnector(parsed, create=True)
    connection = connector.connection
    try:
        # WAL: the desktop program keeps reading while the sync engine writes, and back.
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute("BEGIN")
        for statement in table_statements("sqlite"):
            connection.execute(statement)
        connection.execute("COMMIT")
        sink = _SQLiteSink(connection, batch_size)
        super_user = generate(sink, **options)
        connection.execute("BEGIN")
        for statement in finishing_statements("sqlite"):
            connection.execute(statement)
        connection.execute("COMMIT")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("ANALYZE")
    finally:
        connector.close()
    return sink.counts, super_user


def _create_postgresql(
    parsed: ParsedDsn, replace: bool, batch_size: int, options: dict[str, Any]
) -> tuple[dict[str, int], dict[str, Any]]:
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(
            parsed.with_dbname("postgres"), autocommit=True, connect_timeout=5
        ) as server:
            exists = server.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [parsed.dbname]
            ).fetchone()
            if not exists:
                server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.dbname)))
    except psycopg.OperationalError as error:
        raise pg_connect_error(error, parsed) from error
    try:
        connection = psycopg.connect(parsed.dsn, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise pg_connect_error(error, parsed) from error
    with connection:
        connection.execute("SET TIME ZONE 'UTC'")
        present = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        }
        ours = present & set(TABLES)
        if ours and not replace:
            what = "a company database" if "company_settings" in ours else "some of its tables"
            raise CompanyDatabaseExists(
                f"{parsed.display.capitalize()} already holds {what}; add --replace to "
                "overwrite it."
            )
        # One transaction: a creation that fails half-way leaves no half a company database.
        with connection.transaction():
            if ours:
                for statement in drop_statements("postgresql"):
                    connection.execute(statement)
            for statement in table_statements("postgresql"):
                connection.execute(statement)
            sink = _PostgreSQLSink(connection, batch_size)
            super_user = generate(sink, **options)
            for name, table in TABLES.items():
                if table.has_id and name not in ("company_settings", "sync_lock"):
                    connection.execute(
                        sql.SQL(
                            "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                            "coalesce(max(id), 0) + 1, false) FROM {table}"
                        ).format(name=sql.Literal(name), table=sql.Identifier(name))
                    )
            for statement in finishing_statements("postgresql"):
                connection.execute(statement)
        connection.execute("ANALYZE")
    return sink.counts, super_user
