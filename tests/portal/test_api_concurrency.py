"""Optimistic concurrency in the REST API: a change or delete names the version it was made on
(If-Match); a record written since is not overwritten (412), and a write that names no version
is refused (428)."""

from __future__ import annotations

import pytest

from portal.api import ContactViewSet
from records.models import Contact
from records.services import update_record
from tests.concurrency import at_the_same_moment
from tests.factories import ContactFactory, api_client, api_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return api_member()


@pytest.fixture
def client(member):
    return api_client(member)


@pytest.fixture
def contact(member):
    return ContactFactory.create(company=member.company, city="Zwolle")


def path(contact: Contact) -> str:
    return f"/api/v1/contacts/{contact.pk}/"


def changed_elsewhere(contact: Contact) -> Contact:
    """The record as written meanwhile by someone else (online or by the synchronisation)."""
    return update_record(record=contact, values={"city": "Elders"})


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_without_if_match_is_428_and_changes_nothing(method, client, contact):
    body = {"name": contact.name, "city": "Kampen"}

    response = getattr(client, method)(path(contact), body, format="json")

    assert response.status_code == 428
    assert "If-Match" in response.data["detail"]
    assert Contact.objects.get(pk=contact.pk).city == "Zwolle"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_on_a_stale_version_is_412_with_the_current_record(method, client, contact):
    seen = f'"{contact.version}"'
    current = changed_elsewhere(contact)
    body = {"name": contact.name, "city": "Kampen"}

    response = getattr(client, method)(path(contact), body, format="json", HTTP_IF_MATCH=seen)

    assert response.status_code == 412
    assert response.data["current_version"] == current.version
    assert response.data["current"]["city"] == "Elders"
    assert response["ETag"] == f'"{current.version}"'
    assert Contact.objects.get(pk=contact.pk).city == "Elders"


def test_the_current_etag_from_a_412_makes_the_change(client, contact):
    seen = f'"{contact.version}"'
    changed_elsewhere(contact)
    refused = client.patch(path(contact), {"city": "Kampen"}, format="json", HTTP_IF_MATCH=seen)

    response = client.patch(
        path(contact), {"city": "Kampen"}, format="json", HTTP_IF_MATCH=refused["ETag"]
    )

    assert response.status_code == 200
    assert Contact.objects.get(pk=contact.pk).city == "Kampen"


def test_a_weak_etag_never_matches(client, contact):
    response = client.patch(
        path(contact), {"city": "Kampen"}, format="json", HTTP_IF_MATCH=f'W/"{contact.version}"'
    )
    assert response.status_code == 412


def test_one_of_several_etags_may_match(client, contact):
    response = client.patch(
        path(contact),
        {"city": "Kampen"},
        format="json",
        HTTP_IF_MATCH=f'"0", "{contact.version}"',
    )
    assert response.status_code == 200


def test_if_match_any_version_writes_whatever_the_version(client, contact):
    changed_elsewhere(contact)
    response = client.patch(path(contact), {"city": "Kampen"}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200
    assert Contact.objects.get(pk=contact.pk).city == "Kampen"


def test_an_unchanged_record_answers_304_to_if_none_match(client, contact):
    response = client.get(path(contact), HTTP_IF_NONE_MATCH=f'"{contact.version}"')
    assert response.status_code == 304
    changed_elsewhere(contact)
    assert client.get(path(contact), HTTP_IF_NONE_MATCH=f'"{contact.version}"').status_code == 200


def test_a_change_written_after_the_check_is_still_caught_under_the_row_lock(
    client, contact, monkeypatch
):
    # The view compares If-Match with the record it read; a write that commits after that
    # comparison is caught by update_record, which compares again with the row locked.
    compare = ContactViewSet._seen_version

    def compare_then_write_meanwhile(self, record):
        seen = compare(self, record)
        changed_elsewhere(contact)
        return seen

    monkeypatch.setattr(ContactViewSet, "_seen_version", compare_then_write_meanwhile)
    response = client.patch(
        path(contact), {"city": "Kampen"}, format="json", HTTP_IF_MATCH=f'"{contact.version}"'
    )

    assert response.status_code == 412
    assert Contact.objects.get(pk=contact.pk).city == "Elders"


def test_a_change_written_after_the_check_stops_a_delete_too(client, contact, monkeypatch):
    original = ContactViewSet.check_delete

    def write_meanwhile(self, *, record):
        original(self, record=record)
        changed_elsewhere(contact)

    monkeypatch.setattr(ContactViewSet, "check_delete", write_meanwhile)
    response = client.delete(path(contact), HTTP_IF_MATCH=f'"{contact.version}"')

    assert response.status_code == 412
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_changes_on_the_same_version_at_once_one_wins_the_other_is_412():
    member = api_member()
    contact = ContactFactory.create(company=member.company, city="Zwolle")
    seen = f'"{contact.version}"'
    first_client, second_client = api_client(member), api_client(member)
    responses = {}

    def change(client, city):
        def call():
            responses[city] = client.patch(
                path(contact), {"city": city}, format="json", HTTP_IF_MATCH=seen
            )

        return call

    outcomes = at_the_same_moment(change(first_client, "Kampen"), change(second_client, "Urk"))

    assert outcomes == [None, None]
    assert responses["Kampen"].status_code == 200
    assert responses["Urk"].status_code == 412
    assert Contact.objects.get(pk=contact.pk).city == "Kampen"
