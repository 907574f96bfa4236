"""Settings -> Account administration -> User administration (super users): the people of the
licence-linked company database, inviting them, resending and revoking invitations. And the
page an invitation's link opens, for whoever holds the link."""

from __future__ import annotations

from functools import partial

from allauth.account.models import EmailAddress
from allauth.account.utils import perform_login
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership, User
from invitations import services
from invitations.forms import InviteForm, NewIdForm
from invitations.models import IdExists, Invitation, InvitationClosed, Seats
from invitations.people import NOT_INVITED, STATUSES, Person, linked_database, people_of
from portal.company import set_current_company, super_user_required
from syncengine.models import SyncHost
from syncengine.tasks import refresh_host_report

# --- User administration ------------------------------------------------------------------------


def _person(membership: Membership, person_id: int) -> Person:
    # Only the people of this company's linked database: anyone else is a 404.
    database = linked_database(membership.company)
    if database is None:
        raise Http404
    for person in people_of(membership.company, database):
        if person.id == person_id:
            return person
    raise Http404


def _invitation(membership: Membership, invitation_id: int) -> Invitation:
    # Another company's invitation is a 404, like one that does not exist.
    return get_object_or_404(
        membership.company.invitations.select_related("profile", "company"), pk=invitation_id
    )


@super_user_required
def users(request: HttpRequest, membership: Membership) -> HttpResponse:
    company = membership.company
    database = linked_database(company)
    people = people_of(company, database) if database is not None else []
    status = request.GET.get("status", "")
    if status not in STATUSES:
        status = ""
    counts = {key: sum(1 for person in people if person.status == key) for key in STATUSES}
    return render(
        request,
        "portal/user_admin.html",
        {
            "company": company,
            "database": database,
            "people": [person for person in people if not status or person.status == status],
            "total": len(people),
            "status": status,
            "filters": [(key, label, counts[key]) for key, label in STATUSES.items()],
            "seats": seats_summary(Seats.of(company)),
            "has_host": database is not None
            and SyncHost.objects.active().filter(company=company, databases=database).exists(),
        },
    )


@super_user_required
@require_POST
def users_refresh(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Asks every sync host that reaches the linked database for a fresh report."""
    company = membership.company
    database = linked_database(company)
    if database is None:
        raise Http404
    hosts = list(SyncHost.objects.active().filter(company=company, databases=database))
    for host in hosts:
        transaction.on_commit(
            partial(refresh_host_report.apply_async, args=[host.pk], queue=host.queue, expires=120)
        )
    if hosts:
        messages.info(
            request,
            _(
                "The sync host was asked for a fresh list of the people in %(database)s. "
                "Reload this page in a minute to see it."
            )
            % {"database": database.name},
        )
    else:
        messages.warning(
            request,
            _(
                "No sync host reaches %(database)s at the moment, so the list cannot be "
                "refreshed. Check the sync hosts."
            )
            % {"database": database.name},
        )
    return redirect("portal:users")


@super_user_required
@require_http_methods(["GET", "POST"])
def user_detail(request: HttpRequest, membership: Membership, person_id: int) -> HttpResponse:
    """A person: status, history, and the invitation form while they are not invited."""
    company = membership.company
    person = _person(membership, person_id)
    form = None
    error = None
    status = 200
    if person.status == NOT_INVITED:
        form = InviteForm(
            request.POST if request.method == "POST" else None,
            company=company,
            initial={"email": person.email},
        )
        if request.method == "POST":
            if form.is_valid():
                try:
                    invitation = services.invite(
                        by=membership,
                        person_id=person.id,
                        email=form.cleaned_data["email"],
                        message=form.cleaned_data["message"],
                        profile=form.cleaned_data["profile"],
                        request=request,
                    )
                except services.InvitationRefused as refused:
                    error = str(refused.message)
                    status = 409
                else:
                    messages.success(
                        request,
                        _("The invitation was sent to %(email)s.") % {"email": invitation.email},
                    )
                    return redirect("portal:user_detail", person.id)
            else:
                status = 400
    elif request.method == "POST":
        error = _("%(name)s is already a member or has an invitation.") % {"name": person.name}
        status = 409
    seats = Seats.of(company)
    return render(
        request,
        "portal/user_admin_person.html",
        {
            "company": company,
            "person": person,
            "form": form,
            "error": error,
            "seats": seats_summary(seats),
            "no_seat_left": seats.left <= 0,
        },
        status=status,
    )


@super_user_required
@require_POST
def invitation_resend(
    request: HttpRequest, membership: Membership, invitation_id: int
) -> HttpResponse:
    invitation = _invitation(membership, invitation_id)
    try:
        new = services.resend(invitation=invitation, by=membership, request=request)
    except services.InvitationRefused as refused:
        messages.error(request, str(refused.message))
    except InvitationClosed:
        messages.error(request, _("This invitation was already accepted, revoked or replaced."))
    else:
        messages.success(
            request,
            _("A new invitation was sent to %(email)s. The previous link no longer works.")
            % {"email": new.email},
        )
    return redirect("portal:user_detail", invitation.person_id)


@super_user_required
@require_POST
def invitation_revoke(
    request: HttpRequest, membership: Membership, invitation_id: int
) -> HttpResponse:
    invitation = _invitation(membership, invitation_id)
    try:
        services.revoke(invitation=invitation, by=membership)
    except services.InvitationRefused as refused:
        messages.error(request, str(refused.message))
    except InvitationClosed:
        messages.error(request, _("This invitation was already accepted, revoked or replaced."))
    else:
        messages.success(
            request,
            _("The invitation of %(name)s was revoked: its link no longer works.")
            % {"name": invitation.name},
        )
    return redirect("portal:user_detail", invitation.person_id)


# --- Accepting an invitation --------------------------------------------------------------------


def _closed(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    return render(request, "invitations/closed.html", {"invitation": invitation}, status=410)


def _is_invited_id(user: User, invitation: Invitation) -> bool:
    return user.email == invitation.email or (
        EmailAddress.objects.filter(
            user=user, email__iexact=invitation.email, verified=True
        ).exists()
    )


def _joined(request: HttpRequest, membership: Membership, *, already: bool) -> None:
    set_current_company(request, membership)
    if already:
        messages.info(
            request,
            _("You were already a member of %(company)s; your access profile is unchanged.")
            % {"company": membership.company.name},
        )
    else:
        messages.success(
            request,
            _("Welcome to %(company)s.") % {"company": membership.company.name},
        )


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """What the link in an invitation opens. GET only shows (mail scanners open links before
    people do); a POST joins. Nothing is joined without the person choosing it here."""
    # allauth's limiter counts POSTs (GETs pass): every join and new-ID attempt, including
    # those at tokens that do not exist, so the form cannot be used to guess tokens or to
    # create IDs in bulk. (A token has 256 random bits; guessing one by GET is hopeless.)
    if not ratelimit.consume(request, action="accept_invitation"):
        return render(request, "invitations/too_many_attempts.html", status=429)
    invitation = (
        Invitation.objects.for_token(token)
        .select_related("company", "invited_by", "profile")
        .first()
    )
    if invitation is None:
        raise Http404
    if not invitation.is_open():
        return _closed(request, invitation)
    context: dict[str, object] = {"invitation": invitation}
    user = request.user
    if isinstance(user, User):  # signed in
        if request.method == "POST" and request.POST.get("action") == "join":
            already = Membership.objects.filter(user=user, company=invitation.company).exists()
            try:
                membership = invitation.accept(user=user)
            except InvitationClosed:
                invitation.refresh_from_db()
                return _closed(request, invitation)
            _joined(request, membership, already=already)
            return redirect("portal:dashboard")
        context |= {
            "mode": "signed_in",
            "is_invited_id": _is_invited_id(user, invitation),
            "is_member": Membership.objects.filter(user=user, company=invitation.company).exists(),
        }
        return render(request, "invitations/accept.html", context)
    login_url = reverse("account_login") + "?" + urlencode({"next": request.path})
    if User.objects.filter(email=invitation.email).exists():
        return render(
            request,
            "invitations/accept.html",
            context | {"mode": "sign_in", "login_url": login_url},
        )
    form = NewIdForm(
        request.POST if request.method == "POST" else None,
        user=User(email=invitation.email, name=invitation.name),
        initial={"name": invitation.name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitation.accept_with_new_id(
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password1"],
                language=translation.get_language() or invitation.company.language,
            )
        except InvitationClosed:
            invitation.refresh_from_db()
            return _closed(request, invitation)
        except IdExists:
            return render(
                request,
                "invitations/accept.html",
                context | {"mode": "sign_in", "login_url": login_url},
            )
        response = perform_login(
            request, membership.user, redirect_url=resolve_url(settings.LOGIN_REDIRECT_URL)
        )
        _joined(request, membership, already=False)
        return response
    return render(
        request,
        "invitations/accept.html",
        context | {"mode": "new_id", "form": form, "login_url": login_url},
        status=400 if form.errors else 200,
    )


def seats_summary(seats: Seats) -> str:
    """ "N of M online users, K invitations left", for the page."""
    return ngettext(
        "%(used)d of %(allowed)d online users, %(left)d invitation left",
        "%(used)d of %(allowed)d online users, %(left)d invitations left",
        seats.left,
    ) % {"used": seats.members, "allowed": seats.allowed, "left": seats.left}
