"""Lists in the REST API come in cursor pages, in an order that an added record does not
shift."""

from __future__ import annotations

import pytest

from records.models import Contact
from tests.factories import ContactFactory, api_client, api_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return api_member()


def names_of_every_page(client, url: str) -> tuple[list[str], int]:
    names: list[str] = []
    pages = 0
    while url:
        page = client.get(url).data
        names += [row["name"] for row in page["results"]]
        pages += 1
        url = page["next"]
    return names, pages


def test_following_next_yields_every_record_once_in_order(member):
    for number in range(7):
        ContactFactory.create(company=member.company, name=f"Klant {number}")

    names, pages = names_of_every_page(api_client(member), "/api/v1/contacts/?page_size=3")

    assert names == [f"Klant {number}" for number in range(7)]
    assert pages == 3


def test_records_with_the_same_name_are_neither_lost_nor_repeated(member):
    made = [ContactFactory.create(company=member.company, name="Jansen").pk for _ in range(5)]
    client = api_client(member)

    ids = []
    url = "/api/v1/contacts/?page_size=2"
    while url:
        page = client.get(url).data
        ids += [row["id"] for row in page["results"]]
        url = page["next"]

    assert ids == made


def test_a_descending_order_pages_backwards(member):
    for number in range(5):
        ContactFactory.create(company=member.company, name=f"Klant {number}")

    names, _pages = names_of_every_page(
        api_client(member), "/api/v1/contacts/?page_size=2&ordering=-name"
    )

    assert names == [f"Klant {number}" for number in reversed(range(5))]


def test_a_record_added_meanwhile_does_not_repeat_a_row_on_the_next_page(member):
    for number in range(4):
        ContactFactory.create(company=member.company, name=f"Klant {number + 1}")
    client = api_client(member)
    first = client.get("/api/v1/contacts/?page_size=2").data

    ContactFactory.create(company=member.company, name="Klant 0")  # sorts before the cursor
    second = client.get(first["next"]).data

    assert [row["name"] for row in first["results"]] == ["Klant 1", "Klant 2"]
    assert [row["name"] for row in second["results"]] == ["Klant 3", "Klant 4"]


def test_previous_leads_back_to_the_first_page(member):
    for number in range(4):
        ContactFactory.create(company=member.company, name=f"Klant {number}")
    client = api_client(member)
    first = client.get("/api/v1/contacts/?page_size=2").data
    second = client.get(first["next"]).data

    again = client.get(second["previous"]).data

    assert again["results"] == first["results"]


def test_a_page_holds_at_most_200_records(member):
    Contact.objects.bulk_create(
        Contact(company=member.company, source_id=n, name=f"Klant {n}") for n in range(205)
    )
    page = api_client(member).get("/api/v1/contacts/?page_size=1000").data
    assert len(page["results"]) == 200
    assert page["next"]


def test_ordering_on_a_field_that_is_not_offered_is_ignored(member):
    ContactFactory.create(company=member.company, name="B", notes="1")
    ContactFactory.create(company=member.company, name="A", notes="2")
    rows = api_client(member).get("/api/v1/contacts/?ordering=notes").data["results"]
    assert [row["name"] for row in rows] == ["A", "B"]
