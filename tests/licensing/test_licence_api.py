"""The read-only API /api/v1/licence/."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership
from licensing.models import AgreementAddOn, LicenceLink, Service
from tests.factories import (
    AddOnProductFactory,
    AgreementFactory,
    CompanyDatabaseFactory,
    MembershipFactory,
    PlanFactory,
    online_desktop,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/licence/"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def super_user(api: APIClient) -> Membership:
    membership = MembershipFactory.create(is_super_user=True, company__name="De Vries B.V.")
    api.force_authenticate(membership.user)
    return membership


def test_api_shows_agreement_add_ons_services_seats_and_licence_link(
    api: APIClient, super_user: Membership
) -> None:
    plan = PlanFactory.create(
        name="Plus",
        seats=7,
        services=Service.objects.filter(code__in=["contacts", "orders"]),
    )
    webshop = AddOnProductFactory.create(code="webshop-connector", name="Webshop connector")
    agreement = AgreementFactory.create(
        company=super_user.company,
        number="OVK-7",
        customer_number="K-7",
        plan=plan,
        valid_from=datetime.date(2025, 1, 1),
        valid_to=None,
        holder_email="holder@example.nl",
        add_ons=[online_desktop(), webshop],
    )
    AgreementAddOn.objects.filter(product=online_desktop()).update(database_allowance=2)
    database = CompanyDatabaseFactory.create(company=super_user.company, name="Productie")
    LicenceLink.objects.create(
        agreement=agreement,
        product=online_desktop(),
        database=database,
        linked_at=timezone.now(),
    )

    response = api.get(URL)

    assert response.status_code == 200
    data = response.json()
    assert data["company"] == {"name": "De Vries B.V.", "time_zone": "Europe/Amsterdam"}
    body = data["agreement"]
    assert body["number"] == "OVK-7"
    assert body["customer_number"] == "K-7"
    assert body["status"] == "active"
    assert body["valid_today"] is True
    assert body["is_evaluation"] is False
    assert (body["valid_from"], body["valid_to"]) == ("2025-01-01", None)
    assert body["holder_email"] == "holder@example.nl"
    assert body["plan"] == {"name": "Plus", "seats": 7}
    assert body["seats"] == 7
    assert body["services"] == [
        {"code": "contacts", "name": "Contacts"},
        {"code": "orders", "name": "Orders"},
    ]
    assert body["add_ons"] == [
        {
            "code": "online-desktop",
            "name": "Online Desktop",
            "links_database": True,
            "database_allowance": 2,
        },
        {
            "code": "webshop-connector",
            "name": "Webshop connector",
            "links_database": False,
            "database_allowance": 1,
        },
    ]
    [link] = body["licence_links"]
    assert link["product"] == "online-desktop"
    assert link["connected"] is False
    assert link["database"]["database_id"] == str(database.database_id)
    assert link["database"]["name"] == "Productie"


def test_api_without_an_agreement_is_404(api: APIClient, super_user: Membership) -> None:
    assert api.get(URL).status_code == 404


def test_api_for_a_plain_member_is_403(api: APIClient) -> None:
    membership = MembershipFactory.create(is_super_user=False)
    AgreementFactory.create(company=membership.company)
    api.force_authenticate(membership.user)

    assert api.get(URL).status_code == 403


def test_api_needs_a_signed_in_id(api: APIClient) -> None:
    # 401 with a Bearer challenge since the API also takes personal API tokens.
    assert api.get(URL).status_code == 401


def test_api_is_read_only(api: APIClient, super_user: Membership) -> None:
    AgreementFactory.create(company=super_user.company)

    assert api.post(URL, {}).status_code == 405
    assert api.delete(URL).status_code == 405
