"""Repeated failed sign-ins are throttled on every sign-in surface."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

THROTTLED = "Too many failed login attempts"


def fail_to_sign_in(client: Client, email: str, times: int) -> None:
    for _attempt in range(times):
        response = client.post("/accounts/login/", {"login": email, "password": "wrong-guess"})
        assert response.status_code == 200
        assert THROTTLED not in response.content.decode()


def test_sign_in_is_throttled_after_five_failures_even_with_the_right_password(
    client: Client,
) -> None:
    user = UserFactory.create()
    fail_to_sign_in(client, user.email, times=5)

    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert THROTTLED in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_sign_in_works_before_the_limit(client: Client) -> None:
    user = UserFactory.create()
    fail_to_sign_in(client, user.email, times=4)

    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response.wsgi_request.user == user


def test_admin_sign_in_goes_through_the_throttled_sign_in(client: Client) -> None:
    staff = UserFactory.create(is_staff=True, is_superuser=True)

    # The admin's own form never checks a password: it sends people to the ID sign-in.
    direct = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.email, "password": DEFAULT_PASSWORD, "next": "/admin/"},
    )
    assert direct.status_code == 302
    assert direct["Location"].startswith("/accounts/login/?next=")
    assert not direct.wsgi_request.user.is_authenticated

    fail_to_sign_in(client, staff.email, times=5)
    throttled = client.post(
        direct["Location"], {"login": staff.email, "password": DEFAULT_PASSWORD}
    )
    assert THROTTLED in throttled.content.decode()
    assert not throttled.wsgi_request.user.is_authenticated
    assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith("/accounts/login/")


def test_admin_sign_in_leads_back_to_the_admin_once_signed_in(client: Client) -> None:
    staff = UserFactory.create(is_staff=True, is_superuser=True)

    direct = client.get("/admin/login/?next=/admin/")
    response = client.post(direct["Location"], {"login": staff.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
