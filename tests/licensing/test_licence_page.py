"""The licence page: Manage licence information -> Additional products -> Add -> choose -> OK."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from licensing.models import AgreementAddOn, CompanyDatabase, LicenceLink
from tests.factories import (
    AddOnProductFactory,
    AgreementFactory,
    CompanyDatabaseFactory,
    MembershipFactory,
    online_desktop,
)

pytestmark = pytest.mark.django_db

LICENCE_URL = reverse("portal:licence")
ADD_URL = reverse("portal:licence_add")


@pytest.fixture
def super_user(client: Client) -> Membership:
    membership = MembershipFactory.create(is_super_user=True)
    AgreementFactory.create(
        company=membership.company,
        number="OVK-1",
        add_ons=[online_desktop(), AddOnProductFactory.create(name="Webshop connector")],
    )
    client.force_login(membership.user)
    return membership


def test_licence_page_lists_the_agreement_services_and_additional_products(
    client: Client, super_user: Membership
) -> None:
    content = client.get(LICENCE_URL).content.decode()

    assert "OVK-1" in content
    for service in ["Contacts", "Activities", "Products", "Orders", "Invoices", "Time sheets"]:
        assert service in content
    assert "Additional products" in content
    assert "Online Desktop" in content
    assert "Webshop connector" in content


def test_add_link_choose_and_ok_links_the_database(client: Client, super_user: Membership) -> None:
    company = super_user.company
    production = CompanyDatabaseFactory.create(company=company, name="Productie")
    CompanyDatabaseFactory.create(
        company=company, name="Voorbeeld", kind=CompanyDatabase.Kind.SAMPLE
    )
    CompanyDatabaseFactory.create(company=company, name="Proef", edition="evaluation")

    choose = client.get(ADD_URL, {"addon": online_desktop().pk})
    content = choose.content.decode()

    assert choose.status_code == 200
    assert "Productie" in content
    assert "Voorbeeld" in content
    assert "Proef" in content
    assert content.count(" disabled") == 2
    assert "This is a sample database" in content
    assert "evaluation edition" in content

    response = client.post(
        ADD_URL, {"addon": online_desktop().pk, "database": production.pk}, follow=True
    )

    assert response.redirect_chain == [(LICENCE_URL, 302)]
    assert "is now linked to the company database Productie" in response.content.decode()
    link = LicenceLink.objects.get()
    assert (link.database, link.linked_by) == (production, super_user.user)


def test_second_database_is_refused_on_the_page_with_the_sales_message(
    client: Client, super_user: Membership
) -> None:
    first, second = CompanyDatabaseFactory.create_batch(2, company=super_user.company)
    client.post(ADD_URL, {"addon": online_desktop().pk, "database": first.pk})

    shown = client.get(ADD_URL, {"addon": online_desktop().pk})
    posted = client.post(ADD_URL, {"addon": online_desktop().pk, "database": second.pk})

    for response in (shown, posted):
        assert "contact your sales consultant" in response.content.decode()
    assert 'type="submit">OK' not in shown.content.decode()
    assert list(LicenceLink.objects.values_list("database", flat=True)) == [first.pk]


def test_page_allows_a_second_database_when_the_allowance_is_larger(
    client: Client, super_user: Membership
) -> None:
    AgreementAddOn.objects.filter(product=online_desktop()).update(database_allowance=2)
    first, second = CompanyDatabaseFactory.create_batch(2, company=super_user.company)

    for database in (first, second):
        response = client.post(ADD_URL, {"addon": online_desktop().pk, "database": database.pk})
        assert response.status_code == 302

    assert LicenceLink.objects.count() == 2


def test_choosing_a_sample_database_is_refused_with_its_reason(
    client: Client, super_user: Membership
) -> None:
    sample = CompanyDatabaseFactory.create(
        company=super_user.company, kind=CompanyDatabase.Kind.SAMPLE
    )

    response = client.post(ADD_URL, {"addon": online_desktop().pk, "database": sample.pk})

    assert response.status_code == 400
    assert "This is a sample database" in response.content.decode()
    assert not LicenceLink.objects.exists()


def test_ok_without_a_choice_asks_for_one(client: Client, super_user: Membership) -> None:
    CompanyDatabaseFactory.create(company=super_user.company)

    response = client.post(ADD_URL, {"addon": online_desktop().pk})

    assert response.status_code == 400
    assert "Choose a company database." in response.content.decode()


def test_add_on_that_the_agreement_does_not_grant_is_refused(
    client: Client, super_user: Membership
) -> None:
    CompanyDatabaseFactory.create(company=super_user.company)
    not_granted = AddOnProductFactory.create(name="Payroll")

    response = client.get(ADD_URL, {"addon": not_granted.pk})

    assert "does not include this add-on product" in response.content.decode()


def test_moving_the_licence_through_the_page(client: Client, super_user: Membership) -> None:
    old, new = CompanyDatabaseFactory.create_batch(2, company=super_user.company)
    client.post(ADD_URL, {"addon": online_desktop().pk, "database": old.pk})
    link = LicenceLink.objects.get()
    move_url = reverse("portal:licence_move", args=[link.pk])
    assert move_url in client.get(LICENCE_URL).content.decode()

    response = client.post(move_url, {"database": new.pk})

    assert response.status_code == 302
    assert LicenceLink.objects.get().database == new


def test_plain_member_gets_403_on_the_licence_pages(client: Client) -> None:
    membership = MembershipFactory.create(is_super_user=False)
    AgreementFactory.create(company=membership.company)
    client.force_login(membership.user)

    assert client.get(LICENCE_URL).status_code == 403
    assert client.get(ADD_URL, {"addon": online_desktop().pk}).status_code == 403


def test_id_without_a_company_gets_404(client: Client) -> None:
    from tests.factories import UserFactory

    client.force_login(UserFactory.create())

    assert client.get(LICENCE_URL).status_code == 404


def test_company_without_agreement_is_told_to_contact_sales(client: Client) -> None:
    membership = MembershipFactory.create(is_super_user=True)
    client.force_login(membership.user)

    content = client.get(LICENCE_URL).content.decode()

    assert "no agreement yet" in content


def test_dashboard_links_super_users_to_the_licence_page(
    client: Client, super_user: Membership
) -> None:
    content = client.get(reverse("portal:dashboard")).content.decode()

    assert f'href="{LICENCE_URL}"' in content


def test_dashboard_does_not_link_plain_members_to_the_licence_page(client: Client) -> None:
    membership = MembershipFactory.create(is_super_user=False)
    client.force_login(membership.user)

    content = client.get(reverse("portal:dashboard")).content.decode()

    assert f'href="{LICENCE_URL}"' not in content
