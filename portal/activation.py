"""The prerequisites of activating Online Desktop for one company database.

Everything here reads the sync host's latest report of the database (DESIGN.md: the web
processes never reach a company database) and the portal's own rows. Each rule is a plain
function that returns one `Requirement`, met or not, with what to do about it when it is not;
`check_requirements` lists them all in the order the page shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership
from licensing.models import AddOnProduct, CompanyDatabase, LicenceLink
from portal.models import UnsentEdit
from records.models import RECORD_MODELS, OutboxEntry
from syncengine.models import HostDatabase, SyncHost, SyncLink, SyncRun
from syncengine.services import (
    LinkRefused,
    connect_database,
    report_settings,
    restored_successor,
    start_initial_sync,
)

# The company details the product needs before it may be connected (issue 5), in the order
# the page shows them: the key in the report's settings.
COMPANY_DETAILS = {
    "name": gettext_lazy("Name"),
    "org_number": gettext_lazy("Registration number"),
    "street": gettext_lazy("Street"),
    "postcode": gettext_lazy("Postcode"),
    "city": gettext_lazy("City"),
    "country": gettext_lazy("Country"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "licence_contact_name": gettext_lazy("Licence contact name"),
    "licence_contact_phone": gettext_lazy("Licence contact phone"),
}

# A sync link in one of these states holds the database: a second activation is refused.
ACTIVE_LINK_STATES = (
    SyncLink.State.SCHEDULED,
    SyncLink.State.INITIAL_SYNC,
    SyncLink.State.CONNECTED,
    SyncLink.State.PAUSED,
    SyncLink.State.NEEDS_RECONNECT,
)


@dataclass(frozen=True)
class Requirement:
    """One prerequisite: `title` says what is needed, `advice` what to do while unmet."""

    code: str
    title: str
    met: bool
    advice: str = ""
    names: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Requirements:
    items: tuple[Requirement, ...]

    @property
    def all_met(self) -> bool:
        return all(item.met for item in self.items)

    @property
    def unmet(self) -> list[Requirement]:
        return [item for item in self.items if not item.met]

    def __iter__(self) -> Any:
        return iter(self.items)


def _entries(database: CompanyDatabase, key: str) -> list[dict[str, Any]]:
    entries = (database.report or {}).get(key)
    return (
        [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
    )


def company_details(database: CompanyDatabase) -> list[tuple[str, str, str]]:
    """The company details as the database reports them: (key, label, value)."""
    settings = report_settings(database)
    return [
        (key, str(label), str(settings.get(key) or "").strip())
        for key, label in COMPANY_DETAILS.items()
    ]


def agreement_requirement(licence_link: LicenceLink) -> Requirement:
    title = _("A valid agreement that grants Online Desktop, linked to this company database")
    product = AddOnProduct.objects.filter(code=AddOnProduct.ONLINE_DESKTOP).first()
    agreement = licence_link.database.company.current_agreement()
    if product is None or agreement is None:
        return Requirement("agreement", title, False, _("Your company has no agreement yet."))
    refusal = agreement.refusal_to_link(product)
    if refusal is None and licence_link.product_id != product.pk:
        refusal_text = _("This company database is not linked to the Online Desktop licence.")
        return Requirement("agreement", title, False, refusal_text)
    if refusal is not None:
        return Requirement("agreement", title, False, str(refusal.label))
    return Requirement("agreement", title, True)


def database_requirement(database: CompanyDatabase) -> Requirement:
    title = _("A production database of the full edition of the desktop program")
    if database.kind != CompanyDatabase.Kind.PRODUCTION:
        return Requirement(
            "database",
            title,
            False,
            _(
                "%(name)s is a sample database: only a production database can be activated. "
                "Link the licence to your production database on the licence page."
            )
            % {"name": database.name},
        )
    if database.edition != CompanyDatabase.Edition.FULL:
        return Requirement(
            "database",
            title,
            False,
            _(
                "%(name)s runs an evaluation edition of the desktop program: install the full "
                "edition first."
            )
            % {"name": database.name},
        )
    return Requirement("database", title, True)


def super_user_requirement(membership: Membership, database: CompanyDatabase) -> Requirement:
    title = _("You are a super user of the company in Online Desktop")
    met = membership.company_id == database.company_id and membership.is_super_user
    advice = (
        "" if met else _("Ask a super user of your company to give you the Super user profile.")
    )
    return Requirement("super_user", title, met, advice)


def desktop_super_user_requirement(email: str, database: CompanyDatabase) -> Requirement:
    """The product's own rule: the ID's e-mail is the e-mail of an employee linked to a desktop
    super user of this database."""
    title = _(
        "Your e-mail address is that of an employee linked to a super user of the desktop program"
    )
    wanted = email.strip().lower()
    super_employees = {
        user.get("employee_id") for user in _entries(database, "users") if user.get("is_super_user")
    }
    met = any(
        employee.get("id") in super_employees
        and str(employee.get("email") or "").strip().lower() == wanted
        for employee in _entries(database, "employees")
    )
    advice = (
        ""
        if met
        else _(
            "In the desktop program, give the employee with the e-mail address %(email)s a user "
            "with super-user rights, then check again. (Your ID is not the desktop program's "
            "login: only its e-mail address has to match.)"
        )
        % {"email": wanted}
    )
    return Requirement("desktop_super_user", title, met, advice)


def company_details_requirement(database: CompanyDatabase) -> Requirement:
    title = _(
        "Complete company details: name, full address, phone, e-mail, registration number, and "
        "the licence's contact name and phone"
    )
    missing = tuple(label for _key, label, value in company_details(database) if not value)
    if not missing:
        return Requirement("company_details", title, True)
    return Requirement(
        "company_details",
        title,
        False,
        _("Fill these in under the company settings of the desktop program: %(fields)s.")
        % {"fields": ", ".join(missing)},
        missing,
    )


def hosts_reaching(database: CompanyDatabase) -> list[SyncHost]:
    """The company's active sync hosts that report this database: the recommended ones (on the
    database's own computer, `is_recommended`) first, then by the most recent report."""
    local = HostDatabase.objects.filter(host=OuterRef("pk"), database=database, is_local=True)
    return list(
        SyncHost.objects.active()
        .filter(company_id=database.company_id, reached__database=database)
        .annotate(is_recommended=Exists(local))
        .order_by("-is_recommended", "-reached__last_reported_at", "pk")
    )


def host_requirement(database: CompanyDatabase) -> Requirement:
    title = _("A sync host that reaches this company database is online")
    hosts = hosts_reaching(database)
    if any(host.is_online() for host in hosts):
        return Requirement("host", title, True)
    if hosts:
        advice = _(
            "The sync host %(hosts)s is offline: switch that computer on and start its sync host."
        ) % {"hosts": ", ".join(host.name for host in hosts)}
    else:
        advice = _(
            "No sync host reports this database: add one under Company settings, Sync hosts."
        )
    return Requirement("host", title, False, advice)


def sessions_requirement(database: CompanyDatabase) -> Requirement:
    title = _("Nobody is logged in to the desktop program")
    names = tuple(
        sorted({str(s.get("username") or s.get("user_id")) for s in _entries(database, "sessions")})
    )
    if not names:
        return Requirement("sessions", title, True)
    return Requirement(
        "sessions",
        title,
        False,
        _("Ask these users to close the desktop program: %(names)s.") % {"names": ", ".join(names)},
        names,
    )


def api_clients_requirement(database: CompanyDatabase) -> Requirement:
    title = _("No integrated program (API client) is enabled")
    names = tuple(
        str(client.get("name") or client.get("id"))
        for client in _entries(database, "api_clients")
        if client.get("is_enabled")
    )
    if not names:
        return Requirement("api_clients", title, True)
    return Requirement(
        "api_clients",
        title,
        False,
        _("Disable these integrated programs in the desktop program: %(names)s.")
        % {"names": ", ".join(names)},
        names,
    )


def check_requirements(
    *, licence_link: LicenceLink, membership: Membership, immediate: bool = True
) -> Requirements:
    """Every prerequisite of activating `licence_link`'s database by `membership`'s ID.

    `immediate`: also those of a first synchronisation that starts now (nobody in the desktop
    program, no enabled API client). A scheduled start has them checked again by the engine at
    its time; its failure is reported then."""
    database = licence_link.database
    items = [
        agreement_requirement(licence_link),
        database_requirement(database),
        super_user_requirement(membership, database),
        desktop_super_user_requirement(membership.user.email, database),
        company_details_requirement(database),
        host_requirement(database),
    ]
    if immediate:
        items += start_now_requirements(database).items
    return Requirements(tuple(items))


def open_transactions_requirement(database: CompanyDatabase) -> Requirement:
    title = _("No desktop transaction is left open")
    names = tuple(
        _("%(program)s (process %(pid)s)")
        % {"program": entry.get("application") or entry.get("user") or "?", "pid": entry.get("pid")}
        for entry in _entries(database, "open_transactions")
    )
    if not names:
        return Requirement("open_transactions", title, True)
    return Requirement(
        "open_transactions",
        title,
        False,
        _(
            "A program holds a transaction open in the company database: %(names)s. Finish "
            "or close it, then check again."
        )
        % {"names": ", ".join(names)},
        names,
    )


def start_now_requirements(database: CompanyDatabase) -> Requirements:
    """What a first synchronisation that starts now needs as well."""
    return Requirements(
        (
            sessions_requirement(database),
            api_clients_requirement(database),
            open_transactions_requirement(database),
        )
    )


def active_sync_link(database: CompanyDatabase) -> SyncLink | None:
    """The sync link that holds `database` (scheduled, synchronising, connected...), or None."""
    return SyncLink.objects.filter(database=database, state__in=ACTIVE_LINK_STATES).first()


# --- The first synchronisation, as the status page shows it ----------------------------------


@dataclass(frozen=True)
class TableProgress:
    table: str
    label: str
    done: int
    total: int


@dataclass(frozen=True)
class FirstSyncProgress:
    """A first synchronisation run's progress: per table, in all, and the time left (from
    the rows per second so far; None until there is something to estimate from)."""

    tables: tuple[TableProgress, ...]
    done: int
    total: int
    seconds_left: int | None

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.tables else 0
        return min(100, self.done * 100 // self.total)


def first_sync_progress(run: SyncRun, *, now: datetime | None = None) -> FirstSyncProgress:
    tables = []
    for table, model in RECORD_MODELS.items():
        entry = run.progress.get(table) if isinstance(run.progress, dict) else None
        if not isinstance(entry, dict):
            continue
        tables.append(
            TableProgress(
                table=table,
                label=str(model._meta.verbose_name_plural).capitalize(),
                done=int(entry.get("done", 0)),
                total=int(entry.get("total", 0)),
            )
        )
    done = sum(table.done for table in tables)
    total = sum(table.total for table in tables)
    seconds_left = None
    # Between two steps a run is queued again: still under way.
    under_way = run.state in (SyncRun.State.QUEUED, SyncRun.State.RUNNING)
    if under_way and run.started_at and done and total > done:
        elapsed = ((now or timezone.now()) - run.started_at).total_seconds()
        if elapsed > 0:
            seconds_left = max(1, round((total - done) / (done / elapsed)))
    return FirstSyncProgress(tuple(tables), done, total, seconds_left)


# --- Disconnecting ------------------------------------------------------------------------------


class DisconnectRefused(Exception):
    """The database cannot be disconnected now; the message says why."""


def pending_online_edits(link: SyncLink) -> int:
    """Online edits of the link's company that have not reached the company database yet."""
    return OutboxEntry.objects.filter(company_id=link.company_id).unfinished().count()


def disconnect_database(*, link: SyncLink, by: Any) -> int:
    """Stops the synchronisation of `link` and deletes the online copy of the business data
    (records and their outbox), keeping the company, its members and the sync history; the
    company database itself is never touched. Returns how many records were deleted.

    Connecting again later copies everything anew: the link's cursor starts over."""
    with transaction.atomic():
        link = SyncLink.objects.select_for_update().get(pk=link.pk)
        if link.state == SyncLink.State.DISCONNECTED:
            raise DisconnectRefused(_("This company database is not connected."))
        if link.state == SyncLink.State.INITIAL_SYNC:
            # The first sync holds the company database's sync lock, which only the sync host
            # can release: stopping it from here would leave the desktop program locked.
            raise DisconnectRefused(
                _("The first synchronisation is running: wait until it has finished.")
            )
        if link.pull_claimed_until and link.pull_claimed_until > timezone.now():
            raise DisconnectRefused(
                _("A synchronisation step is running right now: try again in a minute.")
            )
        now = timezone.now()
        reason = _("Disconnected by %(by)s.") % {"by": by}
        # A scheduled or waiting run is cancelled; its lease token goes, so a worker that holds
        # it writes nothing more (its writes are fenced by the token).
        link.runs.filter(
            state__in=[SyncRun.State.SCHEDULED, SyncRun.State.QUEUED, SyncRun.State.RUNNING]
        ).update(
            state=SyncRun.State.FAILED,
            error=reason,
            finished_at=now,
            lease_token=None,
            lease_expires_at=None,
        )
        deleted = delete_online_copy(company_id=link.company_id)
        SyncLink.objects.filter(pk=link.pk).update(
            last_seq=0, stalled_since=None, stall_message="", connected_at=None
        )
        link.set_state(SyncLink.State.DISCONNECTED, reason)
        link.trace(
            _("Disconnected by %(by)s: the online copy of the business data was deleted.")
            % {"by": by}
        )
    return deleted


def delete_online_copy(*, company_id: int) -> int:
    """Deletes the company's online business records and their outbox; returns how many
    records. The company, its members and the sync history stay."""
    OutboxEntry.objects.filter(company_id=company_id).delete()
    deleted = 0
    for model in reversed(RECORD_MODELS.values()):  # children before their parents
        deleted += model._default_manager.filter(company_id=company_id).delete()[0]
    return deleted


# --- Reconnecting after a restored backup ---------------------------------------------------


class ReconnectRefused(Exception):
    """The restored database cannot be connected now; the message says why."""


def reconnect_restored(
    *, licence_link: LicenceLink, link: SyncLink, successor: CompanyDatabase, by: Any
) -> SyncRun:
    """Connects the restored database in the place of `link`'s: the online edits that never
    reached the company database are kept as UnsentEdit rows (with their values), the online
    copy is deleted, the licence moves to the restored database, and a first synchronisation
    rebuilds the online copy from it, starting now."""
    with transaction.atomic():
        link = SyncLink.objects.select_for_update().select_related("host").get(pk=link.pk)
        if restored_successor(link) != successor:
            raise ReconnectRefused(_("The sync host no longer reports a restored database."))
        blockers = start_now_requirements(successor).unmet
        if blockers:
            raise ReconnectRefused(" ".join(item.advice for item in blockers))
        old_name = link.database.name
        UnsentEdit.objects.bulk_create(
            UnsentEdit(
                company_id=link.company_id,
                database_name=old_name,
                table=entry.table,
                source_id=entry.source_id,
                op=entry.op,
                values=entry.values,
                base=entry.base,
                edited_at=entry.created_at,
            )
            for entry in OutboxEntry.objects.filter(company_id=link.company_id).unfinished()
        )
        reason = _("Replaced by the restored company database %(name)s.") % {"name": successor.name}
        link.runs.filter(
            state__in=[SyncRun.State.SCHEDULED, SyncRun.State.QUEUED, SyncRun.State.RUNNING]
        ).update(state=SyncRun.State.FAILED, error=reason, finished_at=timezone.now(),
                 lease_token=None, lease_expires_at=None)  # fmt: skip
        delete_online_copy(company_id=link.company_id)
        link.set_state(SyncLink.State.DISCONNECTED, reason)
        link.trace(reason)
        LicenceLink.objects.filter(pk=licence_link.pk).update(database=successor)
        licence_link.database = successor
        try:
            new_link = connect_database(licence_link=licence_link, host=link.host, by=by)
        except LinkRefused as refused:
            raise ReconnectRefused(str(refused)) from None
        run = start_initial_sync(link=new_link, by=by)
    return run
