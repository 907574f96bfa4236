from __future__ import annotations

import pytest
from django.test import Client

from invitations.models import Invitation
from tests.factories import UserFactory
from tests.invitations.conftest import invite, make_office, template

pytestmark = pytest.mark.django_db


def test_another_companys_invitation_is_404_for_resend_and_revoke() -> None:
    ours = make_office(Client(), name="Ons B.V.")
    theirs = make_office(Client(), name="Hun B.V.")
    invite(theirs, 1)
    foreign = Invitation.objects.get()

    assert ours.client.post(f"/company/invitations/{foreign.pk}/resend/").status_code == 404
    assert ours.client.post(f"/company/invitations/{foreign.pk}/revoke/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_open()
    assert Invitation.objects.count() == 1


def test_a_person_of_another_companys_database_is_404() -> None:
    ours = make_office(Client(), name="Ons B.V.")
    theirs = make_office(Client(), name="Hun B.V.")
    theirs.database.report = {
        "employees": [
            {"id": 77, "first_name": "Vera", "last_name": "Vreemd", "email": "vera@hun.nl"}
        ],
        "users": [],
    }
    theirs.database.save()

    assert ours.client.get("/company/users/77/").status_code == 404
    response = ours.client.post(
        "/company/users/77/",
        {"email": "vera@hun.nl", "message": "", "profile": str(template("sales").pk)},
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_the_list_shows_only_the_companys_own_people_and_invitations() -> None:
    ours = make_office(Client(), name="Ons B.V.")
    theirs = make_office(Client(), name="Hun B.V.")
    theirs.database.report = {
        "employees": [
            {"id": 1, "first_name": "Vera", "last_name": "Vreemd", "email": "vera@hun.nl"}
        ],
        "users": [],
    }
    theirs.database.save()
    invite(theirs, 1, email="vera@hun.nl")

    page = ours.client.get("/company/users/")

    assert "Vera" not in page.content.decode()
    assert all(person.status == "not_invited" for person in page.context["people"])


def test_someone_without_a_membership_gets_404_and_anonymous_is_sent_to_sign_in() -> None:
    make_office(Client())
    stranger = Client()
    stranger.force_login(UserFactory.create())

    assert stranger.get("/company/users/").status_code == 404
    anonymous = Client().get("/company/users/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
