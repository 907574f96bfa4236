"""The current company in the site header, on every page of a signed-in member."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import Http404
from django.urls import reverse

from accounts.models import Membership
from accounts.rights import AREAS, Area
from portal.company import current_membership, memberships_of
from syncengine.models import silent_hosts

register = template.Library()


@register.simple_tag(takes_context=True)
def company_header(context: template.Context) -> dict[str, Any] | None:
    """{"current": membership, "others": [memberships of the ID's other companies],
    "areas": [(label, url) of the work areas the member may read], "silent_hosts": [sync
    hosts the company waits for]}, or None when nobody is signed in or the ID is a member of
    no company."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    try:
        current = current_membership(request)
    except Http404:
        return None
    others = [other for other in memberships_of(request) if other.pk != current.pk]
    return {
        "current": current,
        "others": others,
        "areas": area_pages(current, request.path),
        "silent_hosts": silent_hosts(current.company_id),
    }


# The first page of each work area, by area code.
AREA_PAGES: dict[str, str] = {
    "contacts": "portal:contacts",
    "products": "portal:products",
    "orders": "portal:orders",
    "invoices": "portal:invoices",
    "activities": "portal:activities",
    "time_sheets": "portal:time_sheets",
}


def area_pages(membership: Membership, path: str) -> list[dict[str, Any]]:
    """The work areas `membership` may read (plan and rights), in the desktop's order, each
    with its first page's URL and whether `path` lies in it."""
    pages = []
    for area in AREAS:
        if area in AREA_PAGES and membership.can(area):
            url = reverse(AREA_PAGES[area])
            pages.append({"label": Area(area).label, "url": url, "current": path.startswith(url)})
    return pages
