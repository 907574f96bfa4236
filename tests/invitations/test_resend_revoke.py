from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import AccessProfile
from accounts.rights import Rights
from invitations.models import Invitation, InvitationEvent
from tests.factories import MembershipFactory
from tests.invitations.conftest import Office, invite, last_link, path_of, template

pytestmark = pytest.mark.django_db


def test_resend_mails_a_new_link_and_the_old_one_stops_working(office: Office) -> None:
    old_link = invite(office, 1)
    invitation = Invitation.objects.get()

    response = office.client.post(f"/company/invitations/{invitation.pk}/resend/")

    assert response.status_code == 302
    assert response["Location"] == "/company/users/1/"
    new_link = last_link()
    assert new_link != old_link
    assert len(mail.outbox) == 2
    old = Client().get(path_of(old_link))
    assert old.status_code == 410
    assert "newer invitation" in old.content.decode()
    assert Client().get(path_of(new_link)).status_code == 200
    new = Invitation.objects.get(superseded_at__isnull=True)
    assert (new.email, new.profile, new.message) == (
        invitation.email,
        invitation.profile,
        invitation.message,
    )
    assert new.events.get().kind == InvitationEvent.Kind.RESENT


def test_resend_of_an_expired_invitation_gives_a_working_link_with_a_new_expiry(
    office: Office,
) -> None:
    invite(office, 1)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))
    invitation = Invitation.objects.get()

    office.client.post(f"/company/invitations/{invitation.pk}/resend/")

    new = Invitation.objects.get(superseded_at__isnull=True)
    assert new.is_open()
    assert new.expires_at > timezone.now() + timedelta(days=6)
    assert Client().get(path_of(last_link())).status_code == 200


def test_revoke_kills_the_link_and_names_whom_to_ask(office: Office) -> None:
    link = invite(office, 1)
    invitation = Invitation.objects.get()

    response = office.client.post(f"/company/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 302
    closed = Client().get(path_of(link))
    assert closed.status_code == 410
    assert "withdrawn" in closed.content.decode()
    assert "ask Sanne" in closed.content.decode()
    posted = Client().post(path_of(link), {"action": "join"})
    assert posted.status_code == 410


def test_a_revoked_person_is_listed_as_not_invited_and_can_be_invited_again(
    office: Office,
) -> None:
    invite(office, 1)
    invitation = Invitation.objects.get()
    office.client.post(f"/company/invitations/{invitation.pk}/revoke/")

    listed = office.client.get("/company/users/?status=not_invited").context["people"]
    assert 1 in [person.id for person in listed]
    invite(office, 1)
    assert Invitation.objects.open().count() == 1


def test_an_accepted_invitation_can_be_neither_resent_nor_revoked(office: Office) -> None:
    link = invite(office, 1)
    Client().post(
        path_of(link),
        {
            "name": "Anna",
            "password1": "een-lang-wachtwoord-77",
            "password2": "een-lang-wachtwoord-77",
        },
    )
    invitation = Invitation.objects.get()

    office.client.post(f"/company/invitations/{invitation.pk}/resend/")
    office.client.post(f"/company/invitations/{invitation.pk}/revoke/")

    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_resend_and_revoke_need_post(office: Office) -> None:
    invite(office, 1)
    invitation = Invitation.objects.get()

    assert office.client.get(f"/company/invitations/{invitation.pk}/resend/").status_code == 405
    assert office.client.get(f"/company/invitations/{invitation.pk}/revoke/").status_code == 405


def test_every_step_is_in_the_persons_history_with_who_and_when(office: Office) -> None:
    other_admin = MembershipFactory.create(
        company=office.company, is_super_user=True, user__name="Piet Bakker"
    )
    link = invite(office, 1)
    invitation = Invitation.objects.get()
    office.client.force_login(other_admin.user)
    office.client.post(f"/company/invitations/{invitation.pk}/resend/")
    office.client.post(f"/company/invitations/{Invitation.objects.open().get().pk}/revoke/")
    office.client.force_login(office.admin.user)
    link = invite(office, 1)
    Client().post(
        path_of(link),
        {
            "name": "Anna",
            "password1": "een-lang-wachtwoord-77",
            "password2": "een-lang-wachtwoord-77",
        },
    )

    page = office.client.get("/company/users/1/")

    history = page.context["person"].history
    assert [(event.kind, event.by.name) for event in history] == [
        ("accepted", "Anna"),
        ("invited", "Sanne"),
        ("revoked", "Piet Bakker"),
        ("resent", "Piet Bakker"),
        ("invited", "Sanne"),
    ]
    text = page.content.decode()
    assert "by Piet Bakker" in text
    assert "Invitation revoked" in text
    assert 'datetime="' in text
    assert page.context["person"].status == "active"


def test_a_super_user_demoted_meanwhile_cannot_revoke(office: Office) -> None:
    invite(office, 1)
    invitation = Invitation.objects.get()
    other = MembershipFactory.create(company=office.company, is_super_user=True)
    office.admin.set_profile(template("sales"), by=other)

    response = office.client.post(f"/company/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_deleting_the_custom_profile_of_an_open_invitation_stops_its_link(
    office: Office,
) -> None:
    custom = AccessProfile(company=office.company, name="Magazijn")
    custom.set_rights(Rights.of({"products": "full"}))
    office.client.post(
        "/company/users/1/",
        {"email": "anna@example.nl", "message": "", "profile": str(custom.pk)},
    )
    link = last_link()

    deleted = office.client.post(f"/company/profiles/{custom.pk}/delete/")

    assert deleted.status_code == 302
    closed = Client().get(path_of(link))
    assert closed.status_code == 410
    assert "no longer exists" in closed.content.decode()
    assert not Invitation.objects.open().exists()  # the seat is free again
    invitation = Invitation.objects.get()
    office.client.post(f"/company/invitations/{invitation.pk}/resend/")
    assert Invitation.objects.count() == 1
    office.client.post(f"/company/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    invite(office, 1)
    assert Invitation.objects.open().get().person_id == 1
