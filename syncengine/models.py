from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.kept import Kept
from licensing.models import Company, CompanyDatabase

logger = logging.getLogger(__name__)

# Unambiguous when read aloud or typed from a screen: no 0/O, 1/I/L.
PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def digest(secret: str) -> str:
    """Only this digest of a pairing code or host credential is ever stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_pairing_code(code: str) -> str:
    return "".join(character for character in code.upper() if character.isalnum())


class PairingCodeQuerySet(models.QuerySet["PairingCode"]):
    def usable(self) -> PairingCodeQuerySet:
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class PairingCode(models.Model):
    """A one-time, short-lived code a super user hands to the office computer to pair it."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="pairing_codes", verbose_name=_("company")
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    objects = PairingCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing code")
        verbose_name_plural = _("pairing codes")

    def __str__(self) -> str:
        return f"{self.company} · {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def issue(cls, *, company: Company, by: Any) -> tuple[PairingCode, str]:
        """A new code for `company`, and the code itself in clear (shown once, never stored)."""
        raw = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(10))
        shown = f"{raw[:5]}-{raw[5:]}"
        pairing = cls.objects.create(
            company=company,
            code_hash=digest(raw),
            created_by=by,
            expires_at=timezone.now() + timedelta(minutes=settings.PAIRING_CODE_MINUTES),
        )
        return pairing, shown


def problem_message(problem: dict[str, object]) -> str:
    """What an administrator reads about one problem of a host's report."""
    name = str(problem.get("name") or "")
    database = (
        _("Company database %(name)s") % {"name": name}
        if name
        else _("Company database %(number)s on this computer")
        % {"number": problem.get("database", "?")}
    )
    text = {
        "unreachable": _("%(database)s cannot be reached: is its server running?"),
        "credentials": _("%(database)s refused the user name or password given to the sync host."),
        "missing_table": _("%(database)s is missing tables of the business software."),
        "old_schema": _(
            "%(database)s has an old version of the business software: update it first."
        ),
        "not_company_database": _(
            "%(database)s is not a company database of the business software."
        ),
        "invalid_dsn": _(
            "%(database)s was given to the sync host in a form it does not understand."
        ),
        "foreign": _("%(database)s is registered to another company and was ignored."),
        "invalid_report": _("A company database sent a report that cannot be read."),
    }.get(str(problem.get("problem")), _("%(database)s could not be read."))
    return str(text) % {"database": database}


class SyncHostQuerySet(models.QuerySet["SyncHost"]):
    def active(self) -> SyncHostQuerySet:
        return self.filter(removed_at__isnull=True)


class SyncHost(models.Model):
    """A computer in the office network, paired with one company, that reaches its company
    databases and runs their synchronisation as a Celery worker on its own queue."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="sync_hosts", verbose_name=_("company")
    )
    name = models.CharField(_("computer name"), max_length=200)
    queue = models.CharField(_("queue"), max_length=64, unique=True, editable=False)
    credential_hash = models.CharField(max_length=64, unique=True, editable=False)
    paired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("paired by"),
    )
    paired_at = models.DateTimeField(_("paired"), default=timezone.now)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    last_report_at = models.DateTimeField(_("last report"), null=True, blank=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    # What went wrong in the host's last report, as codes: the words are chosen when a page
    # shows them (in the reader's language), and no connection string ever reaches the portal.
    report_problems = models.JSONField(_("problems of the last report"), default=list, blank=True)
    databases: models.ManyToManyField[CompanyDatabase, HostDatabase] = models.ManyToManyField(
        CompanyDatabase,
        through="HostDatabase",
        related_name="sync_hosts",
        verbose_name=_("company databases"),
    )

    objects = SyncHostQuerySet.as_manager()

    class Meta:
        verbose_name = _("sync host")
        verbose_name_plural = _("sync hosts")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_queue() -> str:
        return f"host-{uuid.uuid4().hex[:12]}"

    def problem_messages(self) -> list[str]:
        return [problem_message(problem) for problem in self.report_problems]

    def is_online(self) -> bool:
        if self.removed_at is not None or self.last_heartbeat_at is None:
            return False
        silence = timezone.now() - self.last_heartbeat_at
        return silence <= timedelta(seconds=settings.SYNC_HOST_OFFLINE_AFTER_SECONDS)


@dataclass(frozen=True)
class SilentHost:
    """A sync host that its company waits for, and when it was last heard from (its last
    heartbeat, or its pairing if it never sent one)."""

    name: str
    heard_at: datetime


def silent_hosts(company_id: int) -> list[SilentHost]:
    """The sync hosts of the company's connected databases not heard from for longer than
    SYNC_HOST_SILENT_MINUTES, by name. Every page of a member shows them in a banner, so the
    answer is kept (KEPT_SILENT_HOSTS: 30 s is nothing next to a silence of minutes) and
    forgotten when a host reports or a host or link is saved."""

    def read() -> list[SilentHost]:
        since = timezone.now() - timedelta(minutes=settings.SYNC_HOST_SILENT_MINUTES)
        links = (
            SyncLink.objects.connected()
            .filter(company_id=company_id)
            .filter(
                Q(host__last_heartbeat_at__lt=since)
                | Q(host__last_heartbeat_at__isnull=True, host__paired_at__lt=since)
            )
            .values_list("host_id", "host__name", "host__last_heartbeat_at", "host__paired_at")
            .order_by("host__name", "host_id")
            .distinct()  # a host of two connected databases is one host
        )
        return [SilentHost(name, heartbeat or paired) for _id, name, heartbeat, paired in links]

    return KEPT_SILENT_HOSTS.get(company_id, read)


def forget_silent_hosts(company_id: int) -> None:
    """Drops the kept silent_hosts of the company. A cache that cannot be reached does not fail
    the report or the link's change that calls this: the banner is then late by at most
    KEPT_SILENT_HOSTS.seconds."""
    try:
        KEPT_SILENT_HOSTS.forget([company_id])
    except Exception:  # each cache backend raises its own errors (redis.ConnectionError, ...)
        logger.warning("The cache could not forget the silent sync hosts of company %s", company_id)


# silent_hosts, by company id.
KEPT_SILENT_HOSTS = Kept[list[SilentHost]]("syncengine:silent-hosts", seconds=30)


class HostDatabase(models.Model):
    """A company database that a sync host reaches, with what the host last said about it."""

    host = models.ForeignKey(SyncHost, on_delete=models.CASCADE, related_name="reached")
    database = models.ForeignKey(CompanyDatabase, on_delete=models.CASCADE, related_name="+")
    first_reported_at = models.DateTimeField(default=timezone.now)
    last_reported_at = models.DateTimeField(default=timezone.now)
    # The host runs on the computer that holds the database (recommended to run its sync).
    is_local = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "database"], name="one_row_per_host_database")
        ]

    def __str__(self) -> str:
        return f"{self.host} → {self.database}"


# --- Synchronisation: links, runs, conflicts, trace ------------------------------------------


class SyncLinkQuerySet(models.QuerySet["SyncLink"]):
    def connected(self) -> SyncLinkQuerySet:
        return self.filter(state=SyncLink.State.CONNECTED)


class SyncLink(models.Model):
    """The synchronisation of one linked company database with the online store."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        INITIAL_SYNC = "initial_sync", _("First synchronisation")
        CONNECTED = "connected", _("Connected")
        PAUSED = "paused", _("Paused")
        DISCONNECTED = "disconnected", _("Disconnected")
        NEEDS_RECONNECT = "needs_reconnect", _("Needs to be connected again")
        FAILED = "failed", _("Failed")

    class Policy(models.TextChoices):
        COMPANY_WINS = "company_wins", _("The company database wins")
        ONLINE_WINS = "online_wins", _("The online change wins")
        MANUAL = "manual", _("The company database wins; a person reviews each conflict")

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="sync_links", verbose_name=_("company")
    )
    database = models.OneToOneField(
        CompanyDatabase,
        on_delete=models.PROTECT,
        related_name="sync_link",
        verbose_name=_("company database"),
    )
    host = models.ForeignKey(
        SyncHost, on_delete=models.PROTECT, related_name="sync_links", verbose_name=_("sync host")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.SCHEDULED
    )
    reason = models.TextField(_("reason"), blank=True)
    # Inbound cursor: every change_log seq <= last_seq is in the online store.
    last_seq = models.BigIntegerField(_("change log position"), default=0)
    # The seq the cursor waits at while a desktop transaction keeps the log from being final.
    stalled_since = models.DateTimeField(_("held back since"), null=True, blank=True)
    stall_message = models.TextField(_("held back by"), blank=True)
    conflict_policy = models.CharField(
        _("when both sides changed a field"),
        max_length=16,
        choices=Policy.choices,
        default=Policy.COMPANY_WINS,
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("connected by"),
    )
    connected_at = models.DateTimeField(_("connected"), null=True, blank=True)
    # Short claim on the inbound pull, so two pulls never apply the same batch at once.
    pull_claimed_until = models.DateTimeField(null=True, blank=True)
    last_pull_at = models.DateTimeField(_("last pull"), null=True, blank=True)
    last_push_at = models.DateTimeField(_("last push"), null=True, blank=True)

    objects = SyncLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("sync link")
        verbose_name_plural = _("sync links")

    def __str__(self) -> str:
        return f"{self.database} ({self.get_state_display()})"

    def lock_owner(self) -> str:
        """The sync_lock owner name: the same for every attempt of this link's runs, so a
        resumed run finds the lock its killed predecessor took."""
        return f"online-desktop-link-{self.pk}"

    def set_state(self, state: str, reason: str = "") -> None:
        self.state = state
        self.reason = reason
        self.save(update_fields=["state", "reason"])
        active = state not in (self.State.DISCONNECTED, self.State.FAILED)
        CompanyDatabase.objects.filter(pk=self.database_id).update(connected=active)

    def trace(self, message: str, *, level: str = "info") -> None:
        SyncTrace.objects.create(link=self, level=level, message=message[:2000])

    def trace_text(self) -> Iterator[str]:
        """The trace as lines of text (UTC), oldest first, streamed for a download."""
        for line in self.trace_lines.order_by("at", "pk").iterator(chunk_size=500):
            yield f"{line.at:%Y-%m-%d %H:%M:%S}Z {line.level.upper():7} {line.message}\n"


class SyncRunQuerySet(models.QuerySet["SyncRun"]):
    def due(self) -> SyncRunQuerySet:
        return self.filter(state=SyncRun.State.SCHEDULED, scheduled_for__lte=timezone.now())

    def lease_expired(self) -> SyncRunQuerySet:
        return self.filter(
            state__in=[SyncRun.State.QUEUED, SyncRun.State.RUNNING],
            lease_expires_at__lt=timezone.now(),
        )


class SyncRun(models.Model):
    """One initial or incremental synchronisation; the database, not the broker, is the truth
    about it (DESIGN.md invariant 6): a worker works on it only while it holds the lease."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("First synchronisation")
        INCREMENTAL = "incremental", _("Changes")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    link = models.ForeignKey(
        SyncLink, on_delete=models.CASCADE, related_name="runs", verbose_name=_("sync link")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.SCHEDULED
    )
    scheduled_for = models.DateTimeField(_("scheduled for"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    # While queued: when a worker should have picked it up; while running: when the lease ends.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Steps that failed in a row on a transient error (the company database unreachable):
    # the run fails at SYNC_MAX_PUSH_ATTEMPTS of them, however many steps went well before.
    failures = models.PositiveIntegerField(_("failed attempts in a row"), default=0)
    # {table: {"done": rows, "total": rows}}
    progress = models.JSONField(_("progress"), default=dict)
    counts_in = models.JSONField(_("rows in per table"), default=dict)
    counts_out = models.JSONField(_("rows out per table"), default=dict)
    conflicts = models.PositiveIntegerField(_("conflicts"), default=0)
    rejected = models.PositiveIntegerField(_("refused changes"), default=0)
    # {phase: seconds}
    timings = models.JSONField(_("timings"), default=dict)
    high_water_mark = models.BigIntegerField(_("high-water mark"), null=True, blank=True)
    # {table: last copied company id}; the initial sync resumes after it.
    checkpoints = models.JSONField(_("checkpoints"), default=dict)
    phase = models.CharField(_("phase"), max_length=16, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-scheduled_for", "-pk"]
        constraints = [
            # One run per link at a time.
            models.UniqueConstraint(
                fields=["link"],
                condition=models.Q(state__in=["scheduled", "queued", "running"]),
                name="one_active_run_per_link",
            )
        ]
        # The history of a link, latest first (the dashboard's runs and its 14-day chart).
        indexes = [models.Index(fields=["link", "-finished_at"], name="run_by_link_finished")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.link} · {self.get_state_display()}"

    def waiting_reason(self) -> str:
        """Why a scheduled run has not started, in words for the administrator."""
        if self.state != self.State.SCHEDULED:
            return ""
        if self.scheduled_for > timezone.now():
            return str(_("Waits for its scheduled time."))
        if not self.link.host.is_online():
            return str(_("Waits for the sync host %(host)s to come online.")) % {
                "host": self.link.host
            }
        return str(_("Starts in a moment."))


class Conflict(models.Model):
    """Both sides changed the same field of the same record between two syncs; both values
    are kept, with the base they started from and the rule that decided."""

    class Winner(models.TextChoices):
        COMPANY = "company", _("Company database")
        ONLINE = "online", _("Online")

    DELETED = "(deleted)"

    link = models.ForeignKey(
        SyncLink, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("sync link")
    )
    table = models.CharField(_("table"), max_length=32)
    source_id = models.BigIntegerField(_("company database id"), null=True)
    field = models.CharField(_("field"), max_length=64)
    company_value = models.TextField(_("company value"), null=True)  # noqa: DJ001 - None is a value here
    online_value = models.TextField(_("online value"), null=True)  # noqa: DJ001
    base_value = models.TextField(_("base value"), null=True)  # noqa: DJ001
    rule = models.CharField(_("rule"), max_length=32)
    winner = models.CharField(_("winner"), max_length=16, choices=Winner.choices)
    needs_review = models.BooleanField(_("needs review"), default=False)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("conflict")
        verbose_name_plural = _("conflicts")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["link", "-at"], name="conflict_by_link")]

    def __str__(self) -> str:
        return f"{self.table} #{self.source_id} {self.field}"

    def rule_label(self) -> str:
        """The rule applied, in words: the link's conflict policy, or the delete rule."""
        if self.rule == "delete_wins":
            return str(_("A delete wins over an edit"))
        return str(dict(SyncLink.Policy.choices).get(self.rule, self.rule))


class SyncTrace(models.Model):
    """The per-link trace: what the engine did, in order, downloadable as text."""

    link = models.ForeignKey(SyncLink, on_delete=models.CASCADE, related_name="trace_lines")
    at = models.DateTimeField(default=timezone.now)
    level = models.CharField(max_length=8, default="info")
    message = models.TextField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["link", "at"], name="trace_by_link")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.level} {self.message}"
