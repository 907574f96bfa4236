"""Who may use the wizard and the Online Desktop settings: a member without rights gets 403,
another company's ID 404, a visitor is sent to sign in (or create an ID) and comes back."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from licensing.models import CompanyDatabase, LicenceLink
from portal.models import Activation
from syncengine.models import SyncLink
from tests.accounts.conftest import link_in_last_mail, sign_up
from tests.factories import (
    DEFAULT_PASSWORD,
    AgreementFactory,
    CompanyDatabaseFactory,
    MembershipFactory,
    UserFactory,
    host_report,
    make_activatable,
    make_host,
    online_desktop,
)

pytestmark = pytest.mark.django_db

LINK_PAGES = [
    ("get", "portal:activation_requirements"),
    ("post", "portal:activation_requirements"),
    ("get", "portal:activate"),
    ("post", "portal:activate"),
    ("get", "portal:activation_status"),
    ("post", "portal:online_desktop_sync_settings"),
    ("get", "portal:online_desktop_trace"),
    ("get", "portal:online_desktop_disconnect"),
    ("post", "portal:online_desktop_disconnect"),
    ("get", "portal:online_desktop_reconnect"),
    ("post", "portal:online_desktop_reconnect"),
]


@pytest.mark.parametrize(("method", "name"), LINK_PAGES)
def test_a_member_without_rights_gets_403_everywhere(
    client: Client, method: str, name: str
) -> None:
    setup = make_activatable()
    SyncLink.objects.create(
        company=setup.database.company, database=setup.database, host=setup.host
    )
    member = MembershipFactory.create(company=setup.database.company)
    client.login(email=member.user.email, password=DEFAULT_PASSWORD)

    response = getattr(client, method)(reverse(name, args=[setup.licence_link.pk]), {"step": 1})

    assert response.status_code == 403
    assert not Activation.objects.exists()


def test_a_member_without_rights_gets_403_on_the_settings_page(client: Client) -> None:
    setup = make_activatable()
    member = MembershipFactory.create(company=setup.database.company)
    client.login(email=member.user.email, password=DEFAULT_PASSWORD)

    assert client.get(reverse("portal:online_desktop")).status_code == 403


@pytest.mark.parametrize(("method", "name"), LINK_PAGES)
def test_another_companys_super_user_gets_404_everywhere(
    client: Client, method: str, name: str
) -> None:
    setup = make_activatable()
    SyncLink.objects.create(
        company=setup.database.company, database=setup.database, host=setup.host
    )
    stranger = make_activatable()
    client.login(email=stranger.user.email, password=DEFAULT_PASSWORD)

    response = getattr(client, method)(reverse(name, args=[setup.licence_link.pk]), {"step": 1})

    assert response.status_code == 404


def test_a_visitor_who_creates_an_id_on_the_way_comes_back_to_the_wizard(client: Client) -> None:
    """The agreement holder has no ID yet: creating one makes them the company's first super
    user, and the e-mailed link brings them back to the wizard."""
    email = "anna@devries.example"
    agreement = AgreementFactory.create(holder_email=email)
    report = host_report(super_user_email=email)
    database = CompanyDatabaseFactory.create(
        company=agreement.company, database_id=report["database_id"], report=report
    )
    licence_link = LicenceLink.objects.create(
        agreement=agreement, product=online_desktop(), database=database
    )
    make_host(company=agreement.company, database=database)
    wizard = reverse("portal:activate", args=[licence_link.pk])

    sent_away = client.get(wizard)
    assert sent_away["Location"] == f"/accounts/login/?next={wizard}"
    login_page = client.get(sent_away["Location"])
    assert "next=" in login_page.context["signup_url"]
    sign_up(client, email=email, next=wizard)
    returned = client.post(
        link_in_last_mail(),
        {"password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )

    assert returned.status_code == 302
    assert returned["Location"] == wizard
    page = client.get(wizard)
    assert page.status_code == 200
    assert "Step 1 of 5" in page.content.decode()
    assert Membership.objects.get(user__email=email).is_super_user


def test_the_dashboard_offers_to_connect_a_linked_database_that_is_not_connected(
    client: Client,
) -> None:
    setup = make_activatable()
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)
    requirements = reverse("portal:activation_requirements", args=[setup.licence_link.pk])

    before = client.get(reverse("portal:dashboard")).content.decode()
    CompanyDatabase.objects.filter(pk=setup.database.pk).update(connected=True)
    after = client.get(reverse("portal:dashboard")).content.decode()

    assert "Connect to Online Desktop" in before
    assert requirements in before
    assert "Connect to Online Desktop" not in after


def test_the_dashboard_does_not_offer_to_connect_to_a_member_without_rights(
    client: Client,
) -> None:
    setup = make_activatable()
    member = MembershipFactory.create(company=setup.database.company, user=UserFactory.create())
    client.login(email=member.user.email, password=DEFAULT_PASSWORD)

    assert (
        "Connect to Online Desktop" not in client.get(reverse("portal:dashboard")).content.decode()
    )
