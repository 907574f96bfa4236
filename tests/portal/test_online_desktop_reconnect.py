"""Reconnecting after a restored backup: the host reports the database under a new
database_id; the page says why sync is paused; reconnecting rebuilds the online copy from the
restored database and lists the online edits that never reached it, with their values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from licensing.models import CompanyDatabase, LicenceLink
from portal.activation import restored_successor
from portal.models import UnsentEdit
from records.models import Contact, OutboxEntry
from syncengine.models import HostDatabase, SyncLink, SyncRun
from tests.factories import (
    DEFAULT_PASSWORD,
    Activatable,
    CompanyDatabaseFactory,
    connect,
    host_report,
    make_activatable,
)

pytestmark = pytest.mark.django_db

PAGE = "/company/online-desktop/"


@pytest.fixture
def setup(client: Client) -> Activatable:
    made = make_activatable()
    connect(made)
    client.login(email=made.user.email, password=DEFAULT_PASSWORD)
    return made


def restore_backup(setup: Activatable, **settings: str) -> CompanyDatabase:
    """What the host reports after a restore: the old identity is gone, a new one appears."""
    HostDatabase.objects.filter(database=setup.database).update(
        last_reported_at=timezone.now() - timedelta(minutes=10)
    )
    report = host_report(super_user_email=setup.user.email)
    report["settings"].update(settings)
    restored = CompanyDatabaseFactory.create(
        company=setup.database.company,
        database_id=report["database_id"],
        report=report,
        name="Administratie (teruggezet)",
    )
    HostDatabase.objects.create(host=setup.host, database=restored)
    return restored


def url(setup: Activatable) -> str:
    return reverse("portal:online_desktop_reconnect", args=[setup.licence_link.pk])


def test_a_linked_database_that_is_still_reported_was_not_restored(setup: Activatable) -> None:
    other = CompanyDatabaseFactory.create(
        company=setup.database.company, report=host_report(super_user_email="x@example.nl")
    )
    HostDatabase.objects.create(host=setup.host, database=other)

    assert restored_successor(SyncLink.objects.get()) is None


def test_a_new_database_with_another_registration_number_is_not_the_restored_one(
    setup: Activatable,
) -> None:
    restore_backup(setup, org_number="99999999")

    assert restored_successor(SyncLink.objects.get()) is None


def test_the_page_says_why_sync_is_paused_after_a_restored_backup(
    client: Client, setup: Activatable
) -> None:
    restored = restore_backup(setup)

    page = client.get(PAGE).content.decode()

    assert "restored from a backup" in page
    assert restored.name in page
    assert url(setup) in page


def test_reconnecting_rebuilds_from_the_restored_database_and_lists_unsent_edits(
    client: Client, setup: Activatable
) -> None:
    restored = restore_backup(setup)
    company = setup.database.company
    contact = Contact.objects.create(company=company, name="Bakkerij Jansen", source_id=7)
    OutboxEntry.objects.create(
        company=company,
        table="contacts",
        record_id=contact.pk,
        source_id=7,
        op="U",
        values={"city": "Amersfoort"},
        base={"city": "Utrecht"},
    )
    OutboxEntry.objects.create(
        company=company, table="contacts", record_id=contact.pk, op="U", state="applied"
    )

    explained = client.get(url(setup)).content.decode()
    response = client.post(url(setup), {"password": DEFAULT_PASSWORD})

    assert "One online edit never reached the company database." in explained
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:activation_status", args=[setup.licence_link.pk])
    old = SyncLink.objects.get(database=setup.database)
    assert old.state == SyncLink.State.DISCONNECTED
    assert restored.name in old.reason
    assert LicenceLink.objects.get(pk=setup.licence_link.pk).database == restored
    new = SyncLink.objects.get(database=restored)
    assert new.state == SyncLink.State.SCHEDULED
    assert new.runs.get().kind == SyncRun.Kind.INITIAL
    assert not Contact.objects.filter(company=company).exists()
    [unsent] = UnsentEdit.objects.all()
    assert (unsent.table, unsent.source_id, unsent.values) == (
        "contacts",
        7,
        {"city": "Amersfoort"},
    )
    page = client.get(PAGE).content.decode()
    assert "never reached the company database" in page
    assert "city: Amersfoort" in page
    assert page.count("never reached the company database</h2>") == 1
    title = page[page.index("<title>") : page.index("</title>")]
    assert "<section" not in title


def test_reconnecting_needs_the_password(client: Client, setup: Activatable) -> None:
    restore_backup(setup)

    response = client.post(url(setup), {"password": "guess"})

    assert response.status_code == 400
    assert SyncLink.objects.get().state == SyncLink.State.CONNECTED


def test_reconnecting_is_refused_while_desktop_users_are_logged_in(
    client: Client, setup: Activatable
) -> None:
    restored = restore_backup(setup)
    report = restored.report
    report["sessions"] = [{"user_id": 2, "username": "piet"}]
    CompanyDatabase.objects.filter(pk=restored.pk).update(report=report)

    response = client.post(url(setup), {"password": DEFAULT_PASSWORD})

    assert response.status_code == 409
    assert "piet" in response.content.decode()
    assert SyncLink.objects.get().state == SyncLink.State.CONNECTED
    assert LicenceLink.objects.get().database == setup.database


def test_without_a_restored_database_reconnect_sends_back_to_the_settings(
    client: Client, setup: Activatable
) -> None:
    response = client.get(url(setup))

    assert response.status_code == 302
    assert response["Location"] == PAGE
