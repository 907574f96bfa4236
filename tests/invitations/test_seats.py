from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from invitations.models import Invitation, Seats
from tests.invitations.conftest import invite, make_office, path_of, template

pytestmark = pytest.mark.django_db


def test_members_and_open_invitations_take_the_seats(client: Client) -> None:
    office = make_office(client, seats=3)
    invite(office, 1)

    seats = Seats.of(office.company)

    assert (seats.allowed, seats.members, seats.invitations, seats.left) == (3, 1, 1, 1)
    page = office.client.get("/company/users/").content.decode()
    assert "1 of 3 online users, 1 invitation left" in page


def test_an_invitation_beyond_the_seats_is_refused_with_the_reason(client: Client) -> None:
    office = make_office(client, seats=2)
    invite(office, 1)
    form = office.client.get("/company/users/2/").content.decode()
    assert "1 of 2 online users, 0 invitations left" in form
    assert "Every online user of your licence is taken" in form

    response = office.client.post(
        "/company/users/2/",
        {"email": "bart@example.nl", "message": "", "profile": str(template("sales").pk)},
    )

    assert response.status_code == 409
    text = response.content.decode()
    assert "allows 2 online users" in text
    assert 'role="alert"' in text
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_revoking_gives_the_seat_back(client: Client) -> None:
    office = make_office(client, seats=2)
    invite(office, 1)
    office.client.post(f"/company/invitations/{Invitation.objects.get().pk}/revoke/")

    invite(office, 2)

    assert Invitation.objects.open().get().person_id == 2


def test_an_expired_invitation_gives_its_seat_back_and_needs_one_to_be_resent(
    client: Client,
) -> None:
    office = make_office(client, seats=2)
    invite(office, 1)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = Invitation.objects.get()
    invite(office, 2)

    office.client.post(f"/company/invitations/{expired.pk}/resend/")

    expired.refresh_from_db()
    assert expired.superseded_at is None
    assert Invitation.objects.count() == 2
    assert len(mail.outbox) == 2


def test_an_accepted_invitation_holds_its_seat_as_a_member(client: Client) -> None:
    office = make_office(client, seats=2)
    link = invite(office, 1)
    Client().post(
        path_of(link),
        {
            "name": "Anna",
            "password1": "een-lang-wachtwoord-77",
            "password2": "een-lang-wachtwoord-77",
        },
    )

    seats = Seats.of(office.company)
    assert (seats.members, seats.invitations, seats.left) == (2, 0, 0)


def test_a_company_without_a_valid_agreement_invites_nobody(client: Client) -> None:
    office = make_office(client)
    office.company.agreements.update(valid_to=timezone.localdate() - timedelta(days=1))

    response = office.client.post(
        "/company/users/1/",
        {"email": "anna@example.nl", "message": "", "profile": str(template("sales").pk)},
    )

    assert response.status_code == 409
    assert "no valid agreement" in response.content.decode()
    assert not Invitation.objects.exists()
