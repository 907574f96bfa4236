"""Pairing sync hosts and recording what they report: the portal's side of a host."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from licensing.models import Company, CompanyDatabase, LicenceLink
from licensing.services import (
    ForeignDatabaseError,
    InvalidReport,
    record_foreign_database_attempt,
    register_reported_database,
)
from syncengine.models import (
    HostDatabase,
    PairingCode,
    SyncHost,
    SyncLink,
    SyncRun,
    digest,
    forget_silent_hosts,
    normalise_pairing_code,
)

logger = logging.getLogger(__name__)


class PairingRefused(Exception):
    """The pairing code was wrong, expired or used, or a reported database was refused.

    The message is for the person at the office computer; nothing was registered."""


class HostRefused(Exception):
    """The host credential is unknown or the host was removed."""


def issue_pairing_code(*, company: Company, by: Any) -> str:
    """A one-time pairing code for `company`, in clear: show it once, it is not kept."""
    _pairing, code = PairingCode.issue(company=company, by=by)
    return code


def pair_host(*, code: str, name: str, reports: list[dict[str, Any]]) -> tuple[SyncHost, str]:
    """Exchanges a pairing code for a new sync host and its credential (in clear, once).

    The host's reports are registered in the same transaction: a refused database (one that
    belongs to another company, or a report outside the contract) registers nothing at all,
    and the code stays usable.
    """
    if not reports:
        raise PairingRefused(_("Name at least one company database with --database."))
    code_hash = digest(normalise_pairing_code(code))
    try:
        with transaction.atomic():
            pairing = (
                PairingCode.objects.usable().select_for_update().filter(code_hash=code_hash).first()
            )
            if pairing is None:
                raise PairingRefused(
                    _(
                        "This pairing code is wrong, has expired or was used already. Ask for "
                        "a new code on the Sync hosts page of the company settings."
                    )
                )
            credential = secrets.token_urlsafe(32)
            host = SyncHost.objects.create(
                company=pairing.company,
                name=name[:200],
                queue=SyncHost.new_queue(),
                credential_hash=digest(credential),
                paired_by=pairing.created_by,
            )
            _register(host, reports)
            pairing.used_at = timezone.now()
            pairing.save(update_fields=["used_at"])
    except ForeignDatabaseError as refused:
        # The rollback took the staff's record of the attempt with it: record it again.
        record_foreign_database_attempt(refused)
        raise PairingRefused(
            _(
                "One of these company databases is registered to another company. Nothing "
                "was registered; contact support if this database belongs to your company."
            )
        ) from None
    except InvalidReport as error:
        raise PairingRefused(
            _("A company database sent a report we cannot read (%(problem)s).") % {"problem": error}
        ) from None
    return host, credential


def authenticate_host(*, credential: str) -> SyncHost:
    host = SyncHost.objects.active().filter(credential_hash=digest(credential)).first()
    if host is None:
        raise HostRefused(
            _(
                "This computer's sync host credential is not valid any more (the host was "
                "removed in the portal). Pair it again with a new code."
            )
        )
    return host


def record_heartbeat(*, host: SyncHost) -> None:
    SyncHost.objects.filter(pk=host.pk).update(last_heartbeat_at=timezone.now())
    forget_silent_hosts(host.company_id)


def record_reports(
    *, host: SyncHost, reports: list[dict[str, Any]], problems: list[dict[str, Any]]
) -> None:
    """Stores a host's fresh reports, and its problems as codes (see SyncHost.problem_messages).

    A refused database is left out and becomes a problem, so that one foreign database does
    not hide the others."""
    problems = list(problems)
    for report in reports:
        try:
            with transaction.atomic():
                _register(host, [report])
        except ForeignDatabaseError as refused:
            record_foreign_database_attempt(refused)
            problems.append({"problem": "foreign", "name": refused.reported_name})
        except InvalidReport:
            problems.append({"problem": "invalid_report", "name": ""})
    now = timezone.now()
    SyncHost.objects.filter(pk=host.pk).update(
        last_heartbeat_at=now, last_report_at=now, report_problems=problems
    )
    forget_silent_hosts(host.company_id)
    _pause_restored_links(host)


def _pause_restored_links(host: SyncHost) -> None:
    """A restored backup reports a new identity: the link of the old one stops syncing (pulls
    would read a different database) until an administrator reconnects it."""
    for link in SyncLink.objects.filter(host=host, state=SyncLink.State.CONNECTED):
        successor = restored_successor(link)
        if successor is not None:
            reason = _(
                "The company database was restored from a backup: it now reports a new "
                "identity. Synchronisation is paused until you reconnect it."
            )
            link.set_state(SyncLink.State.NEEDS_RECONNECT, reason)
            link.trace(reason, level="warning")


def remove_host(*, host: SyncHost) -> None:
    """Removes a host: its credential stops working at once; its history is kept."""
    SyncHost.objects.filter(pk=host.pk, removed_at__isnull=True).update(removed_at=timezone.now())


def _register(host: SyncHost, reports: list[dict[str, Any]]) -> None:
    now = timezone.now()
    for report in reports:
        # Where the database lives is this host's fact, not the database's: kept per host.
        is_local = bool(report.get("reached_locally"))
        shared = {key: value for key, value in report.items() if key != "reached_locally"}
        database = register_reported_database(company=host.company, report=shared)
        HostDatabase.objects.update_or_create(
            host=host, database=database, defaults={"last_reported_at": now, "is_local": is_local}
        )


# --- Synchronisation --------------------------------------------------------------------------


class LinkRefused(Exception):
    """The company database cannot be connected through this host; the message says why."""


def connect_database(*, licence_link: LicenceLink, host: SyncHost, by: Any) -> SyncLink:
    """Creates the sync link of a licence link's company database, synchronised by `host`.

    The database counts as connected from here on (the licence cannot move under a running
    first synchronisation); `start_initial_sync` schedules the copy."""
    database = licence_link.database
    if host.company_id != database.company_id or host.removed_at is not None:
        raise LinkRefused(_("This sync host does not belong to the company of the database."))
    if not HostDatabase.objects.filter(host=host, database=database).exists():
        raise LinkRefused(_("This sync host has not reported this company database."))
    with transaction.atomic():
        link, _created = SyncLink.objects.get_or_create(
            database=database,
            defaults={"company_id": database.company_id, "host": host, "connected_by": by},
        )
        # A database connected before keeps its link: host and "Connected by" become this
        # connection's.
        if link.host_id != host.pk or link.connected_by != by:
            link.host, link.connected_by = host, by
            link.save(update_fields=["host", "connected_by"])
        link.set_state(link.state)
        link.trace(_("Linked for synchronisation through sync host %(host)s.") % {"host": host})
    return link


def start_initial_sync(*, link: SyncLink, by: Any, at: datetime | None = None) -> SyncRun:
    """Schedules the first synchronisation of `link` at `at` (now when None).

    A scheduled run is a row whose time comes (never a Celery eta): `start_due_runs` queues it
    on the link's host once the time has come and the host is online."""
    with transaction.atomic():
        SyncLink.objects.select_for_update().filter(pk=link.pk).first()  # one run at a time
        active = link.runs.filter(state__in=["scheduled", "queued", "running"]).first()
        if active is not None:
            return active  # asked twice (a double click): the run already planned stands
        run = SyncRun.objects.create(
            link=link, kind=SyncRun.Kind.INITIAL, scheduled_for=at or timezone.now()
        )
        link.set_state(SyncLink.State.SCHEDULED)
        link.trace(
            _("First synchronisation scheduled for %(at)s by %(by)s.")
            % {"at": run.scheduled_for.isoformat(timespec="minutes"), "by": by or "-"}
        )
        if at is None:
            transaction.on_commit(_start_due_runs_now)
    return run


def _start_due_runs_now() -> None:
    """Best effort, like every send of the engine: a broker that cannot take it is logged, and
    beat's start_due_runs starts the run a few seconds later (the row is the truth)."""
    try:
        current_app.send_task("syncengine.start_due_runs", queue="default")
    except OperationalError as error:
        logger.warning("start_due_runs not sent (the broker: %s); beat sends it", error)


# --- A restored backup ------------------------------------------------------------------------


def report_settings(database: CompanyDatabase) -> dict[str, Any]:
    """The company settings of a database's latest report ({} when it has none)."""
    settings = (database.report or {}).get("settings")
    return settings if isinstance(settings, dict) else {}


# Registrations of one host report are milliseconds apart; two reports are minutes apart.
SAME_REPORT = timedelta(seconds=30)


def restored_successor(link: SyncLink) -> CompanyDatabase | None:
    """The database a restored backup of `link`'s database turned into, or None.

    A restore gives the company database a new `database_id`, so the host reports a new
    database and stops reporting the linked one. Taken as the same company database: one that
    the link's host reported in its latest report while leaving the linked one out, of the
    same company, with the same registration number, and not linked to anything yet."""
    if link.state == SyncLink.State.DISCONNECTED:
        return None
    reached = HostDatabase.objects.filter(host_id=link.host_id)
    old = reached.filter(database_id=link.database_id).first()
    newest = reached.order_by("-last_reported_at").values_list("last_reported_at", flat=True)
    latest = newest.first()
    if old is None or latest is None or old.last_reported_at >= latest - SAME_REPORT:
        return None  # the linked database is still reported
    org_number = str(report_settings(link.database).get("org_number") or "").strip()
    if not org_number:
        return None
    in_latest_report = reached.filter(last_reported_at__gte=latest - SAME_REPORT).exclude(
        database_id=link.database_id
    )
    candidates = CompanyDatabase.objects.filter(
        pk__in=in_latest_report.values("database_id"),
        company_id=link.company_id,
        licence_links__isnull=True,
        sync_link__isnull=True,
    ).order_by("-reported_at", "pk")
    for candidate in candidates:
        if str(report_settings(candidate).get("org_number") or "").strip() == org_number:
            return candidate
    return None
