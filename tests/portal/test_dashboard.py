"""The dashboard: focus areas by rights, arranged per membership, the synchronisation chart
from real runs, today's activities, and the banner of a silent sync host on every page."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format
from pytest_django.fixtures import Settings

from accounts.models import Membership
from licensing.models import Service
from portal.focus_areas import record_url
from portal.models import FocusArea, Stream
from records.models import Order, SyncState
from syncengine.models import SyncLink, SyncRun
from syncengine.services import record_heartbeat
from tests.factories import (
    Activatable,
    ActivityFactory,
    AgreementFactory,
    ContactFactory,
    MembershipFactory,
    OrderFactory,
    PlanFactory,
    connect,
    make_activatable,
    member,
    queries_of,
    signed_in,
)

pytestmark = pytest.mark.django_db


def streams(client: Client) -> list[str]:
    return [area.stream for area in client.get("/").context["focus_areas"]]


def arrange(client: Client, stream: str, action: str) -> Any:
    return client.post("/dashboard/focus-areas/", {"stream": stream, "action": action})


@pytest.fixture
def boss() -> Membership:
    return member()


# --- which focus areas, in which order ---------------------------------------------------------


def test_a_super_user_sees_every_focus_area_in_the_default_order(boss: Membership) -> None:
    page = signed_in(boss).get("/")

    assert [area.stream for area in page.context["focus_areas"]] == [
        "sync_history",
        "activities_today",
        "recent_contacts",
        "open_orders",
    ]
    assert page.context["hidden_focus_areas"] == []
    assert "Synchronisation history" in page.text


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("sales", ["activities_today", "recent_contacts", "open_orders"]),
        ("time_registration", ["recent_contacts"]),
        ("read_only", ["activities_today", "recent_contacts", "open_orders"]),
    ],
)
def test_a_member_sees_the_focus_areas_of_the_work_areas_they_may_read(
    boss: Membership, template: str, expected: list[str]
) -> None:
    colleague = signed_in(member(company=boss.company, template=template))
    page = colleague.get("/")

    assert [area.stream for area in page.context["focus_areas"]] == expected
    assert "Synchronisation history" not in page.text


def test_a_work_area_outside_the_plan_has_no_focus_area_even_for_a_super_user() -> None:
    plan = PlanFactory.create(services=[Service.objects.get(code="contacts")])
    agreement = AgreementFactory.create(plan=plan)
    boss = member(company=agreement.company)

    assert streams(signed_in(boss)) == ["sync_history", "recent_contacts"]


# --- arranging: show, hide, move; per membership ------------------------------------------------


def test_hiding_and_moving_are_kept_for_that_membership_only(boss: Membership) -> None:
    client = signed_in(boss)

    assert arrange(client, "recent_contacts", "hide").status_code == 302
    response = arrange(client, "open_orders", "up")
    assert response["Location"] == "/#focus-open_orders"

    page = client.get("/")
    assert [area.stream for area in page.context["focus_areas"]] == [
        "sync_history",
        "open_orders",
        "activities_today",
    ]
    assert [area.stream for area in page.context["hidden_focus_areas"]] == ["recent_contacts"]
    assert 'id="focus-recent_contacts"' not in page.text
    hidden = page.text[page.text.index('id="hidden-focus-areas"') :]
    assert 'name="stream" value="recent_contacts"' in hidden
    assert 'name="action" value="show"' in hidden
    # A colleague, and the same ID in another company, keep their own (default) dashboard.
    colleague = member(company=boss.company)
    assert streams(signed_in(colleague)) == Stream.values
    elsewhere = member(user=boss.user)
    other_company = signed_in(boss)
    other_company.post("/company/switch/", {"company": elsewhere.company_id})
    assert streams(other_company) == Stream.values


def test_a_hidden_focus_area_shown_again_returns_to_its_place(boss: Membership) -> None:
    client = signed_in(boss)
    arrange(client, "activities_today", "hide")
    arrange(client, "open_orders", "up")  # past the hidden one: now before the contacts

    assert streams(client) == ["sync_history", "open_orders", "recent_contacts"]
    arrange(client, "activities_today", "show")
    assert streams(client) == [
        "sync_history",
        "activities_today",
        "open_orders",
        "recent_contacts",
    ]


def test_moving_passes_over_focus_areas_the_member_does_not_see(boss: Membership) -> None:
    sales = member(company=boss.company, template="sales")
    client = signed_in(sales)

    # The synchronisation history stands first but is the super users': nothing to pass.
    arrange(client, "activities_today", "up")
    assert streams(client) == ["activities_today", "recent_contacts", "open_orders"]
    arrange(client, "open_orders", "up")
    arrange(client, "open_orders", "up")
    assert streams(client) == ["open_orders", "activities_today", "recent_contacts"]
    arrange(client, "open_orders", "down")
    assert streams(client) == ["activities_today", "open_orders", "recent_contacts"]


def test_the_first_and_last_focus_areas_offer_only_the_moves_they_can_make(
    boss: Membership,
) -> None:
    page = signed_in(boss).get("/").text
    first = page[page.index('id="focus-sync_history"') : page.index('id="focus-activities_today"')]
    last = page[page.index('id="focus-open_orders"') :]

    assert 'value="up"' not in first
    assert 'value="down"' in first
    assert 'value="up"' in last
    assert 'value="down"' not in last.split("</form>")[0]


def test_arranging_refuses_what_the_member_may_not_see_and_nonsense(boss: Membership) -> None:
    sales = signed_in(member(company=boss.company, template="sales"))

    assert arrange(sales, "sync_history", "show").status_code == 403
    assert arrange(sales, "payroll", "hide").status_code == 400
    assert arrange(sales, "open_orders", "explode").status_code == 400
    assert sales.get("/dashboard/focus-areas/").status_code == 405
    assert not FocusArea.objects.exists()


def test_arranging_needs_a_membership() -> None:
    nobody = MembershipFactory.create()
    client = signed_in(nobody)
    nobody.delete()

    assert arrange(client, "recent_contacts", "hide").status_code == 404
    assert Client().post("/dashboard/focus-areas/", {}).status_code == 302  # to sign in


# --- what the focus areas show ------------------------------------------------------------------


def _run(link: SyncLink, *, at: datetime.datetime, **fields: Any) -> SyncRun:
    return SyncRun.objects.create(
        link=link,
        kind=fields.pop("kind", SyncRun.Kind.INCREMENTAL),
        state=SyncRun.State.DONE,
        scheduled_for=at,
        started_at=at,
        finished_at=at,
        **fields,
    )


def test_the_chart_counts_the_changes_in_and_out_of_each_day_of_the_companys_time_zone() -> None:
    made = make_activatable()
    company = made.membership.company
    company.time_zone = "America/New_York"
    company.save()
    link = connect(made)
    zone = zoneinfo.ZoneInfo("America/New_York")
    today = datetime.datetime.now(zone).date()
    yesterday_evening = datetime.datetime.combine(
        today - datetime.timedelta(days=1), datetime.time(20, 0), zone
    )  # already "today" in Amsterdam: the company's day counts
    now = timezone.now()
    _run(link, at=now, counts_in={"contacts": 3, "orders": 2}, counts_out={"contacts": 1})
    _run(link, at=now, counts_out={"activities": 4}, conflicts=2)
    _run(link, at=yesterday_evening, counts_in={"contacts": 7})
    _run(link, at=now - datetime.timedelta(days=20), counts_in={"contacts": 100})
    # The first synchronisation copies the database: that is no change.
    _run(link, at=now, kind=SyncRun.Kind.INITIAL, counts_in={"contacts": 5000})
    # Another company's runs are not this company's.
    _run(connect(make_activatable()), at=now, counts_in={"contacts": 50})

    page = signed_in(made.membership).get("/")

    history = page.context["focus_areas"][0].data
    days = history["days"]
    assert len(days) == 14
    assert days[-1].day == today
    assert (days[-1].changes_in, days[-1].changes_out, days[-1].conflicts) == (5, 5, 2)
    assert (days[-2].changes_in, days[-2].changes_out) == (7, 0)
    assert sum(day.changes_in for day in days[:-2]) == 0
    assert (history["changes_in"], history["changes_out"]) == (12, 5)
    # The tallest bar is the busiest day; the text alternative says the same in words.
    assert days[-2].in_height == 80
    assert days[-1].in_height == pytest.approx(80 * 5 / 7, abs=0.1)
    assert "Changes of the last 14 days: 12 in, 5 out" in page.text
    assert [(run.total_in, run.total_out) for run in history["runs"]][:3] == [
        (5000, 0),
        (0, 4),
        (5, 1),
    ]


def test_the_sync_history_says_so_when_nothing_was_synchronised(boss: Membership) -> None:
    page = signed_in(boss).get("/")
    assert "No synchronisation yet." in page.text
    assert "<svg" not in page.text


def test_todays_activities_are_the_members_own_when_the_membership_knows_its_employee(
    boss: Membership,
) -> None:
    now = timezone.now()
    mine = ActivityFactory.create(company=boss.company, subject="Mine", employee_source_id=7)
    ActivityFactory.create(company=boss.company, subject="Piet's", employee_source_id=8)
    for when in (now - datetime.timedelta(days=1), now + datetime.timedelta(days=1)):
        ActivityFactory.create(
            company=boss.company, subject="Not today", employee_source_id=7, starts_at=when
        )
    ActivityFactory.create(subject="Foreign", employee_source_id=7)  # another company

    everyone = signed_in(boss).get("/")
    own = signed_in(member(company=boss.company, template="sales", employee_id=7)).get("/")

    def subjects(page: Any) -> list[str]:
        area = next(a for a in page.context["focus_areas"] if a.stream == "activities_today")
        return sorted(activity.subject for activity in area.data["activities"])

    assert subjects(everyone) == ["Mine", "Piet's"]
    assert subjects(own) == ["Mine"]
    assert f'href="/activities/{mine.pk}/"' in own.text
    assert "Not today" not in everyone.text
    assert "Foreign" not in everyone.text


def test_recently_changed_contacts_come_newest_first_with_their_badge_and_link(
    boss: Membership,
) -> None:
    old = ContactFactory.create(company=boss.company, name="Oud B.V.")
    pending = ContactFactory.create(
        company=boss.company, name="Nieuw B.V.", sync_state=SyncState.PENDING
    )
    ContactFactory.create(name="Vreemd B.V.")  # another company
    type(old).objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - datetime.timedelta(hours=2)
    )

    page = signed_in(boss).get("/")

    area = next(a for a in page.context["focus_areas"] if a.stream == "recent_contacts")
    assert [c.name for c in area.data["contacts"]] == ["Nieuw B.V.", "Oud B.V."]
    section = page.text[page.text.index('id="focus-recent_contacts"') :]
    assert f'href="/contacts/{pending.pk}/"' in section
    assert "Waiting to be sent" in section.split("</section>")[0]
    assert "Vreemd B.V." not in page.text


def test_open_orders_are_the_quotes_and_orders_not_invoiced_or_cancelled(
    boss: Membership,
) -> None:
    for number, status in [
        ("Q-1", Order.Status.QUOTE),
        ("O-1", Order.Status.ORDER),
        ("I-1", Order.Status.INVOICED),
        ("C-1", Order.Status.CANCELLED),
    ]:
        OrderFactory.create(company=boss.company, number=number, status=status)
    OrderFactory.create(number="F-1")  # another company

    page = signed_in(boss).get("/")

    area = next(a for a in page.context["focus_areas"] if a.stream == "open_orders")
    assert sorted(order.number for order in area.data["orders"]) == ["O-1", "Q-1"]
    assert "F-1" not in page.text


def test_a_record_links_to_its_page_else_to_its_list_else_nowhere() -> None:
    # The activities and orders pages come from other work areas; until they exist the
    # dashboard falls back instead of failing.
    assert record_url("portal:contact_detail", 5, fallback="portal:contacts") == "/contacts/5/"
    assert record_url("portal:no_such_page", 5, fallback="portal:contacts") == "/contacts/"
    assert record_url("portal:no_such_page", 5, fallback="portal:no_such_list") is None


# --- the banner of a silent sync host -----------------------------------------------------------


def test_the_banner_shows_on_every_page_once_the_sync_host_is_silent_too_long(
    settings: Settings,
) -> None:
    settings.SYNC_HOST_SILENT_MINUTES = 15
    made = make_activatable()
    made.membership.company.time_zone = "Asia/Tokyo"
    made.membership.company.save()
    connect(made)
    reader = member(company=made.membership.company, template="read_only")
    heard = timezone.now() - datetime.timedelta(minutes=14)
    made.host.last_heartbeat_at = heard
    made.host.save()

    assert "has not been heard from" not in signed_in(made.membership).get("/").text

    heard = timezone.now() - datetime.timedelta(minutes=16)
    made.host.last_heartbeat_at = heard
    made.host.save()

    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        local = date_format(timezone.localtime(heard), "SHORT_DATETIME_FORMAT")
    boss_page = signed_in(made.membership).get("/").text
    assert (
        f"The sync host {made.host.name} has not been heard from since {local}; changes made "
        "here wait until it is back." in boss_page
    )
    assert 'href="/company/hosts/"' in _banner(boss_page)
    reader_page = signed_in(reader).get("/contacts/").text
    assert made.host.name in _banner(reader_page)
    assert 'href="/company/hosts/"' not in _banner(reader_page)


def _banner(page: str) -> str:
    start = page.index('class="notice notice--warning sync-banner"')
    return page[start : page.index("</p>", start)]


def _a_silent_host(settings: Settings) -> tuple[Activatable, SyncLink]:
    """A connected company whose sync host has not been heard from for 3 hours."""
    settings.SYNC_HOST_SILENT_MINUTES = 15
    made = make_activatable()
    link = connect(made)
    made.host.last_heartbeat_at = timezone.now() - datetime.timedelta(hours=3)
    made.host.save()
    return made, link


def test_no_banner_for_a_database_that_is_not_connected(settings: Settings) -> None:
    made, link = _a_silent_host(settings)
    client = signed_in(made.membership)
    assert "sync-banner" in client.get("/").text

    link.set_state(SyncLink.State.PAUSED)

    assert "sync-banner" not in client.get("/").text


def test_the_banner_goes_at_the_next_request_once_the_host_is_heard_from_again(
    settings: Settings,
) -> None:
    made, _link = _a_silent_host(settings)
    client = signed_in(made.membership)
    assert "sync-banner" in client.get("/contacts/").text

    record_heartbeat(host=made.host)

    assert "sync-banner" not in client.get("/contacts/").text


def test_the_next_page_shows_the_banner_without_asking_the_database_again(
    settings: Settings,
) -> None:
    made, _link = _a_silent_host(settings)
    client = signed_in(made.membership)

    queries = queries_of(client, "/contacts/")

    assert made.host.name in _banner(client.get("/contacts/").text)
    assert [sql for sql in queries if "syncengine_synchost" in sql] == []


def test_a_link_changes_state_and_a_host_reports_while_the_cache_is_unreachable(
    settings: Settings,
) -> None:
    made, link = _a_silent_host(settings)
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.redis_cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
        }
    }

    link.set_state(SyncLink.State.PAUSED)
    record_heartbeat(host=made.host)

    link.refresh_from_db()
    made.host.refresh_from_db()
    assert link.state == SyncLink.State.PAUSED
    assert made.host.is_online()


# --- queries ------------------------------------------------------------------------------------


def test_the_header_and_the_dashboard_read_the_memberships_in_one_query(
    boss: Membership,
) -> None:
    member(user=boss.user)  # a second company: the header shows the picker
    client = signed_in(boss)

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/")

    assert len(page.context["memberships"]) == 2
    reads = [q["sql"] for q in queries if 'FROM "accounts_membership"' in q["sql"]]
    assert len(reads) == 1, reads


def test_the_dashboard_takes_the_same_queries_for_many_rows_as_for_few() -> None:
    made = make_activatable()
    company = made.membership.company
    link = connect(made)
    made.host.last_heartbeat_at = timezone.now() - datetime.timedelta(hours=1)
    made.host.save()  # the banner shows too
    now = timezone.now()

    def add(n: int) -> None:
        for i in range(n):
            ContactFactory.create(company=company, sync_state=SyncState.PENDING)
            ActivityFactory.create(company=company, contact=ContactFactory.create(company=company))
            OrderFactory.create(company=company, status=Order.Status.QUOTE)
            _run(link, at=now - datetime.timedelta(days=i % 20), counts_in={"contacts": i})

    client = signed_in(made.membership)
    add(2)
    few = queries_of(client, "/")
    add(30)
    many = queries_of(client, "/")

    assert "sync-banner" in client.get("/").text
    assert len(many) == len(few)
    assert len(few) <= 20, few
