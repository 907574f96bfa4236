from decimal import Decimal

import pytest

from records.models import Contact, ContactPerson, Invoice, OutboxEntry, SyncState
from records.services import (
    ReadOnlyRecord,
    StaleRecord,
    create_record,
    decoded,
    delete_record,
    update_record,
)
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return CompanyFactory.create()


@pytest.fixture
def contact(company):
    # As the synchronisation stores it: known to the company database, nothing pending.
    return Contact.objects.create(
        company=company, source_id=7, row_version=3, name="Bakkerij De Vries", city="Zwolle"
    )


def test_records_are_reached_through_their_company(company, contact):
    other = CompanyFactory.create()
    Contact.objects.create(company=other, source_id=7, name="Elders B.V.")
    assert list(company.contacts.all()) == [contact]


def test_creating_a_record_queues_an_insert_with_its_values(company, contact):
    person = create_record(
        company=company,
        model=ContactPerson,
        values={"contact": contact, "last_name": "Jansen", "email": "j@example.nl"},
    )
    entry = OutboxEntry.objects.get()
    assert person.sync_state == SyncState.PENDING
    assert person.source_id is None
    assert (entry.op, entry.table, entry.record_id) == ("I", "contact_persons", person.pk)
    assert entry.values["contact"] == contact.pk
    assert entry.values["last_name"] == "Jansen"


def test_an_edit_keeps_the_new_value_and_the_value_before_it(contact):
    update_record(record=contact, values={"city": "Deventer", "name": "Bakkerij De Vries"})
    entry = OutboxEntry.objects.get()
    assert entry.op == "U"
    assert entry.values == {"city": "Deventer"}  # an unchanged field is not sent
    assert entry.base == {"city": "Zwolle"}
    assert entry.row_version == 3
    contact.refresh_from_db()
    assert contact.city == "Deventer"
    assert contact.sync_state == SyncState.PENDING


def test_a_second_edit_folds_into_the_waiting_entry_and_keeps_the_first_base(contact):
    update_record(record=contact, values={"city": "Deventer"})
    update_record(record=contact, values={"city": "Kampen", "phone": "038-1234567"})
    entry = OutboxEntry.objects.get()
    assert entry.values == {"city": "Kampen", "phone": "038-1234567"}
    assert entry.base == {"city": "Zwolle", "phone": ""}


def test_an_edit_after_the_entry_was_claimed_gets_its_own_entry(contact):
    update_record(record=contact, values={"city": "Deventer"})
    OutboxEntry.objects.update(state=OutboxEntry.State.CLAIMED)
    update_record(record=contact, values={"city": "Kampen"})
    waiting = OutboxEntry.objects.get(state=OutboxEntry.State.QUEUED)
    assert waiting.base == {"city": "Deventer"}


def test_deleting_a_synchronised_record_queues_a_delete_with_its_company_id(contact):
    delete_record(record=contact)
    entry = OutboxEntry.objects.get()
    assert (entry.op, entry.source_id, entry.row_version) == ("D", 7, 3)
    assert not Contact.objects.exists()


def test_deleting_a_record_never_sent_leaves_nothing_to_send(company):
    contact = create_record(company=company, model=Contact, values={"name": "Nieuw B.V."})
    update_record(record=contact, values={"city": "Ede"})
    delete_record(record=contact)
    assert not OutboxEntry.objects.exists()


def test_money_survives_the_outbox_as_an_exact_decimal(company, contact):
    from records.models import Product

    product = create_record(
        company=company, model=Product, values={"sku": "A-1", "name": "Brood", "price": "2.35"}
    )
    entry = OutboxEntry.objects.get(record_id=product.pk)
    assert decoded(Product, entry.values)["price"] == Decimal("2.35")


def test_invoices_are_read_only_online(company, contact):
    with pytest.raises(ReadOnlyRecord):
        create_record(company=company, model=Invoice, values={"number": "F-1"})
    assert not OutboxEntry.objects.exists()


def test_an_edit_that_does_not_validate_writes_nothing(contact):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        update_record(record=contact, values={"name": ""})
    assert not OutboxEntry.objects.exists()
    contact.refresh_from_db()
    assert contact.name == "Bakkerij De Vries"


def test_an_edit_of_a_version_written_since_is_refused_and_changes_nothing(contact):
    seen = contact.version
    update_record(record=contact, values={"city": "Deventer"})
    with pytest.raises(StaleRecord) as refused:
        update_record(record=contact, values={"city": "Kampen"}, seen_version=seen)
    assert refused.value.current.business_values()["city"] == "Deventer"
    contact.refresh_from_db()
    assert contact.city == "Deventer"
    assert OutboxEntry.objects.filter(record_id=contact.pk).count() == 1


def test_an_edit_of_the_version_read_is_applied(contact):
    updated = update_record(record=contact, values={"city": "Kampen"}, seen_version=contact.version)
    assert updated.city == "Kampen"
    assert updated.version != contact.version
