"""The current company of a request, and the guard for pages of a company's super users.

Every page of company data starts here, so that a company the ID does not belong to can only
ever be a 404 (never a hint that it exists) and a plain member gets 403 on an administrator's
page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Membership

COMPANY_SESSION_KEY = "company_id"

P = ParamSpec("P")


def current_membership(request: HttpRequest) -> Membership:
    """The signed-in ID's membership of the current company: the company in the session when
    the ID is a member of it, else its only (or first, by name) membership. Http404 when the
    ID is a member of no company."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    memberships = Membership.objects.filter(user=user).select_related("company")
    company_id = request.session.get(COMPANY_SESSION_KEY)
    if company_id is not None:
        chosen = memberships.filter(company_id=company_id).first()
        if chosen is not None:
            return chosen
    first = memberships.order_by("company__name", "company_id").first()
    if first is None:
        raise Http404
    return first


def set_current_company(request: HttpRequest, membership: Membership) -> None:
    request.session[COMPANY_SESSION_KEY] = membership.company_id


def super_user_required(
    view: Callable[Concatenate[HttpRequest, Membership, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """For views of a company's super users: the view gets the membership as its second
    argument. 404 without a membership, 403 for a member who is not super user."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = current_membership(request)
        if not membership.is_super_user:
            raise PermissionDenied
        return view(request, membership, *args, **kwargs)

    return wrapper
