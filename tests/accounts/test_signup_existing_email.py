"""Signing up with an e-mail that already has an ID reveals nothing and creates nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from accounts.models import SignupRequest, User
from tests.accounts.conftest import html_body
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_existing_email_gets_the_same_response_and_a_sign_in_mail(
    client: Client, forget_rate_limits: Callable[[], None]
) -> None:
    UserFactory.create(email="anna@example.nl", name="Anna de Vries")

    existing = client.post("/accounts/signup/", {"name": "Anna", "email": "ANNA@example.nl"})
    forget_rate_limits()
    new = Client().post("/accounts/signup/", {"name": "Bert", "email": "bert@example.nl"})

    assert (existing.status_code, existing["Location"]) == (new.status_code, new["Location"])
    assert User.objects.filter(email="anna@example.nl").count() == 1
    assert not SignupRequest.objects.filter(email="anna@example.nl").exists()
    already, fresh = mail.outbox
    assert already.to == ["anna@example.nl"]
    assert already.subject == "Online Desktop: You already have an online ID"
    assert "http://testserver/accounts/login/" in already.body
    assert "http://testserver/accounts/password/reset/" in already.body
    assert "http://testserver/accounts/password/reset/" in html_body(already)
    assert "/accounts/signup/confirm/" not in already.body
    assert fresh.subject == "Online Desktop: Choose the password of your online ID"


def test_sent_pages_differ_only_in_the_address_typed(client: Client) -> None:
    UserFactory.create(email="anna@example.nl")
    other = Client()

    client.post("/accounts/signup/", {"name": "Anna", "email": "anna@example.nl"})
    other.post("/accounts/signup/", {"name": "Bert", "email": "bert@example.nl"})
    first = client.get("/accounts/signup/sent/").content.decode()
    second = other.get("/accounts/signup/sent/").content.decode()

    def without_tokens(page: str, email: str) -> str:
        page = page.replace(email, "EMAIL")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)

    assert without_tokens(first, "anna@example.nl") == without_tokens(second, "bert@example.nl")


def test_a_verified_address_of_another_id_cannot_become_a_new_id(client: Client) -> None:
    from allauth.account.models import EmailAddress

    owner = UserFactory.create(email="anna@example.nl", name="Anna de Vries")
    EmailAddress.objects.create(user=owner, email="a.devries@example.nl", verified=True)

    client.post("/accounts/signup/", {"name": "Someone", "email": "a.devries@example.nl"})

    assert not SignupRequest.objects.filter(email="a.devries@example.nl").exists()
    assert mail.outbox[0].subject == "Online Desktop: You already have an online ID"
    assert User.objects.count() == 1
