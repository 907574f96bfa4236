"""Inviting a person, sending an invitation again, revoking one: the rules (super users only,
nobody grants more than they hold, only listed people, seats) and the e-mail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.models import AccessProfile, Membership, User, normalise_email
from invitations.models import Invitation, InvitationClosed, InvitationEvent, Seats
from invitations.people import NOT_INVITED, find_person, linked_database
from licensing.models import Company


class InvitationRefused(Exception):
    """An invitation the rules refuse; `message` says why, for the page."""

    def __init__(self, message: Any) -> None:
        self.message = message
        super().__init__(str(message))


def invite(
    *,
    by: Membership,
    person_id: int,
    email: str,
    message: str,
    profile: AccessProfile,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invites listed person `person_id` at `email` with `profile`, as member `by`, and mails
    the link. InvitationRefused says why not."""
    company = by.company
    with transaction.atomic():
        _check_rules(by=by, profile=profile)
        database = linked_database(company)
        if database is None:
            raise InvitationRefused(_("Link your licence to a company database first."))
        person = find_person(company, database, person_id)
        if person is None:
            raise InvitationRefused(_("Only the people of your company database can be invited."))
        if person.status != NOT_INVITED:
            raise InvitationRefused(
                _("%(name)s is already a member or has an invitation.") % {"name": person.name}
            )
        _check_seat(company)
        try:
            with transaction.atomic():
                invitation, token = Invitation.issue(
                    company=company,
                    database=database,
                    person_id=person.id,
                    name=person.name,
                    email=normalise_email(email),
                    message=message.strip(),
                    profile=profile,
                    by=by.user,
                    kind=InvitationEvent.Kind.INVITED,
                )
        except IntegrityError:
            raise InvitationRefused(
                _("%(name)s is already a member or has an invitation.") % {"name": person.name}
            ) from None
    send_invitation(invitation=invitation, token=token, request=request)
    return invitation


def resend(
    *, invitation: Invitation, by: Membership, request: HttpRequest | None = None
) -> Invitation:
    """A new link for a pending invitation (the old link stops working), with a new expiry."""
    with transaction.atomic():
        _check_rules(by=by, profile=invitation.profile)
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.company_id != by.company_id:
            raise ValueError("An invitation of another company")
        if not locked.is_pending():
            raise InvitationClosed
        if locked.profile is None:
            raise InvitationRefused(
                _("The access profile of this invitation was deleted. Revoke it and invite again.")
            )
        if not locked.is_open():
            _check_seat(by.company)  # an expired invitation gave its seat back
        locked.superseded_at = timezone.now()
        locked.save(update_fields=["superseded_at"])
        new, token = Invitation.issue(
            company=locked.company,
            database=locked.database,
            person_id=locked.person_id,
            name=locked.name,
            email=locked.email,
            message=locked.message,
            profile=locked.profile,
            by=by.user,
            kind=InvitationEvent.Kind.RESENT,
        )
    send_invitation(invitation=new, token=token, request=request)
    return new


def revoke(*, invitation: Invitation, by: Membership) -> None:
    if invitation.company_id != by.company_id:
        raise ValueError("An invitation of another company")
    with transaction.atomic():
        _check_rules(by=by, profile=None)
        invitation.revoke(by=by.user)


def _check_rules(*, by: Membership, profile: AccessProfile | None) -> None:
    # The company row lock serialises invitations of one company, so that two super users
    # inviting at the same moment cannot both take the last seat; the acting member is read
    # again under it (a demotion that committed meanwhile is seen).
    Company.objects.select_for_update().get(pk=by.company_id)
    acting = Membership.objects.select_related("profile").filter(pk=by.pk).first()
    if profile is not None:
        if profile.company_id not in (None, by.company_id):
            raise ValueError("A custom access profile of another company")
        if acting is None or not acting.may_grant(profile):
            raise InvitationRefused(_("You cannot grant more rights than you hold yourself."))
    if acting is None or not acting.is_super_user:
        raise InvitationRefused(_("Only a super user invites people."))


def _check_seat(company: Company) -> None:
    seats = Seats.of(company)
    if seats.allowed == 0:
        raise InvitationRefused(_("Your company has no valid agreement, so nobody can be invited."))
    if seats.left <= 0:
        raise InvitationRefused(
            ngettext_lazy(
                "Your licence allows %(count)d online user, and every seat is taken by a "
                "member or an open invitation. Revoke an invitation, remove a member, or ask "
                "your sales consultant for more online users.",
                "Your licence allows %(count)d online users, and every seat is taken by a "
                "member or an open invitation. Revoke an invitation, remove a member, or ask "
                "your sales consultant for more online users.",
                "count",
            )
            % {"count": seats.allowed}
        )


# --- the e-mail -----------------------------------------------------------------------------


def invitation_language(invitation: Invitation) -> str:
    """The invitee's language where known (the ID of the address), else the company's."""
    user = User.objects.filter(email=invitation.email).first()
    return (user.language if user is not None else "") or invitation.company.language


def send_invitation(*, invitation: Invitation, token: str, request: HttpRequest | None) -> None:
    """Mails the invitation (HTML and text) in the invitee's language. The link is absolute:
    from the request, or settings.SITE_URL when there is none (a worker, a shell)."""
    path = reverse("portal:invitation_accept", args=[token])
    link = request.build_absolute_uri(path) if request else settings.SITE_URL.rstrip("/") + path
    inviter = invitation.invited_by
    with translation.override(invitation_language(invitation)):
        context = {
            "invitation": invitation,
            "name": invitation.name,
            "inviter": (inviter.name or inviter.email) if inviter else "",
            "company": invitation.company.name,
            "message": invitation.message,
            "profile": invitation.profile.display_name if invitation.profile else "",
            "link": link,
            "expires_at": invitation.expires_at,
            "time_zone": invitation.company.time_zone,
        }
        subject = render_to_string("invitations/email/invitation_subject.txt", context)
        text = render_to_string("invitations/email/invitation_message.txt", context)
        html = render_to_string("invitations/email/invitation_message.html", context)
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "") or ""
    mail = EmailMultiAlternatives(
        subject=prefix + " ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )
    mail.attach_alternative(html, "text/html")
    mail.send()
