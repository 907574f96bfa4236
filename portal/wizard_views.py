"""The activation wizard for Online Desktop: prerequisites, five steps, and the status page of
the first synchronisation.

The wizard's state is an `Activation` row per licence link: every page shows the step the row
is at, a form posted from another step (a second tab, Back in the browser) only shows the
current step again, and Finish locks the row and the company database, so it activates once.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from allauth.core import ratelimit
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.models import Membership
from licensing.models import AddOnProduct, CompanyDatabase, LicenceLink
from portal.activation import (
    active_sync_link,
    check_requirements,
    company_details,
    delete_online_copy,
    first_sync_progress,
    hosts_reaching,
    start_now_requirements,
)
from portal.company import super_user_required
from portal.models import Activation
from syncengine.models import SyncLink, SyncRun
from syncengine.services import LinkRefused, connect_database, start_initial_sync
from syncengine.tasks import refresh_host_report

STEP_TITLES = {
    1: gettext_lazy("Activate"),
    2: gettext_lazy("Your ID"),
    3: gettext_lazy("Company details"),
    4: gettext_lazy("First synchronisation"),
    5: gettext_lazy("Finish"),
}


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=gettext_lazy("The password of your ID, to confirm that it is you."),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = request.user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        # The same limit as allauth's own re-authentication: no guessing through this form.
        if not ratelimit.consume(self.request, action="reauthenticate", user=self.user):
            raise forms.ValidationError(
                gettext_lazy("Too many attempts. Try again in a minute."), code="limited"
            )
        if not self.user.check_password(password):
            raise forms.ValidationError(
                gettext_lazy("This is not the password of your ID."), code="wrong"
            )
        return password


class StartForm(forms.Form):
    start = forms.ChoiceField(
        label=gettext_lazy("When should the first synchronisation start?"),
        choices=Activation.Start.choices,
        widget=forms.RadioSelect,
    )
    at = forms.DateTimeField(
        label=gettext_lazy("Date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, time_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(time_zone)
        self.fields["at"].help_text = _("In the company's time zone, %(zone)s.") % {
            "zone": time_zone
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        at = cleaned.get("at")
        if cleaned.get("start") != Activation.Start.LATER:
            cleaned["at"] = None
            return cleaned
        if at is None:
            if "at" not in self.errors:
                self.add_error("at", _("Choose the date and time of the first synchronisation."))
            return cleaned
        # The field read the time in the server's zone: the person meant the company's.
        at = timezone.make_naive(at).replace(tzinfo=self.zone)
        if at <= timezone.now():
            self.add_error("at", _("Choose a date and time in the future."))
        cleaned["at"] = at
        return cleaned


def licence_link_of(membership: Membership, link_id: int) -> LicenceLink:
    # Another company's licence link is a 404, like one that does not exist.
    return get_object_or_404(
        LicenceLink.objects.select_related("database__company", "agreement"),
        pk=link_id,
        product__code=AddOnProduct.ONLINE_DESKTOP,
        database__company=membership.company,
    )


def _activation(licence_link: LicenceLink) -> Activation:
    activation, _created = Activation.objects.get_or_create(licence_link=licence_link)
    if activation.finished_at and active_sync_link(licence_link.database) is None:
        # The last activation ended (its first sync failed, or the database was disconnected):
        # this is a new one.
        activation.restart()
    return activation


def _refused(request: HttpRequest, licence_link: LicenceLink, sync_link: SyncLink) -> HttpResponse:
    return render(
        request,
        "portal/wizard/refused.html",
        {"licence_link": licence_link, "database": licence_link.database, "sync_link": sync_link},
        status=409 if request.method == "POST" else 200,
    )


@super_user_required
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def requirements(request: HttpRequest, membership: Membership, link_id: int) -> HttpResponse:
    """The prerequisites, each met or not with what to do; POST ("Check again") asks the sync
    hosts for a fresh report, and the list updates when it arrives."""
    licence_link = licence_link_of(membership, link_id)
    database = licence_link.database
    if request.method == "POST":
        for host in hosts_reaching(database):
            transaction.on_commit(
                lambda host=host: refresh_host_report.apply_async(  # type: ignore[misc]
                    args=[host.pk], queue=host.queue, expires=120
                )
            )
        messages.info(
            request,
            _("The sync host was asked for a fresh report: the list updates when it arrives."),
        )
        return redirect("portal:activation_requirements", link_id=licence_link.pk)
    context = {
        "licence_link": licence_link,
        "database": database,
        "requirements": check_requirements(
            licence_link=licence_link, membership=membership, immediate=False
        ),
        "start_now": start_now_requirements(database),
        "sync_link": active_sync_link(database),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "portal/wizard/requirements_list.html", context)
    return render(request, "portal/wizard/requirements.html", context)


@super_user_required
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, membership: Membership, link_id: int) -> HttpResponse:
    licence_link = licence_link_of(membership, link_id)
    database = licence_link.database
    activation = _activation(licence_link)
    holder = active_sync_link(database)
    if holder is not None:
        if activation.finished_at:
            return redirect("portal:activation_status", link_id=licence_link.pk)
        return _refused(request, licence_link, holder)
    if not check_requirements(
        licence_link=licence_link, membership=membership, immediate=False
    ).all_met:
        return redirect("portal:activation_requirements", link_id=licence_link.pk)

    company = database.company
    password_form = PasswordForm(request=request)
    start_form = StartForm(
        time_zone=company.time_zone,
        initial={
            "start": activation.start or Activation.Start.NOW,
            # Naive, in the company's zone: the field would show an aware time in the server's.
            "at": activation.scheduled_for.astimezone(zoneinfo.ZoneInfo(company.time_zone)).replace(
                tzinfo=None
            )
            if activation.scheduled_for
            else None,
        },
    )
    unmet: list[Any] = []
    status = 200
    if request.method == "POST":
        posted_step = request.POST.get("step")
        if posted_step != str(activation.step):
            # A form of another step (a second tab, the browser's Back): show where we are.
            messages.warning(request, _("The activation had moved on: this is its current step."))
            return redirect("portal:activate", link_id=licence_link.pk)
        if "back" in request.POST:
            activation.step = max(1, activation.step - 1)
            activation.save(update_fields=["step"])
            return redirect("portal:activate", link_id=licence_link.pk)
        if activation.step == 2:
            password_form = PasswordForm(request.POST, request=request)
            if password_form.is_valid():
                activation.confirmed_by = request.user  # type: ignore[assignment]
                activation.step = 3
                activation.save(update_fields=["confirmed_by", "step"])
                return redirect("portal:activate", link_id=licence_link.pk)
            status = 400
        elif activation.step == 4:
            start_form = StartForm(request.POST, time_zone=company.time_zone)
            if start_form.is_valid():
                activation.start = start_form.cleaned_data["start"]
                activation.scheduled_for = start_form.cleaned_data["at"]
                activation.step = 5
                activation.save(update_fields=["start", "scheduled_for", "step"])
                return redirect("portal:activate", link_id=licence_link.pk)
            status = 400
        elif activation.step == 5:
            outcome = _finish(request, membership, activation)
            if isinstance(outcome, HttpResponse):
                return outcome
            unmet, status = outcome, 409
        else:
            activation.step += 1
            activation.save(update_fields=["step"])
            return redirect("portal:activate", link_id=licence_link.pk)

    return render(
        request,
        "portal/wizard/step.html",
        {
            "licence_link": licence_link,
            "database": database,
            "company": company,
            "activation": activation,
            "steps": STEP_TITLES.items(),
            "step_title": STEP_TITLES[activation.step],
            "password_form": password_form,
            "start_form": start_form,
            "details": company_details(database),
            "unmet": unmet,
            "hosts": hosts_reaching(database),
        },
        status=status,
    )


def _finish(request: HttpRequest, membership: Membership, activation: Activation) -> Any:
    """Connects the database and schedules its first synchronisation, once: the activation and
    the database rows are locked, and a database that another activation holds is refused.
    Returns a response, or the unmet requirements."""
    with transaction.atomic():
        activation = Activation.objects.select_for_update().get(pk=activation.pk)
        licence_link = activation.licence_link
        if activation.finished_at:
            return redirect("portal:activation_status", link_id=licence_link.pk)
        database = CompanyDatabase.objects.select_for_update().get(pk=licence_link.database_id)
        licence_link.database = database
        holder = active_sync_link(database)
        if holder is not None:
            return _refused(request, licence_link, holder)
        if activation.step != Activation.LAST_STEP or activation.confirmed_by is None:
            return redirect("portal:activate", link_id=licence_link.pk)
        later = activation.start == Activation.Start.LATER
        if later and (
            activation.scheduled_for is None or activation.scheduled_for <= timezone.now()
        ):
            activation.step = 4
            activation.save(update_fields=["step"])
            messages.error(request, _("The chosen time has passed: choose the start again."))
            return redirect("portal:activate", link_id=licence_link.pk)
        checked = check_requirements(
            licence_link=licence_link, membership=membership, immediate=not later
        )
        if not checked.all_met:
            return checked.unmet
        hosts = [host for host in hosts_reaching(database) if host.is_online()]
        if SyncLink.objects.filter(database=database, state=SyncLink.State.FAILED).exists():
            # A first sync that failed half-way left part of a copy: this one starts anew.
            delete_online_copy(company_id=database.company_id)
        try:
            link = connect_database(
                licence_link=licence_link, host=hosts[0], by=activation.confirmed_by
            )
        except LinkRefused as refused:
            messages.error(request, str(refused))
            return redirect("portal:activation_requirements", link_id=licence_link.pk)
        run = start_initial_sync(
            link=link, by=activation.confirmed_by, at=activation.scheduled_for if later else None
        )
        activation.run = run
        activation.finished_at = timezone.now()
        activation.save(update_fields=["run", "finished_at"])
    messages.success(request, _("Online Desktop is activated for %(name)s.") % {"name": database})
    return redirect("portal:activation_status", link_id=licence_link.pk)


def status_context(licence_link: LicenceLink) -> dict[str, Any]:
    database = licence_link.database
    sync_link = SyncLink.objects.filter(database=database).select_related("host", "connected_by")
    link = sync_link.first()
    run = link.runs.filter(kind=SyncRun.Kind.INITIAL).first() if link else None
    return {
        "licence_link": licence_link,
        "database": database,
        "company": database.company,
        "sync_link": link,
        "run": run,
        "progress": first_sync_progress(run) if run else None,
        "now_utc": timezone.now(),
        "finished": link is None
        or run is None
        or run.state in (SyncRun.State.DONE, SyncRun.State.FAILED)
        or link.state not in (SyncLink.State.SCHEDULED, SyncLink.State.INITIAL_SYNC),
    }


@super_user_required
@vary_on_headers("HX-Request")
def status(request: HttpRequest, membership: Membership, link_id: int) -> HttpResponse:
    """The first synchronisation, live: the page polls its fragment every 2 seconds while it
    runs (htmx); without JavaScript the Refresh link shows the same truth."""
    licence_link = licence_link_of(membership, link_id)
    context = status_context(licence_link)
    if context["sync_link"] is None:
        return redirect("portal:activation_requirements", link_id=licence_link.pk)
    template = "portal/wizard/status_fragment.html" if request.htmx else "portal/wizard/status.html"  # type: ignore[attr-defined]
    return render(request, template, context)
