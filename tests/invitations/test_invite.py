from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AccessProfile
from accounts.rights import Rights
from invitations import services
from invitations.models import Invitation, InvitationEvent
from tests.factories import MembershipFactory
from tests.invitations.conftest import Office, invite, make_office, template

pytestmark = pytest.mark.django_db


def test_a_super_user_invites_a_listed_person_who_gets_an_email(office: Office) -> None:
    link = invite(office, 1, message="Welkom bij de bakkerij!")

    invitation = Invitation.objects.get()
    assert invitation.email == "anna@example.nl"
    assert invitation.name == "Anna de Vries"
    assert invitation.profile == template("sales")
    assert invitation.is_open()
    assert mail.outbox[-1].to == ["anna@example.nl"]
    assert link.startswith("http://testserver/invitation/")
    [event] = invitation.events.all()
    assert (event.kind, event.by) == (InvitationEvent.Kind.INVITED, office.admin.user)


def test_the_invitation_form_offers_the_persons_address_which_may_be_corrected(
    office: Office,
) -> None:
    page = office.client.get("/company/users/2/").content.decode()
    assert 'value="bart@example.nl"' in page

    invite(office, 2, email="Bart.Thuis@Example.NL")

    assert Invitation.objects.get().email == "bart.thuis@example.nl"
    assert mail.outbox[-1].to == ["bart.thuis@example.nl"]


def test_a_custom_profile_of_the_company_may_be_granted(office: Office) -> None:
    custom = AccessProfile(company=office.company, name="Magazijn")
    custom.set_rights(Rights.of({"products": "full"}))

    response = office.client.post(
        "/company/users/3/",
        {"email": "cees@example.nl", "message": "", "profile": str(custom.pk)},
    )

    assert response.status_code == 302
    assert Invitation.objects.get().profile == custom


def test_only_people_of_the_company_database_can_be_invited(office: Office) -> None:
    response = office.client.post(
        "/company/users/99/",
        {"email": "stranger@example.nl", "message": "", "profile": str(template("sales").pk)},
    )

    assert response.status_code == 404
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_the_service_refuses_a_person_who_is_not_listed(office: Office) -> None:
    with pytest.raises(services.InvitationRefused, match="Only the people"):
        services.invite(
            by=office.admin,
            person_id=99,
            email="stranger@example.nl",
            message="",
            profile=template("sales"),
        )
    assert not Invitation.objects.exists()


def test_an_invited_person_cannot_be_invited_a_second_time(office: Office) -> None:
    invite(office, 1)

    response = office.client.post(
        "/company/users/1/",
        {"email": "anna@example.nl", "message": "", "profile": str(template("sales").pk)},
    )

    assert response.status_code == 409
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_granting_more_than_one_holds_is_refused(office: Office) -> None:
    # The pages let only super users invite, and a super user holds every right; the rule is
    # still the service's, for every caller: a Sales member cannot hand out Super user.
    sales = MembershipFactory.create(company=office.company, profile=template("sales"))

    with pytest.raises(services.InvitationRefused, match="more rights than you hold"):
        services.invite(
            by=sales,
            person_id=1,
            email="anna@example.nl",
            message="",
            profile=template("super_user"),
        )
    assert not Invitation.objects.exists()


def test_a_member_who_is_not_super_user_cannot_invite_even_within_their_rights(
    office: Office,
) -> None:
    sales = MembershipFactory.create(company=office.company, profile=template("sales"))

    with pytest.raises(services.InvitationRefused, match="Only a super user"):
        services.invite(
            by=sales,
            person_id=1,
            email="anna@example.nl",
            message="",
            profile=template("time_registration"),
        )


def test_a_member_who_is_not_super_user_gets_403_on_the_pages(office: Office) -> None:
    sales = MembershipFactory.create(company=office.company, profile=template("sales"))
    office.client.force_login(sales.user)

    assert office.client.get("/company/users/").status_code == 403
    assert office.client.get("/company/users/1/").status_code == 403
    response = office.client.post(
        "/company/users/1/",
        {"email": "anna@example.nl", "message": "", "profile": str(template("sales").pk)},
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_missing_profile_choice_is_shown_as_an_error(office: Office) -> None:
    response = office.client.post("/company/users/1/", {"email": "anna@example.nl"})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_another_companys_custom_profile_cannot_be_granted(office: Office, client: Client) -> None:
    other = make_office(Client(), name="Ander B.V.")
    foreign = AccessProfile(company=other.company, name="Vreemd")
    foreign.set_rights(Rights.of({"contacts": "read"}))

    response = office.client.post(
        "/company/users/1/",
        {"email": "anna@example.nl", "message": "", "profile": str(foreign.pk)},
    )

    assert response.status_code == 400
    assert not Invitation.objects.exists()
