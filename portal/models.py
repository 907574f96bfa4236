from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Membership
from licensing.models import Company, LicenceLink
from records.models import TimesheetLine
from syncengine.models import SyncRun


class Activation(models.Model):
    """The activation wizard's state for one licence link, kept on the server so that Back,
    a reload or a second tab all see the same step and Finish can only happen once (the row
    is locked while Finish runs)."""

    class Start(models.TextChoices):
        NOW = "now", _("Now")
        LATER = "later", _("At a date and time")

    LAST_STEP = 5

    licence_link = models.OneToOneField(
        LicenceLink,
        on_delete=models.CASCADE,
        related_name="activation",
        verbose_name=_("licence link"),
    )
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("connected by"),
    )
    start = models.CharField(_("first synchronisation"), max_length=8, choices=Start.choices)
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    run = models.ForeignKey(
        SyncRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first synchronisation"),
    )
    # When the administrator was e-mailed that the first synchronisation failed: once per run.
    failure_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("activation")
        verbose_name_plural = _("activations")

    def __str__(self) -> str:
        return f"{self.licence_link} · {self.step}"

    def restart(self) -> None:
        """Back to step 1 for a new activation (after a failed first sync or a disconnect)."""
        self.step = 1
        self.confirmed_by = None
        self.start = ""
        self.scheduled_for = None
        self.finished_at = None
        self.run = None
        self.failure_notified_at = None
        self.save()


class UnsentEdit(models.Model):
    """An online edit that never reached a company database which was then replaced by a
    restored backup: kept with its values for the administrator, never silently dropped."""

    company = models.ForeignKey(
        "licensing.Company",
        on_delete=models.CASCADE,
        related_name="unsent_edits",
        verbose_name=_("company"),
    )
    database_name = models.CharField(_("company database"), max_length=200)
    table = models.CharField(_("table"), max_length=32)
    source_id = models.BigIntegerField(_("company database id"), null=True, blank=True)
    op = models.CharField(_("operation"), max_length=1)
    values = models.JSONField(_("values"), default=dict)
    base = models.JSONField(_("values before the edit"), default=dict)
    edited_at = models.DateTimeField(_("edited"))
    listed_at = models.DateTimeField(_("listed"), default=timezone.now)

    class Meta:
        verbose_name = _("unsent online edit")
        verbose_name_plural = _("unsent online edits")
        ordering = ["-listed_at", "edited_at", "pk"]

    def __str__(self) -> str:
        return f"{self.op} {self.table} #{self.source_id}"

    def op_label(self) -> str:
        labels = {"I": _("Added"), "U": _("Changed"), "D": _("Deleted")}
        return str(labels.get(self.op, self.op))


class TimeSheetSettings(models.Model):
    """A company's rules for registering hours (one row per company; until a super user saves
    them, `for_company` gives the defaults). Every hour registered online is checked against
    them by `check`."""

    STEPS = [
        (Decimal("0.01"), _("1 minute (0.01 h)")),
        (Decimal("0.10"), _("6 minutes (0.1 h)")),
        (Decimal("0.25"), _("A quarter of an hour (0.25 h)")),
        (Decimal("0.50"), _("Half an hour (0.5 h)")),
        (Decimal("1.00"), _("An hour (1 h)")),
    ]

    company = models.OneToOneField(
        "licensing.Company",
        on_delete=models.CASCADE,
        related_name="time_sheet_settings",
        verbose_name=_("company"),
    )
    day_hours = models.DecimalField(
        _("hours of a normal working day"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("8.00"),
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("24"))],
        help_text=_("Offered for a new line, and a day's total is compared with it."),
    )
    weekends = models.BooleanField(
        _("hours may be registered on Saturdays and Sundays"), default=False
    )
    step = models.DecimalField(
        _("smallest step"),
        max_digits=3,
        decimal_places=2,
        choices=STEPS,
        default=Decimal("0.25"),
        help_text=_("Hours are registered in whole multiples of it."),
    )
    days_back = models.PositiveSmallIntegerField(
        _("days back that hours may still be changed"),
        default=14,
        validators=[MaxValueValidator(366)],
        help_text=_(
            "Hours of a day longer ago cannot be added, changed or deleted online any more "
            "(0: only today's)."
        ),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("time-sheet settings")
        verbose_name_plural = _("time-sheet settings")

    def __str__(self) -> str:
        return str(self.company)

    @classmethod
    def for_company(cls, company: Company) -> TimeSheetSettings:
        """The company's settings; the defaults (unsaved) when nobody has set them yet."""
        found = cls.objects.filter(company=company).first()
        return found if found is not None else cls(company=company)

    def earliest_day(self, today: datetime.date) -> datetime.date:
        """The first day whose hours may still be added, changed or deleted."""
        return today - datetime.timedelta(days=self.days_back)

    def check_day(self, work_date: datetime.date, *, today: datetime.date) -> None:
        """ValidationError when hours of `work_date` may not be written (today: the company's)."""
        if work_date > today:
            raise ValidationError(_("Hours can only be registered for today or earlier days."))
        if work_date < self.earliest_day(today):
            raise ValidationError(
                ngettext(
                    "Hours can be added or changed up to %(days)d day back only.",
                    "Hours can be added or changed up to %(days)d days back only.",
                    self.days_back,
                )
                % {"days": self.days_back}
            )
        if not self.weekends and work_date.isoweekday() >= 6:
            raise ValidationError(_("Hours cannot be registered on Saturdays and Sundays."))

    def booked_hours(
        self, employee_source_id: int, work_date: datetime.date, *, besides: int | None = None
    ) -> Decimal:
        """The hours registered for the employee on `work_date` (but line `besides`)."""
        lines = TimesheetLine.objects.filter(
            company_id=self.company_id, employee_source_id=employee_source_id, work_date=work_date
        )
        if besides is not None:
            lines = lines.exclude(pk=besides)
        return lines.aggregate(total=models.Sum("hours"))["total"] or Decimal(0)

    def check_hours(
        self,
        hours: Decimal,
        *,
        employee_source_id: int,
        work_date: datetime.date,
        line_id: int | None = None,
    ) -> None:
        """ValidationError when `hours` is not a positive multiple of the step, or would make
        the employee's hours on `work_date` (their other lines than `line_id`) more than 24.

        Call it in the transaction that saves the line: it holds the company's time-sheet lock
        until that ends, so that two lines saved at once cannot pass 24 hours together."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("check_hours must run in the transaction that saves the line")
        list(Company.objects.select_for_update(no_key=True).filter(pk=self.company_id).values("pk"))
        day_total = self.booked_hours(employee_source_id, work_date, besides=line_id)
        if hours <= 0:
            raise ValidationError(_("Enter a number of hours above zero."))
        if hours % self.step:
            raise ValidationError(
                _("Enter the hours in steps of %(step)s h.")
                % {"step": localize(self.step.normalize())}
            )
        if day_total + hours > 24:
            raise ValidationError(
                _("A day has 24 hours; %(hours)s h are registered on it already.")
                % {"hours": localize(day_total)}
            )


class Stream(models.TextChoices):
    """The dashboard's focus areas (info streams), in the order a new member sees them."""

    SYNC_HISTORY = "sync_history", _("Synchronisation history")
    ACTIVITIES_TODAY = "activities_today", _("Today's activities")
    RECENT_CONTACTS = "recent_contacts", _("Recently changed contacts")
    OPEN_ORDERS = "open_orders", _("Open orders")


class FocusAreaQuerySet(models.QuerySet["FocusArea"]):
    def layout_of(self, membership: Membership) -> list[FocusArea]:
        """Every focus area in `membership`'s order (one query): the arranged ones as stored,
        then any never arranged (a member who changed nothing, a stream added since) shown,
        in the default order. Unsaved rows stand for the ones never arranged."""
        stored = {
            area.stream: area
            for area in self.filter(membership=membership).order_by("position", "pk")
        }
        layout = list(stored.values())
        layout += [
            FocusArea(membership=membership, stream=stream, shown=True)
            for stream in Stream.values
            if stream not in stored
        ]
        for position, area in enumerate(layout):
            area.position = position
        return layout

    def arrange(
        self, *, membership: Membership, stream: str, action: str, among: list[str]
    ) -> None:
        """Shows or hides `stream` on `membership`'s dashboard, or moves it one place "up" or
        "down" past the next of `among` (the streams the member sees): a stream the member
        may not read stays where it is, so a move never looks like it did nothing."""
        if stream not in Stream.values or action not in FocusArea.ACTIONS:
            raise ValueError(f"Unknown focus area or action: {stream!r}, {action!r}")
        with transaction.atomic():
            # Two tabs arranging at once: the second waits, then starts from the first's order.
            Membership.objects.select_for_update().filter(pk=membership.pk).first()
            layout = self.layout_of(membership)
            index = next(i for i, area in enumerate(layout) if area.stream == stream)
            if action in ("show", "hide"):
                layout[index].shown = action == "show"
            else:
                step = -1 if action == "up" else 1
                neighbours = range(index + step, -1 if step < 0 else len(layout), step)
                other = next(
                    (i for i in neighbours if layout[i].shown and layout[i].stream in among), None
                )
                if other is not None:
                    layout[index], layout[other] = layout[other], layout[index]
            for position, area in enumerate(layout):
                area.position = position
                area.pk = None  # an upsert on (membership, stream), not on the id
            self.bulk_create(
                layout,
                update_conflicts=True,
                unique_fields=["membership", "stream"],
                update_fields=["position", "shown"],
            )


class FocusArea(models.Model):
    """Where one focus area sits on a member's dashboard, and whether it is shown. Rows exist
    once the member arranged the dashboard; before that every area is shown in the default
    order."""

    ACTIONS = ("show", "hide", "up", "down")

    membership = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="focus_areas",
        verbose_name=_("membership"),
    )
    stream = models.CharField(_("focus area"), max_length=32, choices=Stream.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    shown = models.BooleanField(_("shown"), default=True)

    objects = FocusAreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "stream"], name="one_focus_area_row_per_stream"
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership} · {self.stream}"
