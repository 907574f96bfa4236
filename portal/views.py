from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Membership, rights_for
from accounts.rights import AREAS, Area
from licensing.models import AddOnProduct, LicenceLink
from portal.company import current_membership


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        membership = current_membership(request)
    except Http404:
        return render(request, "portal/dashboard.html", {"membership": None, "memberships": []})
    rights = rights_for(membership)
    memberships = (
        Membership.objects.filter(user_id=membership.user_id)
        .select_related("company", "profile")
        .order_by("company__name", "company_id")
    )
    return render(
        request,
        "portal/dashboard.html",
        {
            "membership": membership,
            "memberships": memberships,
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
