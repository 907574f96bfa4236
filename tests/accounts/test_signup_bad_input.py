"""Bad input on the create-an-ID pages: a clear, announced form error and nothing half-made."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.models import SignupRequest, User
from tests.accounts.conftest import link_in_last_mail, sign_up

pytestmark = pytest.mark.django_db


def test_malformed_email_is_refused_with_a_linked_error(client: Client) -> None:
    response = client.post("/accounts/signup/", {"name": "Anna", "email": "anna@@example"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page
    assert 'id="id_email_error"' in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_email_helptext id_email_error"' in page
    assert mail.outbox == []
    assert not SignupRequest.objects.exists()


def test_missing_name_is_refused(client: Client) -> None:
    response = client.post("/accounts/signup/", {"name": "   ", "email": "anna@example.nl"})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not SignupRequest.objects.exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("12345678901234", "entirely numeric"),
        ("anna.devries@example.nl", "too similar"),
    ],
)
def test_weak_password_creates_nothing(client: Client, password: str, reason: str) -> None:
    sign_up(client, name="Anna de Vries", email="anna.devries@example.nl")
    link = link_in_last_mail()

    response = Client().post(link, {"password1": password, "password2": password})

    assert response.status_code == 200
    page = response.content.decode()
    assert reason in page
    assert 'aria-invalid="true"' in page
    assert not User.objects.exists()
    assert SignupRequest.objects.get().is_open()


def test_two_different_passwords_create_nothing(client: Client) -> None:
    sign_up(client, email="anna@example.nl")

    response = Client().post(
        link_in_last_mail(),
        {"password1": "a-long-unusual-passphrase-42", "password2": "a-long-unusual-passphrase-43"},
    )

    assert response.status_code == 200
    assert "The two passwords are not the same." in response.content.decode()
    assert not User.objects.exists()
