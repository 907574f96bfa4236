from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.models import LicenceLink
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
