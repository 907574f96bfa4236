"""Hours written through the REST API keep the company's time-sheet settings, as on the pages:
no day ahead, none too long ago, weekends only when allowed, whole steps, 24 hours a day; and
a member's own employee is learnt from the host's report as on the pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from portal.employees import Employee
from portal.models import TimeSheetSettings
from records.models import TimesheetLine
from tests.factories import TimesheetLineFactory, api_client, api_member
from tests.portal.api_cases import a_working_day

pytestmark = pytest.mark.django_db

LINES = "/api/v1/time-sheet-lines/"


@pytest.fixture
def member():
    return api_member("time_registration", employee_id=1)


@pytest.fixture
def client(member):
    return api_client(member)


def post(client, work_date: datetime.date, hours: str = "2.00"):
    return client.post(LINES, {"work_date": work_date.isoformat(), "hours": hours}, format="json")


def test_a_day_ahead_is_refused(client):
    response = post(client, a_working_day() + datetime.timedelta(days=7))
    assert response.status_code == 400
    assert set(response.data) == {"work_date"}


def test_a_day_further_back_than_the_settings_allow_is_refused(member, client):
    TimeSheetSettings.objects.create(company=member.company, days_back=0, weekends=True)
    response = post(client, datetime.date.today() - datetime.timedelta(days=3))
    assert response.status_code == 400
    assert set(response.data) == {"work_date"}


def test_a_weekend_day_is_refused_unless_the_settings_allow_it(member, client):
    saturday = a_working_day()
    while saturday.isoweekday() != 6:
        saturday -= datetime.timedelta(days=1)

    refused = post(client, saturday)
    TimeSheetSettings.objects.create(company=member.company, weekends=True)
    allowed = post(client, saturday)

    assert (refused.status_code, allowed.status_code) == (400, 201)


def test_hours_off_the_step_are_refused(client):
    response = post(client, a_working_day(), hours="1.10")
    assert response.status_code == 400
    assert set(response.data) == {"hours"}


def test_a_day_holds_at_most_24_hours(member, client):
    TimesheetLineFactory.create(
        company=member.company, employee_source_id=1, work_date=a_working_day(), hours=20
    )
    assert post(client, a_working_day(), hours="4.25").status_code == 400
    assert post(client, a_working_day(), hours="4.00").status_code == 201


def test_a_line_of_a_closed_day_is_neither_changed_nor_deleted(member, client):
    old = TimesheetLineFactory.create(
        company=member.company,
        employee_source_id=1,
        work_date=a_working_day() - datetime.timedelta(days=60),
    )
    version = f'"{old.version}"'

    changed = client.patch(
        f"{LINES}{old.pk}/", {"hours": "1.00"}, format="json", HTTP_IF_MATCH=version
    )
    deleted = client.delete(f"{LINES}{old.pk}/", HTTP_IF_MATCH=version)

    assert (changed.status_code, deleted.status_code) == (409, 409)
    old.refresh_from_db()
    assert old.hours == Decimal("7.50")


def test_a_member_without_an_employee_is_the_employee_with_their_e_mail(monkeypatch):
    member = api_member("time_registration")
    # As the host reported the company database's employees.
    employee = Employee(id=7, name="Anna Bos", email=member.user.email, is_active=True)
    monkeypatch.setattr("portal.employees.employees_of", lambda company: {7: employee})

    response = post(api_client(member), a_working_day())

    assert response.status_code == 201
    assert TimesheetLine.objects.get().employee_source_id == 7
