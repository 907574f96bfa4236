"""The activities work area: list, month and week calendar, detail, create, edit (asking on a
stale edit), mark done, delete; times in the company's time zone."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Membership
from licensing.models import Company, Service
from records.models import Activity, OutboxEntry, SyncState
from records.services import update_record
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ContactFactory,
    LicenceLinkFactory,
    PlanFactory,
    employees_report,
    member,
    queries_of,
    signed_in,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def with_employees(company: Company, *people: tuple[int, str, str, str]) -> None:
    """The company's licence-linked database, as its sync host reported it."""
    LicenceLinkFactory.create(
        agreement=company.current_agreement(), database__report=employees_report(*people)
    )


@pytest.fixture
def boss() -> Membership:
    boss = member(employee_id=1)  # the company is in Europe/Amsterdam
    with_employees(
        boss.company,
        (1, "Demi", "de Vries", "demi@example.nl"),
        (2, "Piet", "Jansen", "piet@example.nl"),
    )
    return boss


@pytest.fixture
def client(boss: Membership) -> Client:
    return signed_in(boss)


def at(text: str) -> datetime.datetime:
    """A UTC moment, e.g. at("2026-11-05 13:00")."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


ACTIVITY = {
    "subject": "Offerte bespreken",
    "kind": "meeting",
    "starts_at": "2026-11-05T14:00",
    "ends_at": "2026-11-05T15:30",
    "employee_source_id": "1",
    "notes": "",
}


def subjects(response: Any) -> list[str]:
    return [activity.subject for activity, _employee in response.context["rows"]]


def test_the_list_shows_only_the_companys_activities_and_finds_by_subject_or_notes(
    client: Client, boss: Membership
) -> None:
    ActivityFactory.create(
        company=boss.company, subject="Offerte bespreken", starts_at=at("2026-11-05 09:00")
    )
    ActivityFactory.create(
        company=boss.company,
        subject="Bellen",
        notes="over de offerte",
        starts_at=at("2026-11-04 09:00"),
    )
    ActivityFactory.create(company=boss.company, subject="Lunch", starts_at=at("2026-11-03 09:00"))
    ActivityFactory.create(subject="Foreign offerte")  # another company

    page = client.get("/activities/")
    assert subjects(page) == ["Offerte bespreken", "Bellen", "Lunch"]
    assert "Foreign" not in page.content.decode()
    assert subjects(client.get("/activities/", {"q": "offerte"})) == ["Offerte bespreken", "Bellen"]


def test_filters_by_kind_state_mine_and_local_dates_and_sorts_by_start(
    client: Client, boss: Membership
) -> None:
    make = ActivityFactory.create
    # 23:30 UTC on 4 November is 00:30 on 5 November in Amsterdam.
    make(
        company=boss.company,
        subject="Late call",
        kind="call",
        starts_at=at("2026-11-04 23:30"),
        employee_source_id=1,
    )
    make(
        company=boss.company,
        subject="Task done",
        kind="task",
        done=True,
        starts_at=at("2026-11-05 10:00"),
        employee_source_id=2,
    )
    make(
        company=boss.company,
        subject="Earlier",
        kind="call",
        starts_at=at("2026-11-04 12:00"),
        employee_source_id=1,
    )

    assert subjects(client.get("/activities/", {"kind": "call"})) == ["Late call", "Earlier"]
    assert subjects(client.get("/activities/", {"state": "done"})) == ["Task done"]
    assert subjects(client.get("/activities/", {"state": "open"})) == ["Late call", "Earlier"]
    assert subjects(client.get("/activities/", {"mine": "1"})) == ["Late call", "Earlier"]
    the_fifth = client.get(
        "/activities/", {"from": "2026-11-05", "to": "2026-11-05", "sort": "earliest"}
    )
    assert subjects(the_fifth) == ["Late call", "Task done"]
    assert subjects(client.get("/activities/", {"to": "2026-11-04"})) == ["Earlier"]
    # Nonsense falls back instead of failing.
    nonsense = client.get(
        "/activities/", {"kind": "x", "from": "2026-02-31", "sort": "y", "page": "z"}
    )
    assert nonsense.status_code == 200
    assert len(subjects(nonsense)) == 3


def test_pages_keep_the_filters(client: Client, boss: Membership) -> None:
    start = at("2026-01-01 09:00")
    for n in range(60):
        ActivityFactory.create(
            company=boss.company, kind="call", starts_at=start + datetime.timedelta(hours=n)
        )
    listing = client.get("/activities/", {"kind": "call", "sort": "earliest"}).context["listing"]
    assert len(listing.page) == 50
    assert listing.next_url == "?kind=call&sort=earliest&page=2"
    assert len(client.get("/activities/" + listing.next_url).context["listing"].page) == 10


def test_the_list_and_the_calendar_take_the_same_queries_for_many_activities_as_for_a_few(
    client: Client, boss: Membership
) -> None:
    contact = ContactFactory.create(company=boss.company)
    now = timezone.now()
    ActivityFactory.create_batch(3, company=boss.company, contact=contact, starts_at=now)

    def queries(url: str) -> int:
        return len(queries_of(client, url))

    few = [
        queries(url)
        for url in ("/activities/", "/activities/calendar/", "/activities/calendar/?view=week")
    ]
    for n in range(120):
        ActivityFactory.create(
            company=boss.company,
            contact=ContactFactory.create(company=boss.company),
            starts_at=now + datetime.timedelta(minutes=n),
            sync_state=SyncState.PENDING,
        )
    many = [
        queries(url)
        for url in ("/activities/", "/activities/calendar/", "/activities/calendar/?view=week")
    ]
    list_few, *calendars_few = few
    assert many == [list_few + 1, *calendars_few]  # the count, once the list is longer than a page


def test_a_new_activity_is_stored_in_utc_from_the_companys_local_time_and_queued(
    boss: Membership,
) -> None:
    boss.company.time_zone = "America/New_York"
    boss.company.save()
    contact = ContactFactory.create(company=boss.company)

    response = signed_in(boss).post("/activities/new/", {**ACTIVITY, "contact": contact.pk})

    activity = Activity.objects.get(company=boss.company)
    assert response.status_code == 302
    assert response["Location"] == f"/activities/{activity.pk}/"
    assert activity.starts_at == at("2026-11-05 19:00")  # 14:00 in New York
    assert activity.ends_at == at("2026-11-05 20:30")
    assert activity.contact == contact
    assert activity.sync_state == SyncState.PENDING
    entry = OutboxEntry.objects.get(record_id=activity.pk, table="activities")
    assert entry.op == OutboxEntry.Op.INSERT
    assert entry.values["subject"] == "Offerte bespreken"
    assert entry.values["employee_source_id"] == 1
    detail = signed_in(boss).get(response["Location"]).content.decode()
    assert "14:00" in detail
    assert "Waiting to be sent" in detail


def test_the_new_activity_form_offers_the_members_employee_a_preset_contact_and_day(
    client: Client, boss: Membership
) -> None:
    contact = ContactFactory.create(company=boss.company, name="Bakkerij De Vries")

    page = client.get("/activities/new/", {"contact": contact.pk, "date": "2026-11-05"})

    form = page.context["form"]
    assert form["employee_source_id"].value() == 1
    assert form["contact"].value() == contact.pk
    html = page.content.decode()
    assert 'type="datetime-local" name="starts_at" value="2026-11-05T09:00"' in html
    assert "Bakkerij De Vries" in html
    assert "Piet Jansen" in html  # the employees, by name


def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    client: Client, boss: Membership
) -> None:
    foreign = ContactFactory.create()
    response = client.post(
        "/activities/new/",
        {
            **ACTIVITY,
            "subject": "",
            "kind": "party",
            "ends_at": "2026-11-05T13:00",
            "contact": foreign.pk,
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"subject", "kind", "ends_at", "contact"}
    assert not Activity.objects.exists()
    assert not OutboxEntry.objects.exists()


def test_an_edit_sends_only_the_changed_fields(client: Client, boss: Membership) -> None:
    # The desktop program stored seconds; the minute input showing them is no change.
    activity = ActivityFactory.create(
        company=boss.company,
        subject="Offerte",
        kind="meeting",
        employee_source_id=1,
        starts_at=at("2026-11-05 13:00:42"),
        ends_at=None,
    )
    form = client.get(f"/activities/{activity.pk}/edit/").context["form"]
    assert form["starts_at"].value().hour == 14  # 13:00 UTC is 14:00 in Amsterdam

    response = client.post(
        f"/activities/{activity.pk}/edit/",
        {
            **ACTIVITY,
            "subject": "Offerte (nieuw)",
            "ends_at": "",
            "seen_version": form["seen_version"].value(),
        },
    )

    assert response.status_code == 302
    entry = OutboxEntry.objects.get(record_id=activity.pk, table="activities")
    assert entry.op == OutboxEntry.Op.UPDATE
    assert entry.values == {"subject": "Offerte (nieuw)"}
    assert entry.base == {"subject": "Offerte"}
    activity.refresh_from_db()
    assert activity.starts_at == at("2026-11-05 13:00:42")


def test_a_stale_edit_shows_the_newer_values_and_asks_before_overwriting(
    client: Client, boss: Membership
) -> None:
    activity = ActivityFactory.create(
        company=boss.company,
        subject="Offerte",
        kind="meeting",
        employee_source_id=1,
        starts_at=at("2026-11-05 13:00"),
    )
    seen = client.get(f"/activities/{activity.pk}/edit/").context["form"]["seen_version"].value()
    # Meanwhile a colleague moves it an hour later.
    update_record(record=activity, values={"starts_at": at("2026-11-05 14:00")})

    asked = client.post(
        f"/activities/{activity.pk}/edit/",
        {
            **ACTIVITY,
            "subject": "Offerte",
            "starts_at": "2026-11-05T16:00",
            "ends_at": "",
            "seen_version": seen,
        },
    )

    assert asked.status_code == 409
    newer = asked.context["form"].newer
    assert set(newer) == {"starts_at"}
    assert "3 p.m." in newer["starts_at"]  # their value, 14:00 UTC in the company's time
    assert "Someone changed this record while you were editing it" in asked.content.decode()
    activity.refresh_from_db()
    assert activity.starts_at == at("2026-11-05 14:00")
    again = client.post(
        f"/activities/{activity.pk}/edit/",
        {
            **ACTIVITY,
            "subject": "Offerte",
            "starts_at": "2026-11-05T16:00",
            "ends_at": "",
            "seen_version": asked.context["form"]["seen_version"].value(),
        },
    )
    assert again.status_code == 302
    activity.refresh_from_db()
    assert activity.starts_at == at("2026-11-05 15:00")


def test_mark_done_is_a_post_that_sends_only_done_and_returns_where_it_came_from(
    client: Client, boss: Membership
) -> None:
    activity = ActivityFactory.create(company=boss.company, done=False)
    assert client.get(f"/activities/{activity.pk}/done/").status_code == 405

    response = client.post(f"/activities/{activity.pk}/done/", {"next": "/activities/?state=open"})

    assert response.status_code == 302
    assert response["Location"] == "/activities/?state=open"
    activity.refresh_from_db()
    assert activity.done is True
    assert OutboxEntry.objects.get(record_id=activity.pk, table="activities").values == {
        "done": True
    }
    # Open again; a foreign `next` is not followed.
    back = client.post(
        f"/activities/{activity.pk}/done/", {"done": "0", "next": "https://evil.example/"}
    )
    assert back["Location"] == f"/activities/{activity.pk}/"
    activity.refresh_from_db()
    assert activity.done is False


def test_deleting_asks_first_then_deletes_and_queues_the_delete(
    client: Client, boss: Membership
) -> None:
    activity = ActivityFactory.create(company=boss.company)
    assert (
        "Delete the activity" in client.get(f"/activities/{activity.pk}/delete/").content.decode()
    )
    assert Activity.objects.filter(pk=activity.pk).exists()

    assert client.post(f"/activities/{activity.pk}/delete/").status_code == 302
    assert not Activity.objects.filter(pk=activity.pk).exists()
    assert OutboxEntry.objects.get(source_id=activity.source_id).op == OutboxEntry.Op.DELETE


def test_the_month_shows_each_activity_on_its_local_day_with_the_rest_behind_a_link(
    client: Client, boss: Membership
) -> None:
    # 23:30 UTC on 4 November is 5 November in Amsterdam.
    ActivityFactory.create(
        company=boss.company, subject="Late call", starts_at=at("2026-11-04 23:30")
    )
    for n in range(6):
        ActivityFactory.create(
            company=boss.company, subject=f"Busy {n}", starts_at=at(f"2026-11-12 0{n}:00")
        )
    ActivityFactory.create(
        company=boss.company, subject="December meeting", starts_at=at("2026-12-10 09:00")
    )

    page = client.get("/activities/calendar/", {"date": "2026-11-20"})

    days = {day.date: day for week in page.context["weeks"] for day in week}
    assert [a.subject for a in days[datetime.date(2026, 11, 5)].activities] == ["Late call"]
    assert days[datetime.date(2026, 11, 4)].activities == []
    busy = days[datetime.date(2026, 11, 12)]
    assert [a.subject for a in busy.activities] == ["Busy 0", "Busy 1", "Busy 2", "Busy 3"]
    assert busy.more == 2
    assert busy.list_url == "/activities/?from=2026-11-12&to=2026-11-12&sort=earliest"
    html = page.content.decode()
    assert "2 more" in html
    assert "December meeting" not in html
    assert page.context["weeks"][0][0].date == datetime.date(2026, 10, 26)  # a Monday
    assert page.context["previous_url"] == "?date=2026-10-01"
    assert page.context["next_url"] == "?date=2026-12-01"


def test_the_week_lists_seven_days_and_marks_today(client: Client, boss: Membership) -> None:
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo("Europe/Amsterdam"))
    noon = datetime.datetime.combine(
        today, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam")
    )
    ActivityFactory.create(
        company=boss.company, subject="Vandaag", starts_at=noon, employee_source_id=2
    )
    ActivityFactory.create(
        company=boss.company, subject="Van mij", starts_at=noon, employee_source_id=1
    )

    page = client.get("/activities/calendar/", {"view": "week"})

    days = page.context["days"]
    assert len(days) == 7
    assert days[0].date.isoweekday() == 1
    (current,) = [day for day in days if day.is_today]
    assert current.date == today
    assert [a.subject for a in current.activities] == ["Vandaag", "Van mij"]
    assert 'aria-current="date"' in page.content.decode()
    assert page.context["previous_url"].startswith("?view=week&date=")
    mine = client.get("/activities/calendar/", {"view": "week", "mine": "1"})
    assert [a.subject for day in mine.context["days"] for a in day.activities] == ["Van mij"]


def test_a_member_without_an_employee_is_linked_by_the_e_mail_in_the_hosts_report(
    boss: Membership,
) -> None:
    first = member(company=boss.company, user__email="Piet@Example.nl")
    assert first.employee_id is None
    ActivityFactory.create(company=boss.company, subject="Voor Piet", employee_source_id=2)
    ActivityFactory.create(company=boss.company, subject="Voor Demi", employee_source_id=1)

    page = signed_in(first).get("/activities/", {"mine": "1"})

    assert subjects(page) == ["Voor Piet"]
    first.refresh_from_db()
    assert first.employee_id == 2
    # Nobody else's employee is taken, and without a match nothing is linked.
    stranger = member(company=boss.company, user__email="demi@example.nl")  # Demi is the boss's
    unknown = member(company=boss.company, user__email="nobody@example.nl")
    for membership in (stranger, unknown):
        page = signed_in(membership).get("/activities/", {"mine": "1"})
        assert subjects(page) == []
        assert "not linked to an employee" in page.content.decode()
        membership.refresh_from_db()
        assert membership.employee_id is None


def test_a_member_with_read_only_sees_activities_but_cannot_change_them(boss: Membership) -> None:
    reader = signed_in(member(company=boss.company, template="read_only"))
    activity = ActivityFactory.create(company=boss.company)

    assert reader.get("/activities/").status_code == 200
    assert reader.get("/activities/calendar/").status_code == 200
    detail = reader.get(f"/activities/{activity.pk}/").content.decode()
    assert f"/activities/{activity.pk}/edit/" not in detail
    assert f"/activities/{activity.pk}/done/" not in detail
    assert reader.get("/activities/new/").status_code == 403
    assert reader.post(f"/activities/{activity.pk}/edit/", ACTIVITY).status_code == 403
    assert reader.post(f"/activities/{activity.pk}/done/").status_code == 403
    assert reader.post(f"/activities/{activity.pk}/delete/").status_code == 403
    activity.refresh_from_db()
    assert not activity.done
    assert not OutboxEntry.objects.exists()


def test_without_activities_in_the_plan_there_is_no_menu_item_and_no_page(
    boss: Membership,
) -> None:
    assert 'href="/activities/"' in signed_in(boss).get("/").content.decode()
    plan = PlanFactory.create(services=Service.objects.filter(code=Service.Code.CONTACTS))
    small = signed_in(member(company=AgreementFactory.create(plan=plan).company))

    assert 'href="/activities/"' not in small.get("/").content.decode()
    for url in ("/activities/", "/activities/calendar/", "/activities/new/"):
        assert small.get(url).status_code == 403, url


def test_another_companys_activity_is_not_found(client: Client) -> None:
    foreign = ActivityFactory.create()
    foreign_contact = ContactFactory.create()
    for url in (
        f"/activities/{foreign.pk}/",
        f"/activities/{foreign.pk}/edit/",
        f"/activities/{foreign.pk}/delete/",
        f"/activities/new/?contact={foreign_contact.pk}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/activities/{foreign.pk}/edit/",
        f"/activities/{foreign.pk}/done/",
        f"/activities/{foreign.pk}/delete/",
    ):
        assert client.post(url, ACTIVITY).status_code == 404, url
    foreign.refresh_from_db()
    assert not foreign.done
