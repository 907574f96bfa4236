"""The agreement's holder becomes the company's first super user by signing in with the
holder's e-mail, verified."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from tests.factories import DEFAULT_PASSWORD, AgreementFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client: Client, user: User) -> None:
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302, response.content


def test_holder_signing_in_with_verified_email_becomes_first_super_user(client: Client) -> None:
    agreement = AgreementFactory.create(holder_email="Jan.de.Vries@Example.nl")
    holder = UserFactory.create(email="jan.de.vries@example.nl")

    sign_in(client, holder)

    membership = Membership.objects.get(user=holder)
    assert membership.company == agreement.company
    assert membership.is_super_user


def test_holder_email_that_is_not_verified_makes_no_super_user(client: Client) -> None:
    agreement = AgreementFactory.create(holder_email="holder@example.nl")
    user = UserFactory.create(email="someone@example.nl")
    EmailAddress.objects.create(user=user, email="holder@example.nl", verified=False)

    sign_in(client, user)

    assert not Membership.objects.filter(company=agreement.company).exists()


def test_holder_signing_in_when_the_company_has_a_super_user_gets_nothing(client: Client) -> None:
    agreement = AgreementFactory.create(holder_email="holder@example.nl")
    existing = MembershipFactory.create(company=agreement.company, is_super_user=True)
    holder = UserFactory.create(email="holder@example.nl")

    sign_in(client, holder)

    assert list(Membership.objects.filter(company=agreement.company)) == [existing]


def test_existing_plain_member_who_is_the_holder_is_raised_to_super_user(client: Client) -> None:
    agreement = AgreementFactory.create(holder_email="holder@example.nl")
    holder = UserFactory.create(email="holder@example.nl")
    MembershipFactory.create(user=holder, company=agreement.company, is_super_user=False)

    sign_in(client, holder)

    assert Membership.objects.get(user=holder).is_super_user


def test_cancelled_agreement_makes_no_super_user(client: Client) -> None:
    agreement = AgreementFactory.create(holder_email="holder@example.nl", status="cancelled")
    holder = UserFactory.create(email="holder@example.nl")

    sign_in(client, holder)

    assert not Membership.objects.filter(company=agreement.company).exists()


def test_verifying_the_holder_email_later_makes_the_first_super_user(client: Client) -> None:
    agreement = AgreementFactory.create(holder_email="holder@example.nl")
    user = UserFactory.create(email="someone@example.nl")
    address = EmailAddress.objects.create(user=user, email="holder@example.nl", verified=False)
    sign_in(client, user)
    assert not Membership.objects.exists()

    response = client.post(
        reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])
    )

    assert response.status_code == 302
    assert Membership.objects.get(user=user, company=agreement.company).is_super_user
