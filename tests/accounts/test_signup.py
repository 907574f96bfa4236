"""Creating an ID: name and e-mail -> a link by e-mail -> choose a password -> signed in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.models import SignupRequest, User, hash_token
from tests.accounts.conftest import html_body, link_in_last_mail, sign_up
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"


def test_signup_page_says_the_id_is_not_the_desktop_user_name(client: Client) -> None:
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert "separate from the user name you use in the desktop program" in response.content.decode()


@pytest.mark.smoke
def test_link_opened_on_another_device_creates_the_id_and_signs_in(client: Client) -> None:
    sign_up(client, email="Anna@Example.nl")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.nl"]
    assert message.subject.startswith("Online Desktop: ")
    link = link_in_last_mail()
    assert link in html_body(message)
    assert not User.objects.exists()

    phone = Client()
    form_page = phone.get(link)
    assert form_page.status_code == 200
    assert "anna@example.nl" in form_page.content.decode()
    response = phone.post(link, {"password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get()
    assert user.email == "anna@example.nl"
    assert user.name == "Anna de Vries"
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.filter(user=user, verified=True, primary=True).count() == 1
    assert phone.get("/").context["user"] == user
    # The device that signed up is not signed in by someone else's click.
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_until_the_password_is_chosen_the_email_cannot_sign_in(client: Client) -> None:
    sign_up(client, email="anna@example.nl")

    response = client.post("/accounts/login/", {"login": "anna@example.nl", "password": PASSWORD})

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert not User.objects.exists()


def test_opening_the_link_does_not_use_it_up(client: Client) -> None:
    sign_up(client, email="anna@example.nl")
    link = link_in_last_mail()

    # A mail scanner fetches the link first.
    assert Client().get(link).status_code == 200
    assert Client().get(link).status_code == 200

    response = Client().post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert User.objects.count() == 1


def test_only_the_hash_of_the_token_is_stored(client: Client) -> None:
    sign_up(client, email="anna@example.nl")
    token = link_in_last_mail().rstrip("/").rsplit("/", 1)[1]

    signup_request = SignupRequest.objects.get()
    assert signup_request.token_hash == hash_token(token)
    assert token not in signup_request.token_hash


def test_mail_is_in_the_language_active_at_signup(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    sign_up(client, email="anna@example.nl")

    assert SignupRequest.objects.get().language == "nl"
    link = link_in_last_mail()
    Client().post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert User.objects.get().language == "nl"


def test_signing_up_again_with_a_pending_email_sends_a_fresh_link(
    client: Client, forget_rate_limits: Callable[[], None]
) -> None:
    sign_up(client, email="anna@example.nl")
    first_link = link_in_last_mail()
    forget_rate_limits()  # past the per-address cooldown
    sign_up(client, email="anna@example.nl")
    second_link = link_in_last_mail()

    assert first_link != second_link
    response = Client().post(second_link, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    # The other pending link is superseded by the ID's creation.
    assert Client().get(first_link).status_code == 410
    assert SignupRequest.objects.get(superseded_at__isnull=False)
    assert User.objects.count() == 1


def test_a_second_signup_within_the_cooldown_sends_no_second_mail(client: Client) -> None:
    sign_up(client, email="anna@example.nl")
    sign_up(client, email="anna@example.nl")

    assert len(mail.outbox) == 1
    assert SignupRequest.objects.count() == 1


def test_sent_page_mentions_the_spam_folder(client: Client) -> None:
    sign_up(client, email="anna@example.nl")

    page = client.get("/accounts/signup/sent/").content.decode()

    assert "spam" in page
    assert "anna@example.nl" in page


def test_signed_in_person_is_sent_on_from_the_signup_page(client: Client) -> None:
    client.force_login(UserFactory.create())

    assert client.get("/accounts/signup/")["Location"] == "/"


def test_signup_posts_are_rate_limited(client: Client, settings: Settings) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}

    for number in range(2):
        sign_up(client, email=f"person{number}@example.nl")
    response = client.post("/accounts/signup/", {"name": "X", "email": "third@example.nl"})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert SignupRequest.objects.count() == 2
