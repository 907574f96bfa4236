"""An expired, used or unknown create-an-ID link: status 410 and "send a new link"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import SignupLinkClosed, SignupRequest, User
from tests.accounts.conftest import link_in_last_mail, sign_up

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"


def test_expired_link_gives_410_and_a_new_link_that_works(
    client: Client, forget_rate_limits: Callable[[], None]
) -> None:
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    sign_up(client, email="anna@example.nl", next="/wizard/step-2/")
    expired_link = link_in_last_mail()
    SignupRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    phone = Client()
    page = phone.get(expired_link)
    assert page.status_code == 410
    assert "Send a new link" in page.content.decode()
    refused = phone.post(expired_link, {"password1": PASSWORD, "password2": PASSWORD})
    assert refused.status_code == 410
    assert not User.objects.exists()

    forget_rate_limits()  # past the per-address cooldown
    response = phone.post("/accounts/signup/new-link/", {"email": "anna@example.nl"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/sent/"
    assert len(mail.outbox) == 2
    new_link = link_in_last_mail()
    assert new_link != expired_link
    # The new request keeps the person's name, language and next location.
    newest = SignupRequest.objects.latest("created_at")
    assert (newest.name, newest.language, newest.next_url) == (
        "Anna de Vries",
        "nl",
        "/wizard/step-2/",
    )

    created = Client().post(new_link, {"password1": PASSWORD, "password2": PASSWORD})
    assert created.status_code == 302
    assert created["Location"] == "/wizard/step-2/"
    assert User.objects.get().email == "anna@example.nl"


def test_used_link_gives_410_and_creates_nothing_more(client: Client) -> None:
    sign_up(client, email="anna@example.nl")
    link = link_in_last_mail()
    Client().post(link, {"password1": PASSWORD, "password2": PASSWORD})

    again = Client().post(link, {"password1": "another-long-passphrase", "password2": "x"})
    opened = Client().get(link)

    assert again.status_code == 410
    assert opened.status_code == 410
    assert "Send a new link" in opened.content.decode()
    assert User.objects.count() == 1
    assert User.objects.get().check_password(PASSWORD)


def test_unknown_link_gives_410_with_an_empty_new_link_form(client: Client) -> None:
    response = client.get("/accounts/signup/confirm/not-a-real-token/")

    assert response.status_code == 410
    assert response.context["form"].initial == {}


def test_new_link_for_an_address_that_never_asked_sends_nothing(client: Client) -> None:
    response = client.post("/accounts/signup/new-link/", {"email": "nobody@example.nl"})

    assert response.status_code == 302
    assert mail.outbox == []
    assert not SignupRequest.objects.exists()


def test_new_link_for_a_used_link_tells_the_owner_to_sign_in(
    client: Client, forget_rate_limits: Callable[[], None]
) -> None:
    sign_up(client, email="anna@example.nl")
    Client().post(link_in_last_mail(), {"password1": PASSWORD, "password2": PASSWORD})
    forget_rate_limits()
    client.post("/accounts/signup/new-link/", {"email": "anna@example.nl"})

    assert mail.outbox[-1].subject == "Online Desktop: You already have an online ID"
    assert SignupRequest.objects.count() == 1


def test_completing_the_same_request_twice_creates_one_id() -> None:
    signup_request, _token = SignupRequest.start(
        name="Anna", email="anna@example.nl", language="en"
    )
    stale_copy = SignupRequest.objects.get(pk=signup_request.pk)

    signup_request.complete(password=PASSWORD)
    with pytest.raises(SignupLinkClosed):
        stale_copy.complete(password="another-long-passphrase-9")

    assert User.objects.get().check_password(PASSWORD)
