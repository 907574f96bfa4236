"""Two lines of one employee's day saved at the same moment (two tabs, the page and the API),
each in its own thread and database connection: together they cannot pass 24 hours, because
the check holds the company's time-sheet lock until its line is written."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from portal.models import TimeSheetSettings
from records.models import TimesheetLine
from tests.factories import LicenceLinkFactory, employees_report, member, signed_in
from tests.portal.test_time_sheets import working_day

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_lines_saved_at_once_cannot_pass_24_hours_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    piet = member(template="time_registration", employee_id=2, user__email="piet@example.nl")
    LicenceLinkFactory.create(
        agreement=piet.company.current_agreement(),
        database__report=employees_report((2, "Piet", "Jansen", "piet@example.nl")),
    )
    # The first save to pass its check waits there, holding what the check holds, until the
    # second has had every chance to check (and, without the lock, to save) meanwhile.
    first_checked, go_on = threading.Event(), threading.Event()
    check_hours = TimeSheetSettings.check_hours
    first = threading.Lock()

    def checking_slowly(self: TimeSheetSettings, *args: Any, **kwargs: Any) -> None:
        check_hours(self, *args, **kwargs)
        if first.acquire(blocking=False):
            first_checked.set()
            go_on.wait(timeout=30)

    monkeypatch.setattr(TimeSheetSettings, "check_hours", checking_slowly)
    statuses: list[int] = []

    def save_16_hours() -> None:
        try:
            response = signed_in(piet).post(
                "/time-sheets/new/",
                {"work_date": working_day().isoformat(), "hours": "16", "description": "x"},
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    one = threading.Thread(target=save_16_hours)
    one.start()
    assert first_checked.wait(timeout=30)
    other = threading.Thread(target=save_16_hours)
    other.start()
    other.join(timeout=2)  # blocked on the lock, as it should be; or done, if nothing held it
    go_on.set()
    one.join(timeout=60)
    other.join(timeout=60)

    assert sorted(statuses) == [302, 400]
    assert [line.hours for line in TimesheetLine.objects.all()] == [Decimal("16.00")]
