"""Time sheets: the work area "time_sheets".

A member registers and changes their own hours: the lines of their employee of the company
database (Membership.employee_id, learnt by portal.employees.link_employee). With the function
"time_sheets.all" they see everyone's, and with Full rights write everyone's. Lines of someone
else are, to a member without that function, as if they did not exist (404). What may be
registered follows the company's TimeSheetSettings (a super user's page).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Membership
from accounts.rights import Area, Level
from portal.company import area_required, super_user_required
from portal.desk import (
    RecordForm,
    in_company_time,
    record_choice,
    record_form_page,
)
from portal.employees import Employee, employees_of, link_employee
from portal.models import TimeSheetSettings
from records.models import Contact, Record, TimesheetLine
from records.services import delete_record

ALL = "time_sheets.all"
CENT = Decimal("0.01")


def _hours(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _date(value: str | None) -> datetime.date | None:
    try:
        return parse_date(value or "")
    except ValueError:  # well-formed but impossible, e.g. 2026-02-31
        return None


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _employee_name(employees: dict[int, Employee], employee_id: int) -> str:
    found = employees.get(employee_id)
    return found.name if found else _("Employee %(id)s") % {"id": employee_id}


def _week_url(day: datetime.date, employee: int | str | None = None) -> str:
    params: dict[str, str] = {"date": _monday(day).isoformat()}
    if employee is not None:
        params["employee"] = str(employee)
    return reverse("portal:time_sheets") + "?" + urlencode(params)


# --- forms ---------------------------------------------------------------------------------------


class TimeSheetLineForm(RecordForm):
    """A line of the member's own hours (the employee is fixed by the view)."""

    contact = record_choice(
        Contact.objects.all(),
        lookup="portal:contact_lookup",
        label=gettext_lazy("Contact"),
        required=False,
    )

    class Meta:
        model = TimesheetLine
        fields = ["work_date", "hours", "description", "contact"]
        widgets = {
            "work_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "hours": forms.NumberInput(attrs={"inputmode": "decimal"}),
            "description": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = TimeSheetSettings.for_company(self.company)
        self.today = timezone.localdate()
        # Read now: validating writes the posted values on the instance.
        self.original_date = self.instance.work_date if self.instance.pk is not None else None
        earliest = self.settings.earliest_day(self.today)
        self.fields["work_date"].widget.attrs.update(
            {"min": earliest.isoformat(), "max": self.today.isoformat()}
        )
        self.fields["hours"].widget.attrs.update(
            {"step": str(self.settings.step), "min": str(self.settings.step), "max": "24"}
        )
        self.fields["hours"].help_text = _("In steps of %(step)s h.") % {
            "step": localize(self.settings.step.normalize())
        }

    def employee(self, cleaned: dict[str, Any]) -> int | None:
        if self.instance.pk is not None:
            return self.instance.employee_source_id
        return self.fixed.get("employee_source_id")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.original_date is not None:
            try:
                self.settings.check_day(self.original_date, today=self.today)
            except ValidationError:
                raise ValidationError(
                    _("The hours of %(date)s can no longer be changed online.")
                    % {"date": localize(self.original_date)}
                ) from None
        work_date, hours = cleaned.get("work_date"), cleaned.get("hours")
        if work_date is not None:
            try:
                self.settings.check_day(work_date, today=self.today)
            except ValidationError as refused:
                self.add_error("work_date", refused)
                return cleaned
        employee = self.employee(cleaned)
        if work_date is not None and hours is not None and employee is not None:
            try:
                self.settings.check_hours(
                    hours,
                    employee_source_id=employee,
                    work_date=work_date,
                    line_id=self.instance.pk,
                )
            except ValidationError as refused:
                self.add_error("hours", refused)
        return cleaned


class EveryonesLineForm(TimeSheetLineForm):
    """A line of any employee: for a member with "time_sheets.all" and Full rights."""

    employee_source_id = forms.TypedChoiceField(label=gettext_lazy("Employee"), coerce=int)

    class Meta(TimeSheetLineForm.Meta):
        fields = ["employee_source_id", "work_date", "hours", "description", "contact"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.initial.get("employee_source_id", self.instance.employee_source_id)
        employees = employees_of(self.company)
        choices: list[tuple[Any, str]] = [("", _("Choose an employee"))]
        for employee in employees.values():
            if employee.is_active or employee.id == current:
                choices.append((employee.id, employee.name))
        if current is not None and current not in employees:
            choices.append((current, _("Employee %(id)s") % {"id": current}))
        self.fields["employee_source_id"].choices = choices  # type: ignore[attr-defined]

    def employee(self, cleaned: dict[str, Any]) -> int | None:
        return cleaned.get("employee_source_id")


class TimeSheetSettingsForm(forms.ModelForm):
    class Meta:
        model = TimeSheetSettings
        fields = ["day_hours", "step", "days_back", "weekends"]
        widgets = {
            "day_hours": forms.NumberInput(attrs={"step": "0.25", "min": "0.25", "max": "24"}),
            "days_back": forms.NumberInput(attrs={"min": "0", "max": "366"}),
        }


# --- the week ------------------------------------------------------------------------------------


@dataclass
class Day:
    date: datetime.date
    is_today: bool
    writable: bool
    add_url: str = ""
    lines: list[TimesheetLine] = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    over: bool = False  # more than a normal working day

    @property
    def is_weekend(self) -> bool:
        return self.date.isoweekday() >= 6


@dataclass
class EmployeeWeek:
    """One row of everyone's week: an employee's hours per day."""

    employee_id: int
    name: str
    url: str
    hours: list[Decimal]
    total: Decimal


def _writable_day(settings: TimeSheetSettings, day: datetime.date, today: datetime.date) -> bool:
    try:
        settings.check_day(day, today=today)
    except ValidationError:
        return False
    return True


def _everyone(
    lines: QuerySet[TimesheetLine],
    week: list[datetime.date],
    employees: dict[int, Employee],
) -> tuple[list[EmployeeWeek], list[Decimal]]:
    """Everyone's hours of `week` per employee and day (one aggregate query), and the day
    totals."""
    sums = (
        lines.filter(work_date__gte=week[0], work_date__lte=week[-1])
        .values("employee_source_id", "work_date")
        .annotate(hours=Sum("hours"))
        .order_by()
    )
    by_employee: dict[int, dict[datetime.date, Decimal]] = {}
    for row in sums:
        by_employee.setdefault(row["employee_source_id"], {})[row["work_date"]] = _hours(
            row["hours"]
        )
    rows = []
    for employee_id, days in by_employee.items():
        hours = [days.get(day, Decimal("0.00")) for day in week]
        rows.append(
            EmployeeWeek(
                employee_id=employee_id,
                name=_employee_name(employees, employee_id),
                url=_week_url(week[0], employee_id),
                hours=hours,
                total=_hours(sum(hours, Decimal(0))),
            )
        )
    rows.sort(key=lambda row: (row.name.lower(), row.employee_id))
    day_totals = [_hours(sum((row.hours[n] for row in rows), Decimal(0))) for n in range(7)]
    return rows, day_totals


@area_required(Area.TIME_SHEETS)
@require_GET
@in_company_time
def time_sheets(request: HttpRequest, membership: Membership) -> HttpResponse:
    """One week (?date= any day of it) of one employee's hours with totals per day and week;
    with "time_sheets.all", ?employee=<id> or ?employee=all for everyone's week."""
    company = membership.company
    own = link_employee(membership)
    may_all = membership.may(ALL)
    may_write = membership.can(Area.TIME_SHEETS, Level.FULL)
    settings = TimeSheetSettings.for_company(company)
    today = timezone.localdate()
    monday = _monday(_date(request.GET.get("date")) or today)
    week = [monday + datetime.timedelta(days=n) for n in range(7)]
    employees = employees_of(company) if may_all else {}
    chosen = request.GET.get("employee", "")
    employee: int | None = own
    if may_all:
        if chosen == "all" or (not chosen and own is None):
            employee = None
        elif chosen.isdigit():
            employee = int(chosen)
    # The employee parameter is kept in the week links only when it is not the default.
    keep = None if not may_all or employee == own else (employee or "all")
    context: dict[str, Any] = {
        "settings": settings,
        "monday": monday,
        "sunday": week[-1],
        "week_number": monday.isocalendar().week,
        "previous_url": _week_url(monday - datetime.timedelta(days=7), keep),
        "next_url": _week_url(monday + datetime.timedelta(days=7), keep),
        "this_week_url": _week_url(today, keep),
        "own": own,
        "may_all": may_all,
        "employee": employee,
        "employees": [e for e in employees.values() if e.is_active or e.id == employee],
        "is_super_user": membership.is_super_user,
        "no_employee": _no_employee_context(membership) if own is None else None,
    }
    if employee is None and may_all:
        rows, day_totals = _everyone(company.timesheet_lines.all(), week, employees)
        context.update(
            everyone=True,
            week=week,
            rows=rows,
            day_totals=day_totals,
            week_total=_hours(sum(day_totals, Decimal(0))),
            may_add=may_write,
        )
    elif employee is not None:
        may_add = may_write and (employee == own or may_all)
        days = {
            day: Day(
                date=day,
                is_today=day == today,
                writable=may_add and _writable_day(settings, day, today),
            )
            for day in week
        }
        lines = (
            company.timesheet_lines.filter(
                employee_source_id=employee, work_date__gte=monday, work_date__lte=week[-1]
            )
            .select_related("contact")
            .order_by("work_date", "pk")
        )
        for line in lines:
            days[line.work_date].lines.append(line)
        add = reverse("portal:time_sheet_add")
        for day in days.values():
            day.total = _hours(sum((line.hours for line in day.lines), Decimal(0)))
            day.over = day.total > settings.day_hours
            params = {"date": day.date.isoformat()}
            if employee != own:
                params["employee"] = str(employee)
            day.add_url = add + "?" + urlencode(params)
        context.update(
            everyone=False,
            days=list(days.values()),
            week_total=_hours(sum((day.total for day in days.values()), Decimal(0))),
            normal_week=_hours(settings.day_hours * sum(1 for day in week if day.isoweekday() < 6)),
            employee_name=_employee_name(employees, employee) if employee != own else "",
            may_add=may_add,
        )
    return render(request, "portal/time_sheets/week.html", context)


def _no_employee_context(membership: Membership) -> dict[str, Any]:
    """Who to ask when the member's ID is not linked to an employee of the company database."""
    return {
        "email": membership.user.email,
        "company": membership.company,
        "is_super_user": membership.is_super_user,
        "super_users": [
            m.user
            for m in membership.company.memberships.super_users()
            .select_related("user")
            .exclude(pk=membership.pk)
            .order_by("user__name", "user__email")
        ],
    }


# --- one line ------------------------------------------------------------------------------------


def _line(membership: Membership, line_id: int, own: int | None) -> TimesheetLine:
    """The line, if the member may see it: another employee's without "time_sheets.all" is a
    404, like another company's."""
    lines = membership.company.timesheet_lines.select_related("contact")
    if not membership.may(ALL):
        lines = lines.filter(employee_source_id=own) if own is not None else lines.none()
    return get_object_or_404(lines, pk=line_id)


def _form_class(membership: Membership) -> type[TimeSheetLineForm]:
    return EveryonesLineForm if membership.may(ALL) else TimeSheetLineForm


@area_required(Area.TIME_SHEETS, Level.FULL)
@require_http_methods(["GET", "POST"])
@in_company_time
def time_sheet_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    """New hours; ?date= presets the day, and (with "time_sheets.all") ?employee= the
    employee. A member whose ID is not linked to an employee is told whom to ask."""
    own = link_employee(membership)
    form_class = _form_class(membership)
    if own is None and form_class is TimeSheetLineForm:
        return render(
            request,
            "portal/time_sheets/no_employee.html",
            {"no_employee": _no_employee_context(membership)},
            status=403,
        )
    company = membership.company
    settings = TimeSheetSettings.for_company(company)
    day = _date(request.GET.get("date")) or timezone.localdate()
    chosen = request.GET.get("employee", "")
    employee = int(chosen) if form_class is EveryonesLineForm and chosen.isdigit() else own
    initial: dict[str, Any] = {"work_date": day, "employee_source_id": employee}
    if employee is not None:
        # A normal working day less what is registered already, as a first guess.
        left = settings.day_hours - _hours(settings.booked_hours(employee, day))
        if left > 0:
            initial["hours"] = _hours(left)
    form = form_class(
        request.POST or None,
        company=company,
        fixed={"employee_source_id": own} if form_class is TimeSheetLineForm else None,
        initial=initial,
    )
    return record_form_page(
        request,
        form,
        template="portal/time_sheets/form.html",
        context={
            "cancel_url": _week_url(day, _keep(membership, own, employee)),
        },
        saved=_saved_week(membership, own),
        message=lambda line: (
            _("%(hours)s h on %(date)s were registered.")
            % {"hours": localize(_as_line(line).hours), "date": localize(_as_line(line).work_date)}
        ),
    )


def _keep(membership: Membership, own: int | None, employee: int | None) -> int | None:
    """The week page's employee parameter for `employee`: none for the member's own."""
    return employee if membership.may(ALL) and employee != own else None


def _as_line(record: Record) -> TimesheetLine:
    return cast(TimesheetLine, record)  # record_form_page hands back what the form saved


def _saved_week(membership: Membership, own: int | None) -> Callable[[Record], str]:
    """Where a saved line leads: the week of its day, of its employee."""

    def url(record: Record) -> str:
        line = _as_line(record)
        return _week_url(line.work_date, _keep(membership, own, line.employee_source_id))

    return url


@area_required(Area.TIME_SHEETS, Level.FULL)
@require_http_methods(["GET", "POST"])
@in_company_time
def time_sheet_edit(request: HttpRequest, membership: Membership, line_id: int) -> HttpResponse:
    own = link_employee(membership)
    line = _line(membership, line_id, own)
    week = _week_url(line.work_date, _keep(membership, own, line.employee_source_id))
    form = _form_class(membership)(request.POST or None, instance=line, company=membership.company)
    return record_form_page(
        request,
        form,
        template="portal/time_sheets/form.html",
        context={"line": line, "cancel_url": week},
        saved=_saved_week(membership, own),
        message=lambda line: (
            _("The hours of %(date)s were saved.") % {"date": localize(_as_line(line).work_date)}
        ),
    )


@area_required(Area.TIME_SHEETS, Level.FULL)
@require_http_methods(["GET", "POST"])
@in_company_time
def time_sheet_delete(request: HttpRequest, membership: Membership, line_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes, unless the day can no longer be changed."""
    own = link_employee(membership)
    line = _line(membership, line_id, own)
    week = _week_url(line.work_date, _keep(membership, own, line.employee_source_id))
    error = None
    try:
        TimeSheetSettings.for_company(membership.company).check_day(
            line.work_date, today=timezone.localdate()
        )
    except ValidationError as closed:
        error = _("These hours can no longer be deleted online: %(reason)s") % {
            "reason": " ".join(closed.messages)
        }
    if request.method == "POST" and error is None:
        delete_record(record=line)
        messages.success(
            request,
            _("%(hours)s h on %(date)s were deleted.")
            % {"hours": localize(line.hours), "date": localize(line.work_date)},
        )
        return redirect(week)
    return render(
        request,
        "portal/time_sheets/delete.html",
        {"line": line, "error": error, "cancel_url": week},
        status=409 if error and request.method == "POST" else 200,
    )


# --- settings ------------------------------------------------------------------------------------


@super_user_required
@require_http_methods(["GET", "POST"])
def time_sheet_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The company's rules for registering hours: super users, while the plan has time sheets."""
    if not membership.can(Area.TIME_SHEETS):
        raise PermissionDenied
    company = membership.company
    status = 200
    if request.method == "POST":
        # get_or_create: two super users saving the first settings at once make one row.
        current, _created = TimeSheetSettings.objects.get_or_create(company=company)
        form = TimeSheetSettingsForm(request.POST, instance=current)
        if form.is_valid():
            form.save()
            messages.success(request, _("The time-sheet settings were saved."))
            return redirect("portal:time_sheet_settings")
        status = 400
    else:
        form = TimeSheetSettingsForm(instance=TimeSheetSettings.for_company(company))
    return render(request, "portal/time_sheets/settings.html", {"form": form}, status=status)
