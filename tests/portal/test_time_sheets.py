"""The time-sheets work area: one's own hours per week with totals, everyone's with the function
"time_sheets.all", the company's time-sheet settings and the rules they set."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AccessProfile, Membership
from accounts.rights import Area, Level, Rights
from licensing.models import Company, Service
from portal.models import TimeSheetSettings
from records.models import OutboxEntry, SyncState, TimesheetLine
from records.services import update_record
from tests.factories import (
    AgreementFactory,
    ContactFactory,
    LicenceLinkFactory,
    PlanFactory,
    TimesheetLineFactory,
    employees_report,
    member,
    queries_of,
    signed_in,
)

pytestmark = pytest.mark.django_db

DEMI = (1, "Demi", "de Vries", "demi@example.nl")
PIET = (2, "Piet", "Jansen", "piet@example.nl")


def today() -> datetime.date:
    """Today in the companies' time zone (the factories' default)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo("Europe/Amsterdam"))


def working_day(back: int = 0) -> datetime.date:
    """The `back`-th working day (Monday to Friday) before the latest one up to today."""
    day = today()
    while day.isoweekday() >= 6:
        day -= datetime.timedelta(days=1)
    for _ in range(back):
        day -= datetime.timedelta(days=1)
        while day.isoweekday() >= 6:
            day -= datetime.timedelta(days=1)
    return day


def with_employees(company: Company, *people: tuple[int, str, str, str]) -> None:
    LicenceLinkFactory.create(
        agreement=company.current_agreement(), database__report=employees_report(*people)
    )


@pytest.fixture
def boss() -> Membership:
    """A super user: Full rights and "time_sheets.all"; employee Demi."""
    boss = member(employee_id=1, user__email="demi@example.nl")
    with_employees(boss.company, DEMI, PIET)
    return boss


@pytest.fixture
def piet(boss: Membership) -> Membership:
    """A member registering only his own hours (the Time registration template)."""
    return member(company=boss.company, template="time_registration", employee_id=2)


def line(company: Company, **values: Any) -> TimesheetLine:
    return TimesheetLineFactory.create(company=company, **values)


def post_line(client: Client, **values: Any) -> Any:
    data = {"work_date": working_day().isoformat(), "hours": "7.5", "description": "Project X"}
    return client.post("/time-sheets/new/", {**data, **values})


def test_a_member_registers_own_hours_which_are_queued_for_the_company_database(
    piet: Membership,
) -> None:
    contact = ContactFactory.create(company=piet.company)

    response = post_line(signed_in(piet), contact=contact.pk)

    saved = TimesheetLine.objects.get(company=piet.company)
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"/time-sheets/?date={working_day() - datetime.timedelta(days=working_day().weekday())}"
    )
    assert saved.employee_source_id == 2  # his own, whatever was posted
    assert saved.hours == Decimal("7.50")
    assert saved.contact == contact
    assert saved.sync_state == SyncState.PENDING
    entry = OutboxEntry.objects.get(table="timesheet_lines", record_id=saved.pk)
    assert entry.op == OutboxEntry.Op.INSERT
    assert entry.values["employee_source_id"] == 2


def test_the_week_shows_own_lines_with_totals_per_day_and_week(
    piet: Membership, boss: Membership
) -> None:
    monday = datetime.date(2026, 11, 23)
    line(piet.company, employee_source_id=2, work_date=monday, hours=Decimal("7.50"))
    line(piet.company, employee_source_id=2, work_date=monday, hours=Decimal("0.25"))
    line(
        piet.company,
        employee_source_id=2,
        work_date=monday + datetime.timedelta(days=2),
        hours=Decimal("4.00"),
    )
    line(
        piet.company,
        employee_source_id=1,
        work_date=monday,
        hours=Decimal("8.00"),
        description="Demi's",
    )
    line(
        piet.company,
        employee_source_id=2,
        work_date=monday + datetime.timedelta(days=7),
        hours=Decimal("1.00"),
    )

    page = signed_in(piet).get("/time-sheets/", {"date": "2026-11-26"})  # a Thursday

    days = page.context["days"]
    assert days[0].date == monday
    assert [day.total for day in days] == [Decimal("7.75"), 0, Decimal("4.00"), 0, 0, 0, 0]
    assert days[0].over is False  # 7.75 is not more than a normal day of 8
    assert page.context["week_total"] == Decimal("11.75")
    assert str(page.context["week_total"]) == "11.75"
    html = page.content.decode()
    assert "Demi's" not in html
    assert page.context["previous_url"] == "/time-sheets/?date=2026-11-16"
    assert page.context["next_url"] == "/time-sheets/?date=2026-11-30"


def test_another_employees_line_is_not_found_without_the_function_for_everyones_hours(
    piet: Membership, boss: Membership
) -> None:
    demis = line(piet.company, employee_source_id=1, work_date=working_day())
    client = signed_in(piet)
    for url in (f"/time-sheets/{demis.pk}/edit/", f"/time-sheets/{demis.pk}/delete/"):
        assert client.get(url).status_code == 404, url
        assert (
            client.post(url, {"hours": "1", "work_date": working_day().isoformat()}).status_code
            == 404
        )
    # Asking for someone else's week shows his own.
    assert client.get("/time-sheets/", {"employee": "1"}).context["employee"] == 2
    demis.refresh_from_db()
    assert demis.hours == Decimal("7.50")


def test_a_member_without_an_employee_is_told_whom_to_ask_and_cannot_register(
    boss: Membership,
) -> None:
    stranger = member(
        company=boss.company, template="time_registration", user__email="x@example.nl"
    )
    boss.user.name = "Demi de Vries"
    boss.user.save()
    client = signed_in(stranger)

    page = client.get("/time-sheets/").content.decode()
    assert "not linked to an employee" in page
    assert "Demi de Vries" in page
    assert "demi@example.nl" in page
    assert "x@example.nl" in page
    assert "/time-sheets/new/" not in page
    refused = post_line(client)
    assert refused.status_code == 403
    assert "Demi de Vries" in refused.content.decode()
    assert not TimesheetLine.objects.exists()


def test_a_member_whose_e_mail_is_an_employees_is_linked_and_registers_hours(
    boss: Membership,
) -> None:
    newcomer = member(
        company=boss.company, template="time_registration", user__email="piet@example.nl"
    )
    assert newcomer.employee_id is None

    assert post_line(signed_in(newcomer)).status_code == 302

    assert TimesheetLine.objects.get().employee_source_id == 2
    newcomer.refresh_from_db()
    assert newcomer.employee_id == 2


def test_with_everyones_hours_a_reader_sees_each_employees_week_but_writes_nothing(
    boss: Membership,
) -> None:
    auditor = member(company=boss.company, template="read_only")  # Read + time_sheets.all
    monday = datetime.date(2026, 11, 23)
    line(boss.company, employee_source_id=1, work_date=monday, hours=Decimal("8.00"))
    line(boss.company, employee_source_id=2, work_date=monday, hours=Decimal("6.50"))
    line(
        boss.company,
        employee_source_id=2,
        work_date=monday + datetime.timedelta(days=1),
        hours=Decimal("2.25"),
    )
    client = signed_in(auditor)

    everyone = client.get("/time-sheets/", {"date": "2026-11-23"})

    assert everyone.context["everyone"] is True  # the auditor has no employee of their own
    rows = {row.name: row for row in everyone.context["rows"]}
    assert rows["Piet Jansen"].hours[:2] == [Decimal("6.50"), Decimal("2.25")]
    assert rows["Piet Jansen"].total == Decimal("8.75")
    assert everyone.context["day_totals"][0] == Decimal("14.50")
    assert everyone.context["week_total"] == Decimal("16.75")
    pieters = client.get(rows["Piet Jansen"].url)
    assert pieters.context["employee"] == 2
    assert pieters.context["week_total"] == Decimal("8.75")
    assert "/time-sheets/new/" not in pieters.content.decode()
    a_line = TimesheetLine.objects.filter(employee_source_id=2).first()
    assert a_line is not None
    assert client.get("/time-sheets/new/").status_code == 403
    assert client.post(f"/time-sheets/{a_line.pk}/edit/").status_code == 403
    assert client.post(f"/time-sheets/{a_line.pk}/delete/").status_code == 403


def test_with_everyones_hours_and_full_rights_a_member_registers_for_a_colleague(
    boss: Membership,
) -> None:
    client = signed_in(boss)
    form = client.get("/time-sheets/new/", {"employee": "2"}).context["form"]
    assert form["employee_source_id"].value() == 2

    assert post_line(client, employee_source_id="2").status_code == 302
    assert post_line(client, employee_source_id="").status_code == 400

    saved = TimesheetLine.objects.get()
    assert saved.employee_source_id == 2
    changed = client.post(
        f"/time-sheets/{saved.pk}/edit/",
        {
            "employee_source_id": "2",
            "work_date": saved.work_date.isoformat(),
            "hours": "6",
            "description": "Project X",
            "seen_version": saved.version,
        },
    )
    assert changed.status_code == 302
    saved.refresh_from_db()
    assert saved.hours == Decimal("6.00")


def test_an_edit_sends_only_the_changed_fields_and_a_stale_one_asks(piet: Membership) -> None:
    mine = line(
        piet.company,
        employee_source_id=2,
        work_date=working_day(),
        hours=Decimal("7.50"),
        description="Project X",
    )
    client = signed_in(piet)
    seen = client.get(f"/time-sheets/{mine.pk}/edit/").context["form"]["seen_version"].value()
    values = {"work_date": working_day().isoformat(), "hours": "7.5", "description": "Project Y"}

    assert (
        client.post(f"/time-sheets/{mine.pk}/edit/", {**values, "seen_version": seen}).status_code
        == 302
    )
    entry = OutboxEntry.objects.get(table="timesheet_lines", record_id=mine.pk)
    assert entry.values == {"description": "Project Y"}

    mine.refresh_from_db()
    update_record(record=mine, values={"hours": Decimal("5.00")})  # a colleague, meanwhile
    asked = client.post(
        f"/time-sheets/{mine.pk}/edit/", {**values, "hours": "6", "seen_version": seen}
    )
    assert asked.status_code == 409
    assert set(asked.context["form"].newer) == {"hours"}
    mine.refresh_from_db()
    assert mine.hours == Decimal("5.00")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"hours": "7.3"}, "hours", "steps of 0.25"),
        ({"hours": "0"}, "hours", "above zero"),
        ({"hours": "-1"}, "hours", "above zero"),
        ({"hours": "abc"}, "hours", "Enter a number"),
        (
            {"work_date": (today() + datetime.timedelta(days=1)).isoformat()},
            "work_date",
            "today or earlier",
        ),
        (
            {"work_date": (today() - datetime.timedelta(days=15)).isoformat()},
            "work_date",
            "14 days back",
        ),
    ],
)
def test_hours_breaking_the_companys_rules_are_refused_and_change_nothing(
    piet: Membership, values: dict[str, str], field: str, message: str
) -> None:
    response = post_line(signed_in(piet), **values)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert not TimesheetLine.objects.exists()
    assert not OutboxEntry.objects.exists()


def test_a_day_holds_at_most_24_hours_of_one_employee(piet: Membership, boss: Membership) -> None:
    line(piet.company, employee_source_id=2, work_date=working_day(), hours=Decimal("20.00"))
    line(piet.company, employee_source_id=1, work_date=working_day(), hours=Decimal("20.00"))
    client = signed_in(piet)

    refused = post_line(client, hours="4.25")
    assert refused.status_code == 400
    assert "24 hours" in " ".join(refused.context["form"].errors["hours"])
    assert post_line(client, hours="4").status_code == 302


def test_weekends_are_refused_unless_the_settings_allow_them(piet: Membership) -> None:
    saturday = today() - datetime.timedelta(days=(today().isoweekday() - 6) % 7)
    client = signed_in(piet)

    refused = post_line(client, work_date=saturday.isoformat())
    assert refused.status_code == 400
    assert "Saturdays and Sundays" in " ".join(refused.context["form"].errors["work_date"])
    TimeSheetSettings.objects.create(company=piet.company, weekends=True)
    assert post_line(client, work_date=saturday.isoformat()).status_code == 302


def test_hours_of_a_closed_day_can_no_longer_be_changed_or_deleted(piet: Membership) -> None:
    TimeSheetSettings.objects.create(company=piet.company, days_back=0, weekends=True)
    old = line(piet.company, employee_source_id=2, work_date=today() - datetime.timedelta(days=1))
    client = signed_in(piet)

    edited = client.post(
        f"/time-sheets/{old.pk}/edit/",
        {
            "work_date": today().isoformat(),
            "hours": "1",
            "description": "",
            "seen_version": old.version,
        },
    )
    assert edited.status_code == 400
    assert "can no longer be changed" in edited.content.decode()
    deleted = client.post(f"/time-sheets/{old.pk}/delete/")
    assert deleted.status_code == 409
    assert "can no longer be deleted" in deleted.content.decode()
    assert TimesheetLine.objects.filter(pk=old.pk, hours=Decimal("7.50")).exists()
    week = client.get("/time-sheets/", {"date": old.work_date.isoformat()}).content.decode()
    assert f"/time-sheets/{old.pk}/edit/" not in week


def test_deleting_asks_first_then_deletes_and_queues_the_delete(piet: Membership) -> None:
    mine = line(piet.company, employee_source_id=2, work_date=working_day())
    client = signed_in(piet)

    assert "Delete the hours" in client.get(f"/time-sheets/{mine.pk}/delete/").content.decode()
    assert client.post(f"/time-sheets/{mine.pk}/delete/").status_code == 302
    assert not TimesheetLine.objects.filter(pk=mine.pk).exists()
    assert OutboxEntry.objects.get(source_id=mine.source_id).op == OutboxEntry.Op.DELETE


def test_the_week_takes_the_same_queries_for_many_lines_as_for_a_few(
    boss: Membership, piet: Membership
) -> None:
    monday = datetime.date(2026, 11, 23)
    contact = ContactFactory.create(company=boss.company)

    def queries(client: Client, **params: str) -> int:
        return len(queries_of(client, "/time-sheets/", {"date": "2026-11-23", **params}))

    def add(count: int) -> None:
        for n in range(count):
            line(
                boss.company,
                employee_source_id=1 + n % 2,
                work_date=monday + datetime.timedelta(days=n % 7),
                hours=Decimal("0.50"),
                contact=ContactFactory.create(company=boss.company) if n % 3 else contact,
            )

    add(3)
    few = [queries(signed_in(piet)), queries(signed_in(boss), employee="all")]
    add(90)
    many = [queries(signed_in(piet)), queries(signed_in(boss), employee="all")]
    assert many == few


def test_the_settings_are_a_super_users_page_and_rule_what_may_be_registered(
    boss: Membership, piet: Membership
) -> None:
    assert signed_in(piet).get("/time-sheets/settings/").status_code == 403
    client = signed_in(boss)
    page = client.get("/time-sheets/settings/")
    assert page.status_code == 200
    assert page.context["form"]["step"].value() == Decimal("0.25")
    assert not TimeSheetSettings.objects.exists()  # looking saves nothing

    bad = client.post(
        "/time-sheets/settings/", {"day_hours": "25", "step": "0.3", "days_back": "-1"}
    )
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"day_hours", "step", "days_back"}
    saved = client.post(
        "/time-sheets/settings/",
        {"day_hours": "7.6", "step": "0.50", "days_back": "30", "weekends": "on"},
    )
    assert saved.status_code == 302
    settings = TimeSheetSettings.objects.get(company=boss.company)
    assert (settings.day_hours, settings.step, settings.days_back, settings.weekends) == (
        Decimal("7.60"),
        Decimal("0.50"),
        30,
        True,
    )
    # The new step rules the next registration.
    refused = post_line(signed_in(piet), hours="7.25")
    assert "steps of 0.5" in " ".join(refused.context["form"].errors["hours"])


def test_without_time_sheets_in_the_plan_there_is_no_menu_item_no_page_and_no_settings(
    boss: Membership,
) -> None:
    assert 'href="/time-sheets/"' in signed_in(boss).get("/").content.decode()
    plan = PlanFactory.create(services=Service.objects.filter(code=Service.Code.CONTACTS))
    small = signed_in(member(company=AgreementFactory.create(plan=plan).company))

    assert 'href="/time-sheets/"' not in small.get("/").content.decode()
    for url in ("/time-sheets/", "/time-sheets/new/", "/time-sheets/settings/"):
        assert small.get(url).status_code == 403, url


def test_another_companys_line_is_not_found(boss: Membership) -> None:
    foreign = line(member().company, employee_source_id=1, work_date=working_day())
    client = signed_in(boss)
    for url in (f"/time-sheets/{foreign.pk}/edit/", f"/time-sheets/{foreign.pk}/delete/"):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert TimesheetLine.objects.filter(pk=foreign.pk).exists()


def test_a_custom_profile_with_full_time_sheets_but_without_the_function_writes_only_own_hours(
    boss: Membership,
) -> None:
    profile = AccessProfile(company=boss.company, name="Uren")
    profile.set_rights(Rights.of({Area.TIME_SHEETS: Level.FULL}))
    profile.save()
    own = member(company=boss.company, employee_id=2)
    own.profile = profile
    own.save()

    response = post_line(signed_in(own), employee_source_id="1")

    assert response.status_code == 302
    assert TimesheetLine.objects.get().employee_source_id == 2
