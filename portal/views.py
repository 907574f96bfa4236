from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Membership, rights_for
from accounts.rights import AREAS, Area
from licensing.models import AddOnProduct, LicenceLink
from portal.company import current_membership, member_required, memberships_of
from portal.focus_areas import dashboard_of, may_see
from portal.models import FocusArea, Stream


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        membership = current_membership(request)
    except Http404:
        return render(request, "portal/dashboard.html", {"membership": None, "memberships": []})
    rights = rights_for(membership)
    focus_areas, hidden = dashboard_of(membership)
    return render(
        request,
        "portal/dashboard.html",
        {
            "membership": membership,
            # The same list the header's company picker shows: read once per request.
            "memberships": memberships_of(request),
            "focus_areas": focus_areas,
            "hidden_focus_areas": hidden,
            "areas": [
                {"area": Area(area), "level": rights.level(area)}
                for area in AREAS
                if rights.allows(area)
            ],
            # "Connect to Online Desktop": the licence is linked, the database not connected.
            "to_connect": LicenceLink.objects.filter(
                product__code=AddOnProduct.ONLINE_DESKTOP,
                database__company=membership.company,
                database__connected=False,
            ).select_related("database")
            if membership.is_super_user
            else [],
        },
    )


@member_required
@require_POST
def focus_area(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Shows, hides or moves one focus area of the member's own dashboard (plain POST: works
    without JavaScript), then back to the dashboard at that area."""
    stream = request.POST.get("stream", "")
    action = request.POST.get("action", "")
    if stream not in Stream.values or action not in FocusArea.ACTIONS:
        raise BadRequest("Unknown focus area or action")
    if not may_see(membership, stream):
        raise PermissionDenied
    visible = [s for s in Stream.values if may_see(membership, s)]
    FocusArea.objects.arrange(membership=membership, stream=stream, action=action, among=visible)
    anchor = "#hidden-focus-areas" if action == "hide" else f"#focus-{stream}"
    return redirect(reverse("portal:dashboard") + anchor)
