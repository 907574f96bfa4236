"""Activities and their calendar: the work area "activities".

Times are the company's local times on every page and in every form (in_company_time); the
store keeps UTC. An activity's employee is an employee of the company database (not a record):
their names come from the sync host's latest report (portal.employees).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber, TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Membership
from accounts.rights import Area, Level
from portal.company import area_required
from portal.desk import (
    RecordForm,
    Sort,
    in_company_time,
    list_page,
    record_choice,
    record_form_page,
)
from portal.employees import Employee, employees_of, link_employee
from records.models import Activity, Contact
from records.services import RecordInUse, delete_record, update_record

SORTS = {
    "latest": Sort(gettext_lazy("Latest first"), ("-starts_at", "-pk")),
    "earliest": Sort(gettext_lazy("Earliest first"), ("starts_at", "pk")),
}

STATES = {"open": Q(done=False), "done": Q(done=True)}

# A calendar day shows this many activities and links to the list for the rest: a busy
# company's month must stay one bounded query and a readable page.
PER_DAY = {"month": 4, "week": 25}


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the current (the company's) time zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _from(value: str) -> Q | None:
    day = _date(value)
    return Q(starts_at__gte=_day_start(day)) if day else None


def _to(value: str) -> Q | None:
    day = _date(value)
    return Q(starts_at__lt=_day_start(day + datetime.timedelta(days=1))) if day else None


def _date(value: str | None) -> datetime.date | None:
    try:
        return parse_date(value or "")
    except ValueError:  # well-formed but impossible, e.g. 2026-02-31
        return None


def _kind(value: str) -> Q | None:
    return Q(kind=value) if value in Activity.Kind.values else None


def _mine(employee_id: int | None) -> Any:
    def condition(value: str) -> Q | None:
        if value != "1":
            return None
        # Without a known employee nothing is the member's: an empty list, not everyone's.
        return Q(employee_source_id=employee_id) if employee_id is not None else Q(pk__in=[])

    return condition


def _activity(membership: Membership, activity_id: int) -> Activity:
    return get_object_or_404(
        membership.company.activities.select_related("contact"), pk=activity_id
    )


def _employee_name(employees: dict[int, Employee], employee_id: int | None) -> str:
    if employee_id is None:
        return ""
    found = employees.get(employee_id)
    return found.name if found else _("Employee %(id)s") % {"id": employee_id}


# --- the list ------------------------------------------------------------------------------------


@area_required(Area.ACTIVITIES)
@require_GET
@in_company_time
def activities(request: HttpRequest, membership: Membership) -> HttpResponse:
    employee_id = link_employee(membership)
    listing = list_page(
        request,
        membership.company.activities.select_related("contact"),
        search=Activity.matching,
        sorts=SORTS,
        filters={
            "kind": _kind,
            "state": STATES.get,
            "mine": _mine(employee_id),
            "from": _from,
            "to": _to,
        },
    )
    employees = employees_of(membership.company)
    rows = [
        (activity, _employee_name(employees, activity.employee_source_id))
        for activity in listing.page
    ]
    return render(
        request,
        "portal/activities/list.html",
        {
            "listing": listing,
            "rows": rows,
            "kinds": Activity.Kind.choices,
            "filters": listing.params,
            "filtered": any(key != "sort" for key in listing.params),
            "has_employee": employee_id is not None,
            "may_write": membership.can(Area.ACTIVITIES, Level.FULL),
            "here": request.get_full_path(),
        },
    )


# --- the calendar --------------------------------------------------------------------------------


@dataclass
class Day:
    date: datetime.date
    in_range: bool  # a day of the month shown (the grid also shows the weeks' other days)
    is_today: bool
    activities: list[Activity] = field(default_factory=list)
    total: int = 0
    list_url: str = ""  # the list of all the day's activities

    @property
    def more(self) -> int:
        return self.total - len(self.activities)

    @property
    def is_weekend(self) -> bool:
        return self.date.isoweekday() >= 6


def _calendar_days(
    queryset: QuerySet[Activity], first: datetime.date, last: datetime.date, per_day: int
) -> dict[datetime.date, Day]:
    """Days `first`..`last` with at most `per_day` activities each (the earliest) and how many
    there are in all: one query whatever the company's size, using its (company, start) index
    for the range."""
    today = timezone.localdate()
    days = {
        first + datetime.timedelta(days=n): Day(
            date=first + datetime.timedelta(days=n),
            in_range=True,
            is_today=first + datetime.timedelta(days=n) == today,
        )
        for n in range((last - first).days + 1)
    }
    local_day = TruncDate("starts_at", tzinfo=timezone.get_current_timezone())
    rows = (
        queryset.filter(
            starts_at__gte=_day_start(first),
            starts_at__lt=_day_start(last + datetime.timedelta(days=1)),
        )
        .select_related("contact")
        .annotate(
            day=local_day,
            place=Window(
                RowNumber(),
                partition_by=[local_day],
                order_by=[F("starts_at").asc(), F("pk").asc()],
            ),
            day_total=Window(Count("pk"), partition_by=[local_day]),
        )
        .filter(place__lte=per_day)
        .order_by("starts_at", "pk")
    )
    for activity in rows:
        day = days.get(activity.day)
        if day is not None:
            day.activities.append(activity)
            day.total = activity.day_total
    return days


def _month_grid(month: datetime.date, days: dict[datetime.date, Day]) -> list[list[Day]]:
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        for day in week:
            days[day].in_range = day.month == month.month
        weeks.append([days[day] for day in week])
    return weeks


@area_required(Area.ACTIVITIES)
@require_GET
@in_company_time
def activity_calendar(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The month (default) or, with ?view=week, the week of ?date= (today without it)."""
    view = "week" if request.GET.get("view") == "week" else "month"
    today = timezone.localdate()
    anchor = _date(request.GET.get("date")) or today
    mine = request.GET.get("mine") == "1"
    queryset = membership.company.activities.all()
    employee_id = link_employee(membership)
    if mine:
        queryset = queryset.filter(_mine(employee_id)("1"))
    if view == "week":
        first = anchor - datetime.timedelta(days=anchor.weekday())
        last = first + datetime.timedelta(days=6)
        previous, following = first - datetime.timedelta(days=7), last + datetime.timedelta(days=1)
    else:
        month = anchor.replace(day=1)
        weeks_of_month = calendar.Calendar(firstweekday=0).monthdatescalendar(
            month.year, month.month
        )
        first, last = weeks_of_month[0][0], weeks_of_month[-1][-1]
        previous = (month - datetime.timedelta(days=1)).replace(day=1)
        following = (month + datetime.timedelta(days=32)).replace(day=1)
    days = _calendar_days(queryset, first, last, PER_DAY[view])

    def url(**changes: Any) -> str:
        params = {"view": view if view == "week" else None, "mine": "1" if mine else None}
        params.update(changes)
        return "?" + urlencode({k: v for k, v in params.items() if v})

    def list_url(day: datetime.date) -> str:
        params = {"from": day.isoformat(), "to": day.isoformat(), "sort": "earliest"}
        if mine:
            params["mine"] = "1"
        return reverse("portal:activities") + "?" + urlencode(params)

    for day in days.values():
        day.list_url = list_url(day.date)
    context: dict[str, Any] = {
        "view": view,
        "mine": mine,
        "has_employee": employee_id is not None,
        "first": first,
        "last": last,
        "anchor": anchor,
        "today": today,
        "previous_url": url(date=previous.isoformat()),
        "next_url": url(date=following.isoformat()),
        "today_url": url(),
        "month_url": "?"
        + urlencode({"date": anchor.isoformat(), **({"mine": "1"} if mine else {})}),
        "week_url": "?"
        + urlencode(
            {"view": "week", "date": anchor.isoformat(), **({"mine": "1"} if mine else {})}
        ),
        "everyones_url": url(date=anchor.isoformat(), mine=None),
        "mine_url": url(date=anchor.isoformat(), mine="1"),
        "may_write": membership.can(Area.ACTIVITIES, Level.FULL),
        "here": request.get_full_path(),
    }
    if view == "week":
        context["days"] = list(days.values())
        context["week_number"] = first.isocalendar().week
    else:
        context["month"] = anchor.replace(day=1)
        context["weeks"] = _month_grid(anchor.replace(day=1), days)
        context["weekdays"] = [day.date for day in context["weeks"][0]]
    return render(request, "portal/activities/calendar.html", context)


# --- one activity --------------------------------------------------------------------------------


class LocalDateTimeField(forms.DateTimeField):
    """A date and time in the company's zone, to the minute (as a datetime-local input gives)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def has_changed(self, initial: Any, data: Any) -> bool:
        # The input shows minutes: seconds that the desktop program stored are no change.
        try:
            value = self.to_python(data)
        except forms.ValidationError:
            return True
        if initial in (None, "") or value is None:
            return (initial in (None, "")) != (value is None)
        return bool(initial.replace(second=0, microsecond=0) != value)


class ActivityForm(RecordForm):
    contact = record_choice(
        Contact.objects.all(),
        lookup="portal:contact_lookup",
        label=gettext_lazy("Contact"),
        required=False,
    )
    employee_source_id = forms.TypedChoiceField(
        label=gettext_lazy("Employee"), coerce=int, empty_value=None, required=False
    )

    class Meta:
        model = Activity
        fields = [
            "subject",
            "kind",
            "starts_at",
            "ends_at",
            "done",
            "contact",
            "employee_source_id",
            "notes",
        ]
        field_classes = {"starts_at": LocalDateTimeField, "ends_at": LocalDateTimeField}
        widgets = {
            "subject": forms.TextInput(attrs={"autocomplete": "off"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        self.fields["starts_at"].help_text = _("In the company's time zone, %(zone)s.") % {
            "zone": zone
        }
        self.fields["ends_at"].help_text = _("Optional; not before the start.")
        # The employees of the company database (who left: only when already chosen).
        current = self.initial.get("employee_source_id", self.instance.employee_source_id)
        choices: list[tuple[Any, str]] = [("", _("(nobody)"))]
        employees = employees_of(self.company)
        for employee in employees.values():
            if employee.is_active or employee.id == current:
                choices.append((employee.id, employee.name))
        if current is not None and current not in employees:
            choices.append((current, _("Employee %(id)s") % {"id": current}))
        self.fields["employee_source_id"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts is not None and ends is not None and ends < starts:
            self.add_error("ends_at", _("The end cannot be before the start."))
        return cleaned


def _initial_start(day: datetime.date | None) -> datetime.datetime:
    """A new activity starts at 9:00 on a chosen day, else at the next full hour."""
    if day is not None:
        return datetime.datetime.combine(
            day, datetime.time(9), tzinfo=timezone.get_current_timezone()
        )
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    return now + datetime.timedelta(hours=1)


@area_required(Area.ACTIVITIES)
@require_GET
@in_company_time
def activity_detail(request: HttpRequest, membership: Membership, activity_id: int) -> HttpResponse:
    activity = _activity(membership, activity_id)
    return render(
        request,
        "portal/activities/detail.html",
        {
            "activity": activity,
            "employee": _employee_name(
                employees_of(membership.company), activity.employee_source_id
            ),
            "may_write": membership.can(Area.ACTIVITIES, Level.FULL),
            "here": request.get_full_path(),
        },
    )


@area_required(Area.ACTIVITIES, Level.FULL)
@require_http_methods(["GET", "POST"])
@in_company_time
def activity_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    """A new activity; ?contact=<id> presets the contact (from the contact's page) and
    ?date=<YYYY-MM-DD> the day (from the calendar)."""
    initial: dict[str, Any] = {
        "kind": Activity.Kind.CALL,
        "starts_at": _initial_start(_date(request.GET.get("date"))),
        "employee_source_id": link_employee(membership),
    }
    contact_id = request.GET.get("contact", "")
    if contact_id:
        if not contact_id.isdigit():
            raise Http404
        initial["contact"] = get_object_or_404(membership.company.contacts, pk=contact_id)
    form = ActivityForm(request.POST or None, company=membership.company, initial=initial)
    return record_form_page(
        request,
        form,
        template="portal/activities/form.html",
        context={"cancel_url": reverse("portal:activities")},
        saved=lambda activity: reverse("portal:activity_detail", args=[activity.pk]),
        message=lambda activity: _("The activity %(subject)s was created.") % {"subject": activity},
    )


@area_required(Area.ACTIVITIES, Level.FULL)
@require_http_methods(["GET", "POST"])
@in_company_time
def activity_edit(request: HttpRequest, membership: Membership, activity_id: int) -> HttpResponse:
    activity = _activity(membership, activity_id)
    form = ActivityForm(request.POST or None, instance=activity, company=membership.company)
    detail = reverse("portal:activity_detail", args=[activity.pk])
    return record_form_page(
        request,
        form,
        template="portal/activities/form.html",
        context={"activity": activity, "cancel_url": detail},
        saved=lambda _activity: detail,
        message=lambda activity: _("The activity %(subject)s was saved.") % {"subject": activity},
    )


def _back(request: HttpRequest, fallback: str) -> str:
    """Where a button on a list or calendar returns to: its `next`, if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@area_required(Area.ACTIVITIES, Level.FULL)
@require_POST
@in_company_time
def activity_done(request: HttpRequest, membership: Membership, activity_id: int) -> HttpResponse:
    """Marks the activity done (or, with done=0, open again): only that field is sent, so a
    colleague's other change made meanwhile stays."""
    activity = _activity(membership, activity_id)
    done = request.POST.get("done", "1") != "0"
    update_record(record=activity, values={"done": done})
    if done:
        messages.success(request, _("%(subject)s is done.") % {"subject": activity})
    else:
        messages.success(request, _("%(subject)s is open again.") % {"subject": activity})
    return redirect(_back(request, reverse("portal:activity_detail", args=[activity.pk])))


@area_required(Area.ACTIVITIES, Level.FULL)
@require_http_methods(["GET", "POST"])
@in_company_time
def activity_delete(request: HttpRequest, membership: Membership, activity_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    activity = _activity(membership, activity_id)
    error = None
    if request.method == "POST":
        try:
            delete_record(record=activity)
        except RecordInUse as in_use:
            error = str(in_use)
        else:
            messages.success(
                request, _("The activity %(subject)s was deleted.") % {"subject": activity}
            )
            return redirect("portal:activities")
    return render(
        request,
        "portal/activities/delete.html",
        {"activity": activity, "error": error},
        status=409 if error else 200,
    )
