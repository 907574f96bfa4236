"""The current company in the site header, on every page of a signed-in member."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import Http404

from accounts.models import Membership
from portal.company import current_membership

register = template.Library()


@register.simple_tag(takes_context=True)
def company_header(context: template.Context) -> dict[str, Any] | None:
    """{"current": membership, "others": [memberships of the ID's other companies]}, or None
    when nobody is signed in or the ID is a member of no company."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    try:
        current = current_membership(request)
    except Http404:
        return None
    others = list(
        Membership.objects.filter(user_id=current.user_id)
        .exclude(pk=current.pk)
        .select_related("company")
        .order_by("company__name", "company_id")
    )
    return {"current": current, "others": others}
