"""Password reset through allauth, end to end."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-17"


def test_password_reset_by_mail_sets_a_new_password(client: Client) -> None:
    user = UserFactory.create(email="anna@example.nl")

    response = client.post("/accounts/password/reset/", {"email": "anna@example.nl"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Online Desktop: ")
    match = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+/)", str(mail.outbox[0].body)
    )
    assert match

    other_device = Client()
    key_page = other_device.get(match.group(1), follow=True)
    assert key_page.status_code == 200
    form_url = key_page.redirect_chain[-1][0] if key_page.redirect_chain else match.group(1)
    done = other_device.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    signed_in = Client().post(
        "/accounts/login/", {"login": "anna@example.nl", "password": NEW_PASSWORD}
    )
    assert signed_in.wsgi_request.user == user


def test_password_reset_for_an_unknown_address_looks_the_same(client: Client) -> None:
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.nl"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
