"""Claiming an agreement by its number plus the customer number."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from licensing.models import Agreement
from tests.factories import AgreementFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CLAIM_URL = reverse("portal:licence_claim")
GENERIC = "These numbers do not match an agreement."


@pytest.fixture
def agreement() -> Agreement:
    return AgreementFactory.create(number="OVK-2024-0042", customer_number="K-77001")


def test_right_pair_makes_the_signed_in_id_first_super_user(
    client: Client, agreement: Agreement
) -> None:
    user = UserFactory.create()
    client.force_login(user)

    response = client.post(CLAIM_URL, {"number": "ovk-2024-0042 ", "customer_number": "K-77001"})

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:licence")
    membership = Membership.objects.get(user=user)
    assert (membership.company, membership.is_super_user) == (agreement.company, True)
    assert client.session["company_id"] == agreement.company_id


@pytest.mark.parametrize(
    ("number", "customer_number"),
    [
        ("OVK-2024-0042", "K-77002"),  # right agreement, wrong customer number
        ("OVK-2024-0043", "K-77001"),  # wrong agreement, right customer number
        ("nonsense", "nonsense"),
    ],
)
def test_wrong_pair_gives_one_generic_message(
    client: Client, agreement: Agreement, number: str, customer_number: str
) -> None:
    client.force_login(UserFactory.create())

    response = client.post(CLAIM_URL, {"number": number, "customer_number": customer_number})

    assert response.status_code == 400
    assert GENERIC in response.content.decode()
    assert not Membership.objects.exists()


def test_claim_of_a_company_with_a_super_user_is_refused(
    client: Client, agreement: Agreement
) -> None:
    existing = MembershipFactory.create(company=agreement.company, is_super_user=True)
    client.force_login(UserFactory.create())

    response = client.post(CLAIM_URL, {"number": "OVK-2024-0042", "customer_number": "K-77001"})

    assert response.status_code == 400
    assert "already has a super user" in response.content.decode()
    assert list(Membership.objects.all()) == [existing]


def test_claims_are_rate_limited_per_id(client: Client, agreement: Agreement) -> None:
    user = UserFactory.create()
    client.force_login(user)
    for _attempt in range(5):
        response = client.post(CLAIM_URL, {"number": "OVK-2024-0042", "customer_number": "x"})
        assert response.status_code == 400

    response = client.post(CLAIM_URL, {"number": "OVK-2024-0042", "customer_number": "K-77001"})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not Membership.objects.exists()


def test_rate_limit_of_one_id_does_not_hold_back_another(
    client: Client, agreement: Agreement
) -> None:
    client.force_login(UserFactory.create())
    for _attempt in range(6):
        client.post(CLAIM_URL, {"number": "x", "customer_number": "x"})
    other = UserFactory.create()
    client.force_login(other)

    response = client.post(CLAIM_URL, {"number": "OVK-2024-0042", "customer_number": "K-77001"})

    assert response.status_code == 302
    assert Membership.objects.get(user=other).is_super_user


def test_claim_page_needs_a_signed_in_id(client: Client) -> None:
    response = client.get(CLAIM_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_claim_page_labels_its_fields(client: Client) -> None:
    client.force_login(UserFactory.create())

    content = client.get(CLAIM_URL).content.decode()

    assert '<label for="id_number">' in content
    assert '<label for="id_customer_number">' in content


def test_claims_are_rate_limited_per_address_across_ids(
    client: Client, agreement: Agreement
) -> None:
    for _id in range(4):
        client.force_login(UserFactory.create())
        for _attempt in range(5):
            response = client.post(CLAIM_URL, {"number": "x", "customer_number": "x"})
            assert response.status_code == 400
    client.force_login(UserFactory.create())

    response = client.post(CLAIM_URL, {"number": "OVK-2024-0042", "customer_number": "K-77001"})

    assert response.status_code == 429
