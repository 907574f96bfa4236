"""The contacts work area: list, detail, create, edit (asking on a stale edit), delete, persons."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership
from licensing.models import Service
from records.models import Contact, ContactPerson, OutboxEntry, SyncState
from records.services import update_record
from tests.factories import (
    AgreementFactory,
    ContactFactory,
    ContactPersonFactory,
    InvoiceFactory,
    PlanFactory,
    member,
    queries_of,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss() -> Membership:
    return member()


@pytest.fixture
def client(boss: Membership) -> Client:
    return signed_in(boss)


CONTACT = {
    "name": "Bakkerij De Vries",
    "is_customer": "on",
    "street": "Kerkstraat 1",
    "postcode": "8011 AB",
    "city": "Zwolle",
    "country": "nl",
    "phone": "038-1234567",
    "email": "info@devries.example",
    "website": "devries.example",
    "notes": "",
    "org_number": "",
}


def test_the_list_shows_only_the_companys_contacts_and_finds_by_name_or_city(
    client: Client, boss: Membership
) -> None:
    ContactFactory.create(company=boss.company, name="Bakkerij De Vries", city="Zwolle")
    ContactFactory.create(company=boss.company, name="Slagerij Jansen", city="Deventer")
    ContactFactory.create(name="Foreign Bakkerij B.V.")  # another company

    page = client.get("/contacts/")
    assert [c.name for c in page.context["listing"].page] == [
        "Bakkerij De Vries",
        "Slagerij Jansen",
    ]
    assert "Foreign" not in page.content.decode()
    found = client.get("/contacts/", {"q": "deventer"})
    assert [c.name for c in found.context["listing"].page] == ["Slagerij Jansen"]
    assert client.get("/contacts/", {"q": "bakkerij"}).context["listing"].page.total == 1


def test_filters_and_sorting_and_pages_keep_each_other(client: Client, boss: Membership) -> None:
    for n in range(60):
        ContactFactory.create(
            company=boss.company, name=f"Klant {n:02d}", city=f"Stad {59 - n:02d}"
        )
    ContactFactory.create(
        company=boss.company, name="Leverancier", is_customer=False, is_supplier=True
    )

    suppliers = client.get("/contacts/", {"kind": "suppliers"})
    assert [c.name for c in suppliers.context["listing"].page] == ["Leverancier"]
    by_city = client.get("/contacts/", {"sort": "city", "kind": "customers"})
    listing = by_city.context["listing"]
    assert listing.page[0].name == "Klant 59"
    assert len(listing.page) == 50
    assert listing.next_url == "?kind=customers&sort=city&page=2"
    second = client.get("/contacts/" + listing.next_url)
    assert [c.name for c in second.context["listing"].page][-1] == "Klant 00"
    # Nonsense falls back instead of failing.
    assert client.get("/contacts/", {"sort": "x", "page": "zz", "kind": "y"}).status_code == 200


def test_the_list_takes_the_same_queries_for_many_contacts_as_for_a_few(
    client: Client, boss: Membership
) -> None:
    ContactFactory.create_batch(53, company=boss.company)
    few = queries_of(client, "/contacts/", {"page": "2"})
    ContactFactory.create_batch(120, company=boss.company, sync_state=SyncState.PENDING)
    many = queries_of(client, "/contacts/", {"page": "2"})
    assert len(many) == len(few)


def test_a_new_contact_is_saved_online_and_queued_for_the_company_database(
    client: Client, boss: Membership
) -> None:
    response = client.post("/contacts/new/", CONTACT)

    contact = Contact.objects.get(company=boss.company)
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert contact.country == "NL"
    assert contact.website == "https://devries.example"
    assert contact.sync_state == SyncState.PENDING
    entry = OutboxEntry.objects.get(record_id=contact.pk)
    assert entry.op == OutboxEntry.Op.INSERT
    assert entry.values["city"] == "Zwolle"
    detail = client.get(response["Location"]).content.decode()
    assert "Waiting to be sent" in detail
    assert "openstreetmap.org/search?query=Kerkstraat+1%2C+8011+AB+Zwolle%2C+NL" in detail


def test_bad_input_is_refused_with_a_message_and_changes_nothing(client: Client) -> None:
    response = client.post(
        "/contacts/new/", {**CONTACT, "name": "", "email": "not-an-address", "country": "NLD"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "email", "country"}
    assert not Contact.objects.exists()
    assert not OutboxEntry.objects.exists()


def test_an_edit_sends_only_the_changed_fields(client: Client, boss: Membership) -> None:
    contact = ContactFactory.create(company=boss.company, **_model_values(CONTACT))
    form = client.get(f"/contacts/{contact.pk}/edit/").context["form"]

    response = client.post(
        f"/contacts/{contact.pk}/edit/",
        {**CONTACT, "city": "Kampen", "seen_version": form["seen_version"].value()},
    )

    assert response.status_code == 302
    entry = OutboxEntry.objects.get(record_id=contact.pk)
    assert entry.op == OutboxEntry.Op.UPDATE
    assert entry.values == {"city": "Kampen"}
    assert entry.base == {"city": "Zwolle"}


def test_a_stale_edit_shows_the_newer_values_and_asks_before_overwriting(
    client: Client, boss: Membership
) -> None:
    contact = ContactFactory.create(company=boss.company, **_model_values(CONTACT))
    seen = client.get(f"/contacts/{contact.pk}/edit/").context["form"]["seen_version"].value()
    # Meanwhile a colleague changes the phone number.
    update_record(record=contact, values={"phone": "06-11111111"})

    asked = client.post(
        f"/contacts/{contact.pk}/edit/",
        {**CONTACT, "phone": "06-22222222", "seen_version": seen},
    )

    assert asked.status_code == 409
    assert asked.context["form"].newer == {"phone": "06-11111111"}
    page = asked.content.decode()
    assert "Someone changed this record while you were editing it" in page
    assert "06-11111111" in page
    assert 'value="06-22222222"' in page
    contact.refresh_from_db()
    assert contact.phone == "06-11111111"  # nothing overwritten yet
    # Saving again, knowingly, keeps the editor's value.
    again = client.post(
        f"/contacts/{contact.pk}/edit/",
        {
            **CONTACT,
            "phone": "06-22222222",
            "seen_version": asked.context["form"]["seen_version"].value(),
        },
    )
    assert again.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "06-22222222"


def test_a_member_with_read_only_sees_contacts_but_cannot_change_them(boss: Membership) -> None:
    reader = signed_in(member(company=boss.company, template="read_only"))
    contact = ContactFactory.create(company=boss.company)

    assert reader.get("/contacts/").status_code == 200
    detail = reader.get(f"/contacts/{contact.pk}/").content.decode()
    assert f"/contacts/{contact.pk}/edit/" not in detail
    assert reader.get("/contacts/new/").status_code == 403
    assert reader.post(f"/contacts/{contact.pk}/edit/", CONTACT).status_code == 403
    assert reader.post(f"/contacts/{contact.pk}/delete/").status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_without_contacts_in_the_plan_there_is_no_menu_item_and_no_page(boss: Membership) -> None:
    assert 'href="/contacts/"' in signed_in(boss).get("/").content.decode()
    plan = PlanFactory.create(services=Service.objects.filter(code=Service.Code.TIME_SHEETS))
    small = signed_in(member(company=AgreementFactory.create(plan=plan).company))

    assert 'href="/contacts/"' not in small.get("/").content.decode()
    assert small.get("/contacts/").status_code == 403


def test_another_companys_contact_is_not_found(client: Client) -> None:
    foreign = ContactFactory.create()
    person = ContactPersonFactory.create(company=foreign.company, contact=foreign)
    for url in (
        f"/contacts/{foreign.pk}/",
        f"/contacts/{foreign.pk}/edit/",
        f"/contacts/{foreign.pk}/delete/",
        f"/contacts/{foreign.pk}/persons/new/",
        f"/contacts/{foreign.pk}/persons/{person.pk}/edit/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/contacts/{foreign.pk}/edit/", CONTACT).status_code == 404


def test_deleting_asks_first_and_refuses_a_contact_still_used(
    client: Client, boss: Membership
) -> None:
    contact = ContactFactory.create(company=boss.company)
    invoiced = ContactFactory.create(company=boss.company)
    InvoiceFactory.create(company=boss.company, contact=invoiced)

    assert "Delete the contact" in client.get(f"/contacts/{contact.pk}/delete/").content.decode()
    assert client.post(f"/contacts/{contact.pk}/delete/").status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert OutboxEntry.objects.get(source_id=contact.source_id).op == OutboxEntry.Op.DELETE

    refused = client.post(f"/contacts/{invoiced.pk}/delete/")
    assert refused.status_code == 409
    assert "invoices" in refused.content.decode()
    assert Contact.objects.filter(pk=invoiced.pk).exists()


def test_contact_persons_are_added_edited_and_deleted_under_their_contact(
    client: Client, boss: Membership
) -> None:
    contact = ContactFactory.create(company=boss.company)
    person_values = {"first_name": "Anna", "last_name": "Smit", "position": "", "email": "",
                     "phone": ""}  # fmt: skip

    assert client.post(f"/contacts/{contact.pk}/persons/new/", person_values).status_code == 302
    person = ContactPerson.objects.get(contact=contact)
    assert person.company == boss.company
    assert person.sync_state == SyncState.PENDING
    client.post(
        f"/contacts/{contact.pk}/persons/{person.pk}/edit/",
        {**person_values, "position": "Inkoop", "seen_version": person.version},
    )
    person.refresh_from_db()
    assert person.position == "Inkoop"
    assert client.post(f"/contacts/{contact.pk}/persons/{person.pk}/delete/").status_code == 302
    assert not ContactPerson.objects.filter(pk=person.pk).exists()


def test_the_contact_lookup_finds_the_companys_contacts_only(
    client: Client, boss: Membership
) -> None:
    ContactFactory.create(company=boss.company, name="Bakkerij De Vries")
    ContactFactory.create(name="Bakkerij Elders")

    options = client.get("/contacts/lookup/", {"q": "bakkerij", "required": "1"}).content.decode()
    assert "Bakkerij De Vries" in options
    assert "Elders" not in options
    assert "No matches" in client.get("/contacts/lookup/", {"q": "zzz"}).content.decode()
    assert Client().get("/contacts/lookup/", {"q": "bakkerij"}).status_code == 403


def _model_values(posted: dict[str, str]) -> dict[str, object]:
    values: dict[str, object] = {
        k: v for k, v in posted.items() if k not in ("is_customer", "website", "country")
    }
    values.update(is_customer=True, website="https://devries.example", country="NL")
    return values
