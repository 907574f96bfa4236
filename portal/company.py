"""The current company of a request, and the guards for a company's pages.

Every page of company data starts here, so that a company the ID does not belong to can only
ever be a 404 (never a hint that it exists), and a member without the right gets 403.

Which company is current: the one chosen with the company picker (kept in the session) while
the ID is a member of it; else the ID's default company (so that is where signing in lands);
else its first company by name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Membership, User
from accounts.rights import AREAS, Level

COMPANY_SESSION_KEY = "company_id"
_CACHE_ATTRIBUTE = "_current_membership"
_LIST_ATTRIBUTE = "_memberships"

P = ParamSpec("P")
MembershipView = Callable[Concatenate[HttpRequest, Membership, P], HttpResponse]
RequestView = Callable[Concatenate[HttpRequest, P], HttpResponse]


def current_membership(request: HttpRequest) -> Membership:
    """The signed-in ID's membership of the current company (see the module's docstring).
    Http404 when the ID is a member of no company. Read once per request."""
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    memberships = memberships_of(request)
    company_id = request.session.get(COMPANY_SESSION_KEY)
    chosen = next((m for m in memberships if str(m.company_id) == str(company_id)), None)
    if chosen is None:
        # memberships_of orders by name: the default company first, else the first by name.
        chosen = next((m for m in memberships if m.is_default), None)
    if chosen is None and memberships:
        chosen = memberships[0]
    if chosen is None:
        raise Http404
    setattr(request, _CACHE_ATTRIBUTE, chosen)
    return chosen


def memberships_of(request: HttpRequest) -> list[Membership]:
    """Every membership of the signed-in ID, by company name (User.memberships_by_name); read
    once per request, shared by the current company, the header's company picker and the
    dashboard."""
    cached = getattr(request, _LIST_ATTRIBUTE, None)
    if cached is not None:
        return cached
    user = request.user
    if not isinstance(user, User):
        raise Http404
    memberships = user.memberships_by_name()
    setattr(request, _LIST_ATTRIBUTE, memberships)
    return memberships


def set_current_company(request: HttpRequest, membership: Membership) -> None:
    request.session[COMPANY_SESSION_KEY] = membership.company_id
    setattr(request, _CACHE_ATTRIBUTE, membership)
    # The ID may have just joined this company (an accepted invitation, a claimed agreement).
    request.__dict__.pop(_LIST_ATTRIBUTE, None)


def switch_company(request: HttpRequest, company_id: int) -> Membership:
    """Makes `company_id` the current company of the request's ID; Http404 when the ID is not
    a member of it (a foreign company looks exactly like one that does not exist)."""
    if not request.user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.filter(user=request.user, company_id=company_id)
        .select_related("company", "profile")
        .first()
    )
    if membership is None:
        raise Http404
    set_current_company(request, membership)
    return membership


def member_required(view: MembershipView[P]) -> RequestView[P]:
    """For views of any member: the view gets the membership as its second argument.
    404 without a membership."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, current_membership(request), *args, **kwargs)

    return wrapper


def super_user_required(view: MembershipView[P]) -> RequestView[P]:
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


def area_required(
    area: str, level: str = Level.READ
) -> Callable[[MembershipView[P]], RequestView[P]]:
    """For views of a work area: `@area_required("orders", "full")`. The view gets the
    membership as its second argument. 404 without a membership; 403 when the plan or the
    member's rights do not allow `level` on `area` (membership.can)."""
    if area not in AREAS or level not in Level.values:
        raise ValueError(f"Unknown work area or level: {area!r}, {level!r}")

    def decorator(view: MembershipView[P]) -> RequestView[P]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = current_membership(request)
            if not membership.can(area, level):
                raise PermissionDenied
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator
