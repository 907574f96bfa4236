"""Company settings -> Sync hosts: pair an office computer, see its heartbeat and databases,
ask it for a fresh report, remove it."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Membership
from portal.company import super_user_required
from syncengine.models import SyncHost
from syncengine.services import issue_pairing_code, remove_host
from syncengine.tasks import refresh_host_report


def _hosts(membership: Membership) -> list[SyncHost]:
    return list(
        membership.company.sync_hosts.active().prefetch_related("databases").order_by("name", "pk")
    )


@super_user_required
@vary_on_headers("HX-Request")
def hosts(request: HttpRequest, membership: Membership) -> HttpResponse:
    template = "portal/hosts_table.html" if request.htmx else "portal/hosts.html"  # type: ignore[attr-defined]
    return render(request, template, {"company": membership.company, "hosts": _hosts(membership)})


@super_user_required
@require_POST
def host_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    # Shown once, in this response only: a reload does not show the code again.
    code = issue_pairing_code(company=membership.company, by=request.user)
    response = render(
        request,
        "portal/host_pairing.html",
        {"company": membership.company, "code": code},
    )
    response["Cache-Control"] = "no-store"
    return response


@super_user_required
@require_POST
def host_refresh(request: HttpRequest, membership: Membership, host_id: int) -> HttpResponse:
    host = get_object_or_404(membership.company.sync_hosts.active(), pk=host_id)
    transaction.on_commit(
        lambda: refresh_host_report.apply_async(args=[host.pk], queue=host.queue, expires=120)
    )
    messages.info(
        request,
        _("%(host)s was asked for a fresh report; this page updates when it arrives.")
        % {"host": host.name},
    )
    return redirect("portal:hosts")


@super_user_required
@require_http_methods(["GET", "POST"])
def host_remove(request: HttpRequest, membership: Membership, host_id: int) -> HttpResponse:
    """GET asks for confirmation; POST removes."""
    host = get_object_or_404(membership.company.sync_hosts.active(), pk=host_id)
    if request.method == "GET":
        return render(request, "portal/host_remove.html", {"host": host})
    remove_host(host=host)
    messages.success(
        request,
        _("%(host)s was removed. Its credential no longer works.") % {"host": host.name},
    )
    return redirect("portal:hosts")
