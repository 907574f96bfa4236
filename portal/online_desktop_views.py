"""Company settings -> Online Desktop: the connection of each licensed company database (its
status and requirements, the way into the wizard), and its synchronisation settings: the sync
host, the conflict policy, the conflict log, the run history and the trace download."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership
from licensing.models import AddOnProduct, LicenceLink
from portal.activation import (
    DisconnectRefused,
    ReconnectRefused,
    check_requirements,
    disconnect_database,
    hosts_reaching,
    pending_online_edits,
    reconnect_restored,
    restored_successor,
)
from portal.company import member_required, super_user_required
from portal.models import UnsentEdit
from portal.wizard_views import PasswordForm, licence_link_of
from syncengine.models import SyncHost, SyncLink, SyncRun

HISTORY_LENGTH = 20
CONFLICT_LOG_LENGTH = 50


class SyncSettingsForm(forms.Form):
    host = forms.ModelChoiceField(
        label=gettext_lazy("Sync host"),
        queryset=SyncHost.objects.none(),
        empty_label=None,
        help_text=gettext_lazy("The office computer that runs the synchronisation."),
    )
    conflict_policy = forms.ChoiceField(
        label=gettext_lazy("When both sides changed the same field"),
        choices=SyncLink.Policy.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, hosts: list[SyncHost], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        host_field = self.fields["host"]
        assert isinstance(host_field, forms.ModelChoiceField)  # noqa: S101 - for mypy
        # In the order of `hosts`: the recommended ones first.
        order = Case(*(When(pk=host.pk, then=Value(i)) for i, host in enumerate(hosts)))
        host_field.queryset = SyncHost.objects.filter(pk__in=[host.pk for host in hosts]).order_by(
            order
        )
        recommended = {host.pk for host in hosts if getattr(host, "is_recommended", False)}
        host_field.label_from_instance = lambda host: _host_label(  # type: ignore[method-assign,assignment]
            host, recommended=host.pk in recommended
        )


def _host_label(host: SyncHost, *, recommended: bool) -> str:
    state = _("online") if host.is_online() else _("offline")
    if host.last_heartbeat_at:
        seen = timezone.localtime(host.last_heartbeat_at).strftime("%Y-%m-%d %H:%M")
        label = _("%(name)s (%(state)s, last heartbeat %(when)s)") % {
            "name": host.name,
            "state": state,
            "when": seen,
        }
    else:
        label = _("%(name)s (%(state)s, never heard from)") % {"name": host.name, "state": state}
    if recommended:
        label = _("%(host)s, recommended: on the database's own computer") % {"host": label}
    return label


def _connection(licence_link: LicenceLink, membership: Membership) -> dict[str, Any]:
    database = licence_link.database
    sync_link = (
        SyncLink.objects.filter(database=database).select_related("host", "connected_by").first()
    )
    hosts = hosts_reaching(database)
    entry: dict[str, Any] = {
        "licence_link": licence_link,
        "database": database,
        "sync_link": sync_link,
        "requirements": check_requirements(
            licence_link=licence_link, membership=membership, immediate=False
        ),
        "hosts": hosts,
    }
    if sync_link is not None:
        entry["form"] = SyncSettingsForm(
            hosts=hosts or [sync_link.host],
            initial={"host": sync_link.host_id, "conflict_policy": sync_link.conflict_policy},
        )
        entry["runs"] = list(sync_link.runs.all()[:HISTORY_LENGTH])
        entry["conflicts"] = list(sync_link.conflicts.all()[:CONFLICT_LOG_LENGTH])
        entry["successor"] = restored_successor(sync_link)
    return entry


@super_user_required
def settings_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    links = LicenceLink.objects.select_related("database__company").filter(
        product__code=AddOnProduct.ONLINE_DESKTOP, database__company=membership.company
    )
    return render(
        request,
        "portal/online_desktop/settings.html",
        {
            "company": membership.company,
            "connections": [_connection(link, membership) for link in links],
            "unsent_edits": UnsentEdit.objects.filter(company=membership.company),
        },
    )


@super_user_required
@require_POST
def sync_settings(request: HttpRequest, membership: Membership, link_id: int) -> HttpResponse:
    licence_link = licence_link_of(membership, link_id)
    sync_link = SyncLink.objects.filter(database=licence_link.database).first()
    if sync_link is None:
        return redirect("portal:online_desktop")
    form = SyncSettingsForm(request.POST, hosts=hosts_reaching(licence_link.database))
    if not form.is_valid():
        messages.error(request, _("The synchronisation settings were not saved: choose again."))
        return redirect("portal:online_desktop")
    host = form.cleaned_data["host"]
    busy = sync_link.runs.filter(
        state__in=[SyncRun.State.SCHEDULED, SyncRun.State.QUEUED, SyncRun.State.RUNNING]
    ).exists()
    if host.pk != sync_link.host_id and busy:
        messages.error(
            request,
            _("The sync host cannot change while a synchronisation is scheduled or running."),
        )
        return redirect("portal:online_desktop")
    changed = []
    if host.pk != sync_link.host_id:
        sync_link.host = host
        changed.append("host")
        sync_link.trace(
            _("Sync host changed to %(host)s by %(by)s.") % {"host": host, "by": request.user}
        )
    if form.cleaned_data["conflict_policy"] != sync_link.conflict_policy:
        sync_link.conflict_policy = form.cleaned_data["conflict_policy"]
        changed.append("conflict_policy")
        sync_link.trace(
            _("Conflict policy set to “%(policy)s” by %(by)s.")
            % {"policy": sync_link.get_conflict_policy_display(), "by": request.user}
        )
    if changed:
        sync_link.save(update_fields=changed)
    messages.success(request, _("The synchronisation settings were saved."))
    return redirect("portal:online_desktop")


@super_user_required
def trace_download(request: HttpRequest, membership: Membership, link_id: int) -> HttpResponse:
    """The link's trace as a text file, oldest line first, times in UTC."""
    licence_link = licence_link_of(membership, link_id)
    sync_link = SyncLink.objects.filter(database=licence_link.database).first()
    lines = sync_link.trace_lines.all() if sync_link else []
    body = "".join(
        f"{line.at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} {line.level} {line.message}\n"
        for line in lines
    )
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="online-desktop-trace-{licence_link.database.database_id}.txt"'
    )
    return response


class DisconnectForm(PasswordForm):
    discard = forms.BooleanField(
        label=gettext_lazy("Disconnect anyway: the online edits that are still waiting are lost"),
        required=False,
    )

    def __init__(self, *args: Any, pending: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending = pending
        if not pending:
            del self.fields["discard"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.pending and not cleaned.get("discard"):
            self.add_error(
                "discard",
                _("Wait for the online edits to be sent, or confirm that they may be lost."),
            )
        return cleaned


@member_required
@require_http_methods(["GET", "POST"])
def disconnect(request: HttpRequest, membership: Membership, link_id: int) -> HttpResponse:
    """Only a super user, or the member shown as "Connected by", after re-entering their
    password; waiting online edits are counted and must be waited for or given up."""
    licence_link = licence_link_of(membership, link_id)
    sync_link = (
        SyncLink.objects.filter(database=licence_link.database)
        .exclude(state=SyncLink.State.DISCONNECTED)
        .select_related("connected_by")
        .first()
    )
    if sync_link is None:
        return redirect("portal:online_desktop")
    if not (membership.is_super_user or sync_link.connected_by_id == request.user.pk):
        raise PermissionDenied
    pending = pending_online_edits(sync_link)
    form = DisconnectForm(request.POST or None, request=request, pending=pending)
    error = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                disconnect_database(link=sync_link, by=request.user)
            except DisconnectRefused as refused:
                error, status = str(refused), 409
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s is disconnected. The online copy of its business data was "
                        "deleted; the company database itself was not changed."
                    )
                    % {"name": licence_link.database.name},
                )
                return redirect("portal:online_desktop")
        else:
            status = 400
    return render(
        request,
        "portal/online_desktop/disconnect.html",
        {
            "licence_link": licence_link,
            "database": licence_link.database,
            "sync_link": sync_link,
            "pending": pending,
            "form": form,
            "error": error,
        },
        status=status,
    )


@super_user_required
@require_http_methods(["GET", "POST"])
def reconnect(request: HttpRequest, membership: Membership, link_id: int) -> HttpResponse:
    """After a restored backup: GET explains, POST (password re-entered) reconnects."""
    licence_link = licence_link_of(membership, link_id)
    sync_link = SyncLink.objects.filter(database=licence_link.database).first()
    successor = restored_successor(sync_link) if sync_link else None
    if sync_link is None or successor is None:
        messages.info(request, _("No restored company database needs to be connected."))
        return redirect("portal:online_desktop")
    form = PasswordForm(request.POST or None, request=request)
    error, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reconnect_restored(
                    licence_link=licence_link, link=sync_link, successor=successor, by=request.user
                )
            except ReconnectRefused as refused:
                error, status = str(refused), 409
            else:
                return redirect("portal:activation_status", link_id=licence_link.pk)
        else:
            status = 400
    return render(
        request,
        "portal/online_desktop/reconnect.html",
        {
            "licence_link": licence_link,
            "database": licence_link.database,
            "successor": successor,
            "pending": pending_online_edits(sync_link),
            "form": form,
            "error": error,
        },
        status=status,
    )
