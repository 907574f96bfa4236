from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.models import Company, CompanyDatabase

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
    def issue(cls, *, company: Company, by: object | None) -> tuple[PairingCode, str]:
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


class HostDatabase(models.Model):
    """A company database that a sync host reaches, with what the host last said about it."""

    host = models.ForeignKey(SyncHost, on_delete=models.CASCADE, related_name="reached")
    database = models.ForeignKey(CompanyDatabase, on_delete=models.CASCADE, related_name="+")
    first_reported_at = models.DateTimeField(default=timezone.now)
    last_reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "database"], name="one_row_per_host_database")
        ]

    def __str__(self) -> str:
        return f"{self.host} → {self.database}"
