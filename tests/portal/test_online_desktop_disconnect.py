"""Disconnecting Online Desktop: only a super user or the member shown as "Connected by",
after re-entering the password; waiting online edits are counted; the online copy of the
business data goes, the company information and the members stay."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from licensing.models import Company, CompanyDatabase
from records.models import Contact, ContactPerson, OutboxEntry, Product
from syncengine.models import SyncLink, SyncRun
from tests.factories import (
    DEFAULT_PASSWORD,
    Activatable,
    CompanyFactory,
    MembershipFactory,
    connect,
    make_activatable,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup() -> Activatable:
    return make_activatable()


def business_data(company: Company) -> Contact:
    contact = Contact.objects.create(company=company, name="Bakkerij Jansen", source_id=1)
    ContactPerson.objects.create(
        company=company, contact=contact, first_name="Els", last_name="Jansen", source_id=1
    )
    Product.objects.create(company=company, sku="P-1", name="Kraan", source_id=1)
    return contact


def url(setup: Activatable) -> str:
    return reverse("portal:online_desktop_disconnect", args=[setup.licence_link.pk])


def test_disconnecting_keeps_company_info_and_members_and_removes_business_records(
    client: Client, setup: Activatable
) -> None:
    link = connect(setup, last_seq=120)
    company = setup.database.company
    business_data(company)
    other_company = CompanyFactory.create()
    business_data(other_company)
    colleague = MembershipFactory.create(company=company)
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)

    response = client.post(url(setup), {"password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.state == SyncLink.State.DISCONNECTED
    assert link.last_seq == 0
    assert not CompanyDatabase.objects.get(pk=setup.database.pk).connected
    assert not Contact.objects.filter(company=company).exists()
    assert not ContactPerson.objects.filter(company=company).exists()
    assert not Product.objects.filter(company=company).exists()
    assert Contact.objects.filter(company=other_company).count() == 1
    assert Company.objects.filter(pk=company.pk).exists()
    assert set(Membership.objects.filter(company=company)) == {setup.membership, colleague}
    assert link.trace_lines.filter(message__contains="Disconnected").exists()
    page = client.get(reverse("portal:online_desktop")).content.decode()
    assert "Not connected" in page


def test_a_wrong_password_disconnects_nothing(client: Client, setup: Activatable) -> None:
    link = connect(setup, last_seq=120)
    business_data(setup.database.company)
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)

    response = client.post(url(setup), {"password": "guess"})

    assert response.status_code == 400
    assert "This is not the password of your ID." in response.content.decode()
    link.refresh_from_db()
    assert link.state == SyncLink.State.CONNECTED
    assert Contact.objects.filter(company=setup.database.company).exists()


def test_waiting_online_edits_are_counted_and_must_be_given_up_explicitly(
    client: Client, setup: Activatable
) -> None:
    link = connect(setup, last_seq=120)
    contact = business_data(setup.database.company)
    for _ in range(2):
        OutboxEntry.objects.create(
            company=setup.database.company, table="contacts", record_id=contact.pk, op="U"
        )
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)

    page = client.get(url(setup)).content.decode()
    refused = client.post(url(setup), {"password": DEFAULT_PASSWORD})

    assert "2 online edits have not reached the company database yet." in page
    assert "Wait for them" in page
    assert refused.status_code == 400
    link.refresh_from_db()
    assert link.state == SyncLink.State.CONNECTED

    given_up = client.post(url(setup), {"password": DEFAULT_PASSWORD, "discard": "on"})

    assert given_up.status_code == 302
    assert not OutboxEntry.objects.exists()


def test_the_member_shown_as_connected_by_may_disconnect_without_being_super_user(
    client: Client, setup: Activatable
) -> None:
    link = connect(setup, last_seq=120)
    member = MembershipFactory.create(company=setup.database.company)
    SyncLink.objects.filter(pk=link.pk).update(connected_by=member.user)
    client.login(email=member.user.email, password=DEFAULT_PASSWORD)

    response = client.post(url(setup), {"password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.state == SyncLink.State.DISCONNECTED


def test_another_member_without_rights_may_not_disconnect(
    client: Client, setup: Activatable
) -> None:
    link = connect(setup, last_seq=120)
    member = MembershipFactory.create(company=setup.database.company)
    client.login(email=member.user.email, password=DEFAULT_PASSWORD)

    assert client.get(url(setup)).status_code == 403
    assert client.post(url(setup), {"password": DEFAULT_PASSWORD}).status_code == 403
    link.refresh_from_db()
    assert link.state == SyncLink.State.CONNECTED


def test_another_companys_super_user_gets_404(client: Client, setup: Activatable) -> None:
    connect(setup, last_seq=120)
    stranger = make_activatable()
    client.login(email=stranger.user.email, password=DEFAULT_PASSWORD)

    assert client.post(url(setup), {"password": DEFAULT_PASSWORD}).status_code == 404


def test_a_running_first_sync_is_not_disconnected(client: Client, setup: Activatable) -> None:
    link = connect(setup, last_seq=120)
    link.set_state(SyncLink.State.INITIAL_SYNC)
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)

    response = client.post(url(setup), {"password": DEFAULT_PASSWORD})

    assert response.status_code == 409
    assert "wait until it has finished" in response.content.decode()
    link.refresh_from_db()
    assert link.state == SyncLink.State.INITIAL_SYNC


def test_a_scheduled_first_sync_is_cancelled_by_disconnecting(
    client: Client, setup: Activatable
) -> None:
    link = connect(setup, last_seq=120)
    link.set_state(SyncLink.State.SCHEDULED)
    run = SyncRun.objects.create(link=link, kind=SyncRun.Kind.INITIAL)
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)

    client.post(url(setup), {"password": DEFAULT_PASSWORD})

    run.refresh_from_db()
    assert run.state == SyncRun.State.FAILED
    assert not SyncRun.objects.due().exists()


def test_connecting_again_after_a_disconnect_goes_through_the_wizard_anew(
    client: Client, setup: Activatable
) -> None:
    connect(setup, last_seq=120)
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)
    client.post(url(setup), {"password": DEFAULT_PASSWORD})
    wizard = reverse("portal:activate", args=[setup.licence_link.pk])

    for data in ({}, {"password": DEFAULT_PASSWORD}, {}, {"start": "now"}, {}):
        step = client.get(wizard).context["activation"].step
        client.post(wizard, {"step": step, "next": "1", **data})

    link = SyncLink.objects.get()
    assert link.state == SyncLink.State.SCHEDULED
    assert link.runs.filter(kind=SyncRun.Kind.INITIAL, state=SyncRun.State.SCHEDULED).exists()
