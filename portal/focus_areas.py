"""The dashboard's focus areas (info streams): who may see each, and what each shows.

Each area reads a handful of rows through an index of its work area (a company of 100,000
contacts must not slow the dashboard down), so the page takes the same queries for a big
company as for a small one.
"""

from __future__ import annotations

import datetime
import operator
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import F, IntegerField, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.urls import NoReverseMatch, reverse

from accounts.models import Membership
from accounts.rights import Area
from portal.models import FocusArea, Stream
from records.models import RECORD_MODELS, Contact, Order
from syncengine.models import SyncRun

LIST_LENGTH = 8
RUN_HISTORY_LENGTH = 5
CHART_DAYS = 14
# What the dashboard shows of a run (not its progress, checkpoints and timings).
RUN_FIELDS = (
    "kind",
    "state",
    "scheduled_for",
    "started_at",
    "counts_in",
    "counts_out",
    "conflicts",
    "rejected",
)

# The work area each focus area shows; the synchronisation history is the super users'.
AREA_OF: dict[str, str] = {
    Stream.ACTIVITIES_TODAY: Area.ACTIVITIES,
    Stream.RECENT_CONTACTS: Area.CONTACTS,
    Stream.OPEN_ORDERS: Area.ORDERS,
}


def may_see(membership: Membership, stream: str) -> bool:
    """May `membership` have focus area `stream` on the dashboard: read rights on its work
    area (plan and profile), and for the synchronisation history, be a super user."""
    if stream == Stream.SYNC_HISTORY:
        return membership.is_super_user
    return membership.can(AREA_OF[stream])


def record_url(name: str, record_id: int, *, fallback: str) -> str | None:
    """The URL of a record's page, else of its work area's list, else None.

    The activities and orders pages are being built alongside the dashboard; until their URL
    names exist the dashboard links to what does (the fallback goes once they are merged).
    """
    try:
        return reverse(name, args=[record_id])
    except NoReverseMatch:
        try:
            return reverse(fallback)
        except NoReverseMatch:
            return None


# --- synchronisation history ------------------------------------------------------------------


def total(counts: Mapping[str, Any]) -> int:
    """Rows of a run's counts per table (counts_in / counts_out), all tables together."""
    return sum(value for value in counts.values() if isinstance(value, int))


@dataclass(frozen=True)
class ChartDay:
    """One day of the chart: the changes in and out, and where its two bars go in the SVG."""

    day: datetime.date
    changes_in: int
    changes_out: int
    conflicts: int
    x: int
    in_y: float
    in_height: float
    out_y: float
    out_height: float


CHART_BAR_AREA = 80  # SVG units of the bars' height; the day labels sit below
CHART_DAY_WIDTH = 20


def chart_days(
    tallies: Mapping[datetime.date, tuple[int, int, int]], *, today: datetime.date
) -> list[ChartDay]:
    """The last CHART_DAYS days up to `today`, each with its changes in, out and conflicts
    from `tallies` (by day; a day without an entry had none)."""
    first = today - datetime.timedelta(days=CHART_DAYS - 1)
    days = [first + datetime.timedelta(days=n) for n in range(CHART_DAYS)]
    counts = [tallies.get(day, (0, 0, 0)) for day in days]
    highest = max([1] + [max(changes_in, changes_out) for changes_in, changes_out, _ in counts])

    def height(value: int) -> float:
        return round(value / highest * CHART_BAR_AREA, 1)

    return [
        ChartDay(
            day=day,
            changes_in=changes_in,
            changes_out=changes_out,
            conflicts=conflicts,
            x=index * CHART_DAY_WIDTH,
            in_y=CHART_BAR_AREA - height(changes_in),
            in_height=height(changes_in),
            out_y=CHART_BAR_AREA - height(changes_out),
            out_height=height(changes_out),
        )
        for index, (day, (changes_in, changes_out, conflicts)) in enumerate(
            zip(days, counts, strict=True)
        )
    ]


def rows_of(field: str) -> Sum:
    """The sum of a run's counts per table (counts_in or counts_out), added up in the
    database: the tables are the record tables the engine counts by."""
    per_table = [
        Coalesce(Cast(KeyTextTransform(table, field), IntegerField()), 0) for table in RECORD_MODELS
    ]
    return Sum(reduce(operator.add, per_table))


def sync_history(membership: Membership, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """The company's last runs (unfinished ones first), and its changes of the last
    CHART_DAYS days per day of the company's time zone, summed in the database (a sync every
    half minute is 40,000 runs in two weeks). The first synchronisation's copy is not a
    change: only incremental runs are charted."""
    runs = SyncRun.objects.filter(link__company=membership.company)
    recent = list(
        runs.only(*RUN_FIELDS).order_by(F("finished_at").desc(nulls_first=True), "-pk")[
            :RUN_HISTORY_LENGTH
        ]
    )
    for run in recent:
        run.total_in = total(run.counts_in)  # type: ignore[attr-defined]
        run.total_out = total(run.counts_out)  # type: ignore[attr-defined]
    today = datetime.datetime.now(zone).date()
    since = datetime.datetime.combine(
        today - datetime.timedelta(days=CHART_DAYS - 1), datetime.time(), zone
    )
    per_day = (
        runs.filter(kind=SyncRun.Kind.INCREMENTAL, finished_at__gte=since)
        .annotate(day=TruncDate("finished_at", tzinfo=zone))
        .order_by()
        .values("day")
        .annotate(
            changes_in=rows_of("counts_in"),
            changes_out=rows_of("counts_out"),
            conflict_count=Sum("conflicts"),
        )
    )
    days = chart_days(
        {
            row["day"]: (
                row["changes_in"] or 0,
                row["changes_out"] or 0,
                row["conflict_count"] or 0,
            )
            for row in per_day
        },
        today=today,
    )
    return {
        "runs": recent,
        "days": days,
        "changes_in": sum(day.changes_in for day in days),
        "changes_out": sum(day.changes_out for day in days),
        "conflicts": sum(day.conflicts for day in days),
        "chart_width": CHART_DAYS * CHART_DAY_WIDTH,
        "chart_bar_area": CHART_BAR_AREA,
    }


# --- the work areas' streams ------------------------------------------------------------------


def activities_today(membership: Membership, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """Today's activities (the company's day) of the member's own employee where the
    membership knows it, else everyone's; by start time."""
    today = datetime.datetime.now(zone).date()
    start = datetime.datetime.combine(today, datetime.time(), zone)
    activities = membership.company.activities.filter(
        starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1)
    )
    own = membership.employee_id is not None
    if own:
        activities = activities.filter(employee_source_id=membership.employee_id)
    rows = list(activities.select_related("contact").order_by("starts_at", "pk")[: LIST_LENGTH + 1])
    for activity in rows:
        activity.url = record_url(  # type: ignore[attr-defined]
            "portal:activity_detail", activity.pk, fallback="portal:activities"
        )
    return {
        "activities": rows[:LIST_LENGTH],
        "more": len(rows) > LIST_LENGTH,
        "own": own,
        "list_url": record_list_url("portal:activities"),
    }


def recent_contacts(membership: Membership, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """The company's contacts changed last (online or in the company database)."""
    contacts: list[Contact] = list(
        membership.company.contacts.order_by("-updated_at", "-pk")[:LIST_LENGTH]
    )
    for contact in contacts:
        contact.url = reverse("portal:contact_detail", args=[contact.pk])  # type: ignore[attr-defined]
    return {"contacts": contacts, "list_url": reverse("portal:contacts") + "?sort=changed"}


def open_orders(membership: Membership, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """The company's quotes and orders not yet invoiced or cancelled, newest first."""
    orders: list[Order] = list(
        membership.company.orders.filter(status__in=[Order.Status.QUOTE, Order.Status.ORDER])
        .select_related("contact")
        .order_by("-order_date", "-pk")[: LIST_LENGTH + 1]
    )
    for order in orders:
        order.url = record_url("portal:order_detail", order.pk, fallback="portal:orders")  # type: ignore[attr-defined]
    return {
        "orders": orders[:LIST_LENGTH],
        "more": len(orders) > LIST_LENGTH,
        "list_url": record_list_url("portal:orders"),
    }


def record_list_url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


BUILDERS: dict[str, Callable[[Membership, zoneinfo.ZoneInfo], dict[str, Any]]] = {
    Stream.SYNC_HISTORY: sync_history,
    Stream.ACTIVITIES_TODAY: activities_today,
    Stream.RECENT_CONTACTS: recent_contacts,
    Stream.OPEN_ORDERS: open_orders,
}


@dataclass
class Shown:
    """A focus area on the dashboard: its stream, its data, and its neighbours for moving."""

    stream: str
    label: Any
    data: dict[str, Any]
    first: bool
    last: bool


def dashboard_of(membership: Membership) -> tuple[list[Shown], list[FocusArea]]:
    """The focus areas `membership` sees, in its order with their data, and the ones it
    hid (that it may see), to offer showing them again."""
    zone = zoneinfo.ZoneInfo(membership.company.time_zone)
    layout = [
        area for area in FocusArea.objects.layout_of(membership) if may_see(membership, area.stream)
    ]
    shown = [area for area in layout if area.shown]
    return (
        [
            Shown(
                stream=area.stream,
                label=Stream(area.stream).label,
                data=BUILDERS[area.stream](membership, zone),
                first=index == 0,
                last=index == len(shown) - 1,
            )
            for index, area in enumerate(shown)
        ],
        [area for area in layout if not area.shown],
    )
