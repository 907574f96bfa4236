"""Every surface that takes an e-mail address is rate limited, and answers a known address
exactly as it answers an unknown one (nobody learns who has an ID)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KNOWN = "anna@example.nl"
UNKNOWN = "nobody@example.nl"


@pytest.fixture(autouse=True)
def anna() -> None:
    UserFactory.create(email=KNOWN)


def _answer(path: str, data: dict[str, str]) -> tuple[int, str]:
    response = Client().post(path, data)
    return response.status_code, response.get("Location", "")


@pytest.mark.parametrize(
    ("path", "field"),
    [("/accounts/signup/", "email"), ("/accounts/password/reset/", "email")],
)
def test_a_known_and_an_unknown_address_get_the_same_answer(path: str, field: str) -> None:
    extra = {"name": "Anna"} if "signup" in path else {}
    assert _answer(path, {field: KNOWN, **extra}) == _answer(path, {field: UNKNOWN, **extra})


def test_sign_in_fails_alike_for_a_known_and_an_unknown_address() -> None:
    known = Client().post("/accounts/login/", {"login": KNOWN, "password": "wrong-password-1"})
    unknown = Client().post("/accounts/login/", {"login": UNKNOWN, "password": "wrong-password-1"})
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/accounts/signup/", {"name": "Anna", "email": UNKNOWN}),
        ("/accounts/password/reset/", {"email": UNKNOWN}),
    ],
)
def test_hammering_an_address_form_is_stopped_with_429(path: str, data: dict[str, str]) -> None:
    client = Client()
    statuses = [client.post(path, data).status_code for _ in range(25)]
    assert 429 in statuses
    assert statuses[0] != 429


@pytest.mark.parametrize("address", [KNOWN, UNKNOWN])
def test_failed_sign_ins_are_throttled_alike_for_known_and_unknown_addresses(address: str) -> None:
    client = Client()
    answers = [
        client.post("/accounts/login/", {"login": address, "password": "wrong-password-1"})
        for _ in range(6)
    ]
    throttled = ["Too many failed login attempts" in a.content.decode() for a in answers]
    assert throttled == [False] * 5 + [True]
