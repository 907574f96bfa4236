"""The staff administration of IDs works with the e-mail login."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership, SignupRequest, User
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def test_staff_can_create_an_id_with_an_email_and_a_password(staff_client: Client) -> None:
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Bert@Example.nl",
            "name": "Bert",
            "usable_password": "true",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
        },
    )

    assert response.status_code == 302, response.content.decode()
    assert User.objects.get(email="bert@example.nl").check_password("a-long-unusual-passphrase-42")


def test_staff_can_open_an_id_and_the_signup_requests(staff_client: Client) -> None:
    user = UserFactory.create()
    SignupRequest.start(name="Anna", email="anna@example.nl", language="en")

    assert staff_client.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200
    listing = staff_client.get("/admin/accounts/signuprequest/")
    assert listing.status_code == 200
    assert "anna@example.nl" in listing.content.decode()
    assert staff_client.get("/admin/accounts/signuprequest/add/").status_code == 403


def test_staff_cannot_move_a_membership_to_another_id_or_company(staff_client: Client) -> None:
    membership = member()
    stranger = member()

    saved = staff_client.post(
        f"/admin/accounts/membership/{membership.pk}/change/",
        {
            "user": stranger.user_id,
            "company": stranger.company_id,
            "profile": membership.profile_id,
            "is_default": "",
        },
    )

    assert saved.status_code == 302, saved.content.decode()
    assert Membership.objects.filter(
        pk=membership.pk, user=membership.user, company=membership.company
    ).exists()
