from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from syncengine.models import HostDatabase, SyncHost
from syncengine.tasks import refresh_host_report
from tests.factories import AgreementFactory, MembershipFactory, UserFactory
from tests.invitations.conftest import Office, invite, path_of

pytestmark = pytest.mark.django_db


def test_the_list_shows_every_employee_with_user_name_and_status(office: Office) -> None:
    UserFactory.create(email="bart@example.nl")
    invite(office, 2)  # Bart: Invited
    MembershipFactory.create(company=office.company, user__email="cees@example.nl")  # Cees: Active

    page = office.client.get("/company/users/")

    assert page.status_code == 200
    statuses = {person.name: person.status for person in page.context["people"]}
    assert statuses == {
        "Anna de Vries": "not_invited",
        "Bart Jansen": "invited",
        "Cees Bakker": "active",
    }
    text = page.content.decode()
    assert "ANNA" in text  # the desktop user name
    assert "anna@example.nl" in text


def test_the_list_filters_by_status(office: Office) -> None:
    invite(office, 2)

    invited = office.client.get("/company/users/?status=invited").context["people"]
    not_invited = office.client.get("/company/users/?status=not_invited").context["people"]
    everyone = office.client.get("/company/users/?status=nonsense").context["people"]

    assert [person.id for person in invited] == [2]
    assert sorted(person.id for person in not_invited) == [1, 3]
    assert len(everyone) == 3


def test_an_employee_who_accepted_is_active(office: Office) -> None:
    link = invite(office, 1, email="anna.prive@example.nl")
    Client().post(
        path_of(link),
        {
            "name": "Anna",
            "password1": "een-lang-wachtwoord-77",
            "password2": "een-lang-wachtwoord-77",
        },
    )

    listed = office.client.get("/company/users/?status=active").context["people"]

    assert [person.id for person in listed] == [1]


def test_inactive_employees_are_not_listed(office: Office) -> None:
    office.database.report["employees"][0]["is_active"] = False
    office.database.save()

    listed = office.client.get("/company/users/").context["people"]

    assert 1 not in [person.id for person in listed]
    assert office.client.get("/company/users/1/").status_code == 404


def test_without_a_linked_database_the_page_says_to_link_the_licence_first(
    client: Client,
) -> None:
    agreement = AgreementFactory.create()
    admin = MembershipFactory.create(company=agreement.company, is_super_user=True)
    client.force_login(admin.user)

    page = client.get("/company/users/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "link the licence first" in text
    assert 'href="/licence/"' in text
    assert client.get("/company/users/1/").status_code == 404


def test_refresh_asks_the_hosts_reaching_the_database_on_their_own_queue(
    office: Office,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(refresh_host_report, "apply_async", lambda **kw: sent.append(kw))
    host = SyncHost.objects.create(
        company=office.company,
        name="Kantoor-PC",
        queue=SyncHost.new_queue(),
        credential_hash="a" * 64,
    )
    HostDatabase.objects.create(host=host, database=office.database)
    SyncHost.objects.create(  # reaches another database: not asked
        company=office.company, name="Laptop", queue=SyncHost.new_queue(), credential_hash="b" * 64
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = office.client.post("/company/users/refresh/", follow=True)

    assert [(call["args"], call["queue"]) for call in sent] == [([host.pk], host.queue)]
    assert "was asked for a fresh list" in response.content.decode()


def test_refresh_without_a_host_says_that_the_list_cannot_be_refreshed(office: Office) -> None:
    response = office.client.post("/company/users/refresh/", follow=True)

    assert "No sync host reaches" in response.content.decode()


def test_the_dashboard_and_members_page_lead_to_user_administration(office: Office) -> None:
    assert 'href="/company/users/"' in office.client.get("/").content.decode()
    assert 'href="/company/users/"' in office.client.get("/company/members/").content.decode()
