"""Company settings -> Members and Access profiles (super users), leaving a company (any
member), and the company picker."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import AccessProfileForm, MemberProfileForm
from accounts.models import AccessProfile, Membership, RightsRefused
from accounts.rights import AREAS, Area, functions_of
from portal.company import (
    COMPANY_SESSION_KEY,
    member_required,
    super_user_required,
    switch_company,
)


def _member(membership: Membership, member_id: int) -> Membership:
    # Another company's member is a 404, like a member that does not exist.
    return get_object_or_404(
        membership.company.memberships.select_related("user", "profile"), pk=member_id
    )


def _custom_profile(membership: Membership, profile_id: int) -> AccessProfile:
    # Only the company's own custom profiles: a template, or another company's, is a 404.
    return get_object_or_404(AccessProfile.objects.custom_of(membership.company), pk=profile_id)


# --- Members ------------------------------------------------------------------------------------


@super_user_required
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    company_members = list(
        membership.company.memberships.select_related("user", "profile").order_by(
            "user__name", "user__email"
        )
    )
    super_users = sum(1 for member in company_members if member.is_super_user)
    return render(
        request,
        "portal/members.html",
        {
            "company": membership.company,
            "members": company_members,
            "me": membership,
            "single_super_user": super_users <= 1,
        },
    )


@super_user_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    member = _member(membership, member_id)
    form = MemberProfileForm(
        request.POST or None, company=membership.company, initial={"profile": member.profile}
    )
    error = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                member.set_profile(form.cleaned_data["profile"], by=membership)
            except RightsRefused as refused:
                error = str(refused.message)
                status = 409
            else:
                messages.success(
                    request,
                    _("%(name)s now has the access profile %(profile)s.")
                    % {"name": member.user.name or member.user.email, "profile": member.profile},
                )
                return redirect("portal:members")
        else:
            status = 400
    return render(
        request,
        "portal/members_edit.html",
        {
            "member": member,
            "form": form,
            "error": error,
            "is_last_super_user": member.is_last_super_user(),
            "areas": [Area(area) for area in AREAS],
        },
        status=status,
    )


@super_user_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    """GET asks for confirmation; POST removes."""
    member = _member(membership, member_id)
    error = None
    if request.method == "POST":
        try:
            member.remove(by=membership)
        except RightsRefused as refused:
            error = str(refused.message)
        else:
            messages.success(
                request,
                _("%(name)s is no longer a member of %(company)s.")
                % {"name": member.user.name or member.user.email, "company": membership.company},
            )
            if member.user_id == request.user.pk:
                request.session.pop(COMPANY_SESSION_KEY, None)
                return redirect("portal:dashboard")
            return redirect("portal:members")
    return render(
        request,
        "portal/members_remove.html",
        {
            "member": member,
            "error": error,
            "is_last_super_user": member.is_last_super_user(),
        },
        status=409 if error else 200,
    )


@member_required
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Any member leaves the current company; GET asks for confirmation."""
    error = None
    if request.method == "POST":
        try:
            membership.leave()
        except RightsRefused as refused:
            error = str(refused.message)
        else:
            request.session.pop(COMPANY_SESSION_KEY, None)
            messages.success(
                request,
                _("You have left %(company)s.") % {"company": membership.company.name},
            )
            return redirect("portal:dashboard")
    return render(
        request,
        "portal/members_leave.html",
        {
            "membership": membership,
            "error": error,
            "is_last_super_user": membership.is_last_super_user(),
        },
        status=409 if error else 200,
    )


# --- Access profiles ----------------------------------------------------------------------------


def _describe(profile: AccessProfile) -> list[dict[str, object]]:
    """Per work area: its name, the level's name, and the names of the functions held."""
    rights = profile.rights
    return [
        {
            "area": Area(area).label,
            "level": rights.level(area),
            "functions": [
                function.label
                for function in functions_of(area)
                if function.code in rights.functions
            ],
        }
        for area in AREAS
    ]


@super_user_required
def profiles(request: HttpRequest, membership: Membership) -> HttpResponse:
    company = membership.company

    def rows(profiles: list[AccessProfile]) -> list[dict[str, object]]:
        # How many members of this company hold each profile (templates are shared rows).
        return [
            {
                "profile": profile,
                "in_use": profile.memberships.filter(company=company).count(),
                "rights": _describe(profile),
            }
            for profile in profiles
        ]

    return render(
        request,
        "portal/profiles.html",
        {
            "company": company,
            "templates": rows(AccessProfile.objects.templates()),
            "custom": rows(list(AccessProfile.objects.custom_of(company))),
        },
    )


@super_user_required
@require_http_methods(["GET", "POST"])
def profile_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = AccessProfileForm(request.POST or None, company=membership.company)
    if request.method == "POST" and form.is_valid():
        profile = AccessProfile(company=membership.company, name=form.cleaned_data["name"])
        profile.set_rights(form.cleaned_data["rights"])
        messages.success(
            request, _("The access profile %(profile)s was created.") % {"profile": profile}
        )
        return redirect("portal:profiles")
    return render(
        request,
        "portal/profiles_form.html",
        {"form": form, "profile": None},
        status=400 if form.errors else 200,
    )


@super_user_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, membership: Membership, profile_id: int) -> HttpResponse:
    profile = _custom_profile(membership, profile_id)
    form = AccessProfileForm(request.POST or None, company=membership.company, profile=profile)
    if request.method == "POST" and form.is_valid():
        profile.name = form.cleaned_data["name"]
        profile.set_rights(form.cleaned_data["rights"])
        messages.success(
            request, _("The access profile %(profile)s was saved.") % {"profile": profile}
        )
        return redirect("portal:profiles")
    return render(
        request,
        "portal/profiles_form.html",
        {"form": form, "profile": profile, "in_use": profile.memberships.count()},
        status=400 if form.errors else 200,
    )


@super_user_required
@require_http_methods(["GET", "POST"])
def profile_delete(request: HttpRequest, membership: Membership, profile_id: int) -> HttpResponse:
    """GET asks for confirmation (or explains why it cannot be deleted); POST deletes."""
    profile = _custom_profile(membership, profile_id)
    holders = list(profile.memberships.select_related("user").order_by("user__name"))
    error = None
    if request.method == "POST":
        try:
            profile.delete()
        except RightsRefused as refused:
            error = str(refused.message)
        else:
            messages.success(
                request, _("The access profile %(profile)s was deleted.") % {"profile": profile}
            )
            return redirect("portal:profiles")
    return render(
        request,
        "portal/profiles_delete.html",
        {"profile": profile, "holders": holders, "error": error},
        status=409 if error else 200,
    )


# --- The company picker -------------------------------------------------------------------------


@login_required
@require_POST
def company_switch(request: HttpRequest) -> HttpResponse:
    """The picker: makes the posted company current (404 for one the ID is not a member of);
    with `make_default`, also the ID's default company. Lands on the dashboard, since the
    page the picker was used on may show an object of the other company."""
    try:
        company_id = int(request.POST.get("company", ""))
    except ValueError:
        raise Http404 from None
    membership = switch_company(request, company_id)
    if request.POST.get("make_default"):
        membership.make_default()
        messages.success(
            request,
            _("%(company)s opens when you sign in.") % {"company": membership.company.name},
        )
    return redirect("portal:dashboard")
