"""One case per REST API route of records, for the tests that go through every work area."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accounts.rights import Area
from licensing.models import Company
from portal.api import RECORD_ROUTES
from records.models import Record
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    ContactPersonFactory,
    InvoiceFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    TimesheetLineFactory,
)


def a_working_day() -> datetime.date:
    """Today, or the last weekday before it: a day whose hours the default time-sheet settings
    let anyone write (not ahead, not on a weekend, not too long ago)."""
    day = timezone.localdate()
    while day.isoweekday() >= 6:
        day -= datetime.timedelta(days=1)
    return day


@dataclass(frozen=True)
class Case:
    basename: str
    area: str
    # An existing record of `company`, as the synchronisation stores it.
    make: Callable[[Company], Record]
    # What a POST sends for a new record of `company` (may make the records it refers to).
    new: Callable[[Company], dict[str, Any]]
    # A PATCH that changes one field: (field, new value as sent).
    change: tuple[str, Any]
    writable: bool = True

    @property
    def path(self) -> str:
        prefix = next(prefix for prefix, _view, name in RECORD_ROUTES if name == self.basename)
        return f"/api/v1/{prefix}/"

    def detail(self, pk: int) -> str:
        return f"{self.path}{pk}/"

    def __str__(self) -> str:
        return self.basename


CASES = [
    Case(
        "contact",
        Area.CONTACTS,
        lambda company: ContactFactory.create(company=company),
        lambda company: {"name": "Nieuw B.V.", "city": "Deventer", "is_supplier": True},
        ("city", "Kampen"),
    ),
    Case(
        "contact-person",
        Area.CONTACTS,
        lambda company: ContactPersonFactory.create(company=company),
        lambda company: {"contact": ContactFactory.create(company=company).pk, "last_name": "Bos"},
        ("position", "Inkoper"),
    ),
    Case(
        "product",
        Area.PRODUCTS,
        lambda company: ProductFactory.create(company=company),
        lambda company: {"sku": "KR-1", "name": "Kraan", "price": "19.95", "vat_rate": "21.00"},
        ("price", "21.50"),
    ),
    Case(
        "order",
        Area.ORDERS,
        lambda company: OrderFactory.create(company=company),
        lambda company: {
            "number": "O-1",
            "contact": ContactFactory.create(company=company).pk,
            "order_date": "2026-05-01",
        },
        ("notes", "Spoed"),
    ),
    Case(
        "order-line",
        Area.ORDERS,
        lambda company: OrderLineFactory.create(company=company),
        lambda company: {
            "order": OrderFactory.create(company=company).pk,
            "description": "Kraan",
            "quantity": "2.000",
            "unit_price": "19.95",
        },
        ("discount_pct", "10.00"),
    ),
    Case(
        "activity",
        Area.ACTIVITIES,
        lambda company: ActivityFactory.create(company=company),
        lambda company: {
            "subject": "Offerte bespreken",
            "kind": "call",
            "starts_at": "2026-05-01T08:00:00Z",
        },
        ("done", True),
    ),
    Case(
        "time-sheet-line",
        Area.TIME_SHEETS,
        lambda company: TimesheetLineFactory.create(company=company, work_date=a_working_day()),
        lambda company: {
            "employee_id": 1,
            "work_date": a_working_day().isoformat(),
            "hours": "7.50",
        },
        ("hours", "8.00"),
    ),
    Case(
        "invoice",
        Area.INVOICES,
        lambda company: InvoiceFactory.create(company=company),
        lambda company: {"number": "F-1", "contact": ContactFactory.create(company=company).pk},
        ("paid", True),
        writable=False,
    ),
]

WRITABLE = [case for case in CASES if case.writable]
