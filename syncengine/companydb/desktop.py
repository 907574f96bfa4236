"""Plays the desktop program's users: random inserts, updates and deletes of business rows.

Every change is one ordinary SQL statement writing one row, in its own transaction, as the
desktop program would run it (not marked as the sync engine's): the triggers record each as
one change_log row with origin 'desktop'.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from syncengine.companydb.connector import Connector, connect
from syncengine.companydb.generator import build_pools

_CITIES_CHANGE = ("Utrecht", "Zwolle", "Haarlem", "Breda", "Groningen", "Delft", "Tilburg")


class _Desktop:
    def __init__(self, connector: Connector, rng: random.Random) -> None:
        self.connector = connector
        self.rng = rng
        self.pools = build_pools(rng.randrange(1_000_000), size=100)

    # The kit's own tool reaches the connector's plain-SQL helpers on purpose: these writes
    # must look exactly like the desktop program's.
    def sql(self, statement: str, params: list[Any]) -> int:
        return self.connector._execute(statement, params)

    def now(self) -> Any:
        return self.connector._to_db("timestamp", datetime.now(UTC))

    def any_id(self, table: str) -> int | None:
        # min/max only (both from the primary key's index); a count(*) per change would make
        # the player crawl on a large database.
        bounds = self.connector._rows(
            f"SELECT min(id) AS low, max(id) AS high FROM {table}"  # noqa: S608
        )[0]
        if bounds["high"] is None:
            return None
        low, high = int(bounds["low"]), int(bounds["high"])
        rows = self.connector._rows(
            f"SELECT id FROM {table} WHERE id >= ? ORDER BY id LIMIT 1",  # noqa: S608
            [self.rng.randint(low, high)],
        )
        return int(rows[0]["id"]) if rows else None

    def person(self) -> tuple[str, str]:
        return self.rng.choice(self.pools.first_names), self.rng.choice(self.pools.last_names)

    # -- the changes, each writing exactly one row --------------------------------------

    def insert_contact(self) -> str:
        name, domain = self.rng.choice(self.pools.companies)
        postcode, city = self.rng.choice(self.pools.places)
        self.sql(
            "INSERT INTO contacts (name, street, postcode, city, phone, email) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                name,
                f"{self.rng.choice(self.pools.streets)} {self.rng.randint(1, 200)}",
                postcode,
                city,
                f"06-{self.rng.randrange(10_000_000, 99_999_999)}",
                f"info@{domain}",
            ],
        )
        return "insert"

    def update_contact(self) -> str:
        contact_id = self.any_id("contacts")
        if contact_id is None:
            return self.insert_contact()
        column, value = self.rng.choice(
            (
                ("phone", f"06-{self.rng.randrange(10_000_000, 99_999_999)}"),
                ("city", self.rng.choice(_CITIES_CHANGE)),
                ("notes", f"Gebeld op {datetime.now(UTC):%d-%m-%Y}."),
                ("is_supplier", self.rng.random() < 0.5),
            )
        )
        self.sql(f"UPDATE contacts SET {column} = ? WHERE id = ?", [value, contact_id])  # noqa: S608
        return "update"

    def insert_contact_person(self) -> str:
        contact_id = self.any_id("contacts")
        if contact_id is None:
            return self.insert_contact()
        first, last = self.person()
        self.sql(
            "INSERT INTO contact_persons (contact_id, first_name, last_name, position) "
            "VALUES (?, ?, ?, ?)",
            [contact_id, first, last, self.rng.choice(("Inkoper", "Directeur", None))],
        )
        return "insert"

    def delete_contact_person(self) -> str:
        person_id = self.any_id("contact_persons")
        if person_id is None:
            return self.insert_contact_person()
        self.sql("DELETE FROM contact_persons WHERE id = ?", [person_id])
        return "delete"

    def update_product(self) -> str:
        product_id = self.any_id("products")
        if product_id is None:
            return self.insert_contact()
        if self.rng.random() < 0.5:
            self.sql(
                "UPDATE products SET price = price + ? WHERE id = ?",
                [self.connector._to_db("money", _cents(self.rng.randint(-50, 250))), product_id],
            )
        else:
            self.sql(
                "UPDATE products SET stock = ? WHERE id = ?",
                [self.rng.randint(0, 400), product_id],
            )
        return "update"

    def insert_activity(self) -> str:
        contact_id = self.any_id("contacts")
        employee_id = self.any_id("employees")
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=self.rng.randint(-3, 14))
        self.sql(
            "INSERT INTO activities (subject, kind, starts_at, contact_id, employee_id) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                self.rng.choice(("Terugbellen", "Afspraak maken", "Offerte nasturen")),
                self.rng.choice(("call", "meeting", "task", "email")),
                self.connector._to_db("timestamp", starts),
                contact_id,
                employee_id,
            ],
        )
        return "insert"

    def complete_activity(self) -> str:
        activity_id = self.any_id("activities")
        if activity_id is None:
            return self.insert_activity()
        self.sql("UPDATE activities SET done = ? WHERE id = ?", [True, activity_id])
        return "update"

    def delete_activity(self) -> str:
        activity_id = self.any_id("activities")
        if activity_id is None:
            return self.insert_activity()
        self.sql("DELETE FROM activities WHERE id = ?", [activity_id])
        return "delete"

    def update_order_status(self) -> str:
        order_id = self.any_id("orders")
        if order_id is None:
            return self.insert_contact()
        self.sql(
            "UPDATE orders SET status = ? WHERE id = ?",
            [self.rng.choice(("order", "invoiced", "cancelled")), order_id],
        )
        return "update"

    def insert_timesheet_line(self) -> str:
        employee_id = self.any_id("employees")
        if employee_id is None:
            return self.insert_contact()
        self.sql(
            "INSERT INTO timesheet_lines (employee_id, work_date, hours, description) "
            "VALUES (?, ?, ?, ?)",
            [
                employee_id,
                datetime.now(UTC).date().isoformat(),
                self.connector._to_db("percent", _cents(self.rng.choice((50, 100, 200, 400)))),
                "Werkzaamheden",
            ],
        )
        return "insert"


def _cents(cents: int) -> Any:
    from decimal import Decimal

    return Decimal(cents) / 100


_MOVES: tuple[tuple[str, int], ...] = (
    ("insert_contact", 12),
    ("update_contact", 25),
    ("insert_contact_person", 10),
    ("delete_contact_person", 6),
    ("update_product", 10),
    ("insert_activity", 12),
    ("complete_activity", 8),
    ("delete_activity", 5),
    ("update_order_status", 6),
    ("insert_timesheet_line", 6),
)


def play_desktop_users(
    dsn: str,
    *,
    changes: int,
    rate: float | None = None,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Makes `changes` desktop changes (one row each), `rate` per second or as fast as the
    database goes; counts by 'insert' / 'update' / 'delete'."""
    if changes < 0:
        raise ValueError("changes must be 0 or more")
    if rate is not None and rate <= 0:
        raise ValueError("rate must be above 0")
    rng = random.Random(seed)  # noqa: S311 -- a simulation, not secrets
    names = [name for name, _ in _MOVES]
    weights = [weight for _, weight in _MOVES]
    counts = {"insert": 0, "update": 0, "delete": 0}
    with connect(dsn) as connector:
        desktop = _Desktop(connector, rng)
        started = time.monotonic()
        for done in range(changes):
            if rate is not None:
                wait = started + done / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            move = rng.choices(names, weights)[0]
            kind = getattr(desktop, move)()
            counts[kind] += 1
            if progress is not None:
                progress(done + 1)
    return counts
