"""A member of company A never sees company B's agreement, databases or licence link."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from licensing.models import LicenceLink
from tests.factories import AgreementFactory, CompanyDatabaseFactory, MembershipFactory
from tests.factories import online_desktop as od

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_of_a(client: Client) -> Membership:
    membership = MembershipFactory.create(is_super_user=True, company__name="A B.V.")
    AgreementFactory.create(company=membership.company, number="A-AGREEMENT")
    client.force_login(membership.user)
    return membership


@pytest.fixture
def link_of_b() -> LicenceLink:
    agreement = AgreementFactory.create(number="B-AGREEMENT", company__name="B B.V.")
    database = CompanyDatabaseFactory.create(company=agreement.company, name="B's database")
    return LicenceLink.objects.create(agreement=agreement, product=od(), database=database)


def test_licence_page_shows_only_the_own_company(
    client: Client, member_of_a: Membership, link_of_b: LicenceLink
) -> None:
    content = client.get(reverse("portal:licence")).content.decode()

    assert "A-AGREEMENT" in content
    assert "B-AGREEMENT" not in content
    assert "B&#x27;s database" not in content
    assert "B's database" not in content


def test_session_pointing_at_another_company_falls_back_to_the_own_one(
    client: Client, member_of_a: Membership, link_of_b: LicenceLink
) -> None:
    session = client.session
    session["company_id"] = link_of_b.agreement.company_id
    session.save()

    content = client.get(reverse("portal:licence")).content.decode()
    api = client.get(reverse("api:licence")).json()

    assert "A-AGREEMENT" in content
    assert "B-AGREEMENT" not in content
    assert api["agreement"]["number"] == "A-AGREEMENT"


def test_linking_a_database_of_another_company_is_404(
    client: Client, member_of_a: Membership, link_of_b: LicenceLink
) -> None:
    foreign = CompanyDatabaseFactory.create(company=link_of_b.agreement.company)

    response = client.post(
        reverse("portal:licence_add"), {"addon": od().pk, "database": foreign.pk}
    )

    assert response.status_code == 404
    assert LicenceLink.objects.filter(agreement__company=member_of_a.company).count() == 0


def test_databases_of_another_company_are_not_listed(
    client: Client, member_of_a: Membership, link_of_b: LicenceLink
) -> None:
    content = client.get(reverse("portal:licence_add"), {"addon": od().pk}).content.decode()

    assert "B&#x27;s database" not in content
    assert "B's database" not in content


def test_moving_another_company_s_licence_link_is_404(
    client: Client, member_of_a: Membership, link_of_b: LicenceLink
) -> None:
    own = CompanyDatabaseFactory.create(company=member_of_a.company)
    url = reverse("portal:licence_move", args=[link_of_b.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"database": own.pk}).status_code == 404
    link_of_b.refresh_from_db()
    assert link_of_b.database.company == link_of_b.agreement.company


def test_api_of_an_id_without_a_company_is_404_not_another_company(
    client: Client, link_of_b: LicenceLink
) -> None:
    from tests.factories import UserFactory

    client.force_login(UserFactory.create())

    assert client.get(reverse("api:licence")).status_code == 404
    assert client.get(reverse("portal:licence")).status_code == 404
