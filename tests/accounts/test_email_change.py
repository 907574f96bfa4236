"""Changing the e-mail address of an ID: the new address counts only once verified."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_new_email_replaces_the_old_one_only_after_verification(client: Client) -> None:
    user = UserFactory.create(email="anna@example.nl")
    client.force_login(user)

    response = client.post("/accounts/email/", {"action_add": "", "email": "anna@new.example"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "anna@example.nl"
    assert not EmailAddress.objects.get(email="anna@new.example").verified
    # The unverified address cannot sign in yet.
    assert not (
        Client()
        .post("/accounts/login/", {"login": "anna@new.example", "password": DEFAULT_PASSWORD})
        .wsgi_request.user.is_authenticated
    )

    assert mail.outbox[-1].to == ["anna@new.example"]
    match = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", str(mail.outbox[-1].body))
    assert match
    confirmed = client.post(match.group(1))
    assert confirmed.status_code == 302

    user.refresh_from_db()
    assert user.email == "anna@new.example"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        ("anna@new.example", True)
    ]
