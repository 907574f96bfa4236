import pytest

from records.models import Contact, ContactPerson, OutboxEntry, Product, SyncState
from records.services import RecordInUse, create_record, delete_record, update_record
from syncengine import engine
from syncengine.engine import pull_changes, push_outbox
from tests.syncengine.conftest import assert_same, sync

pytestmark = pytest.mark.django_db(transaction=True)


def applied_rows(connector):
    return {
        row["change_id"]: row
        for row in connector._rows("SELECT change_id, table_name, row_id FROM sync_applied")
    }


def test_an_online_insert_update_and_delete_reach_the_company_database(synced, connector):
    company = synced.company
    contact = create_record(company=company, model=Contact, values={"name": "Online B.V."})
    person = create_record(
        company=company, model=ContactPerson, values={"contact": contact, "last_name": "Bos"}
    )
    update_record(record=company.products.get(source_id=1), values={"price": "9.99"})
    delete_record(record=company.contact_persons.get(source_id=2))
    entries = list(OutboxEntry.objects.order_by("created_at"))

    push_outbox(link=synced, connector=connector)

    contact.refresh_from_db()
    person.refresh_from_db()
    assert contact.source_id is not None
    assert person.source_id is not None
    assert contact.sync_state == SyncState.SYNCED
    row = connector.fetch_rows("contact_persons", [person.source_id])[person.source_id]
    assert (row["contact_id"], row["last_name"]) == (contact.source_id, "Bos")
    assert str(connector.fetch_rows("products", [1])[1]["price"]) == "9.99"
    assert connector.fetch_rows("contact_persons", [2]) == {}
    applied = applied_rows(connector)
    assert {str(entry.id) for entry in entries} == {str(key) for key in applied}
    assert all(e.state == "applied" for e in OutboxEntry.objects.all())
    sync(synced, connector)
    assert_same(synced, connector)


def test_our_own_writes_are_never_pulled_back(synced, connector):
    update_record(record=synced.company.contacts.get(source_id=4), values={"city": "Echo"})
    push_outbox(link=synced, connector=connector)
    contact = synced.company.contacts.get(source_id=4)
    updated_at = contact.updated_at

    pulled = pull_changes(link=synced, connector=connector)

    assert pulled.applied == 1  # the cursor moves past the echo…
    contact.refresh_from_db()
    assert contact.updated_at == updated_at  # …and nothing was written for it
    assert pull_changes(link=synced, connector=connector).applied == 0


def test_a_push_retried_after_its_write_finds_it_applied_and_learns_the_id(
    synced, connector, monkeypatch
):
    contact = create_record(company=synced.company, model=Contact, values={"name": "Twee B.V."})
    real = engine._applied

    def dies(*args, **kwargs):
        raise RuntimeError("killed after the company commit, before the online one")

    monkeypatch.setattr(engine, "_applied", dies)
    with pytest.raises(RuntimeError):
        push_outbox(link=synced, connector=connector)
    monkeypatch.setattr(engine, "_applied", real)
    OutboxEntry.objects.update(claimed_until=None, state="queued")  # the claim ran out

    push_outbox(link=synced, connector=connector)

    contact.refresh_from_db()
    rows = connector._rows("SELECT id FROM contacts WHERE name = 'Twee B.V.'")
    assert [row["id"] for row in rows] == [contact.source_id]  # written once
    assert OutboxEntry.objects.get().state == "applied"


def test_a_change_the_company_database_refuses_is_marked_with_its_message(synced, connector):
    # products.sku is unique in the company database.
    product = synced.company.products.get(source_id=2)
    taken = synced.company.products.get(source_id=1).sku
    update_record(record=product, values={"sku": taken})

    push_outbox(link=synced, connector=connector)
    push_outbox(link=synced, connector=connector)

    product.refresh_from_db()
    entry = OutboxEntry.objects.get()
    assert entry.state == "rejected"
    assert entry.attempts == 1  # not retried
    assert product.sync_state == SyncState.REJECTED
    assert "refused" in product.sync_message
    assert connector.fetch_rows("products", [2])[2]["sku"] != taken
    assert product.sku != taken  # the record took the company's row back
    assert_same(synced, connector)


def test_an_online_edit_sends_a_push_to_the_hosts_queue_after_the_commit(
    synced, connector, pushes_sent
):
    update_record(record=synced.company.contacts.get(source_id=8), values={"city": "Assen"})
    assert pushes_sent == [(synced.pk, synced.host.queue)]


def test_an_online_edit_while_the_broker_is_down_is_kept_and_pushed_by_the_next_tick(
    synced, connector, monkeypatch
):
    """Found by the fault tests (Redis restarted): the push sent after the commit raised, so
    an edit that was saved answered with an error."""
    from kombu.exceptions import OperationalError

    from syncengine import tasks

    def broker_down(**options):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.push_outbox, "apply_async", broker_down)
    contact = synced.company.contacts.get(source_id=8)
    update_record(record=contact, values={"city": "Urk"})  # does not raise

    assert OutboxEntry.objects.unfinished().filter(record_id=contact.pk).exists()
    push_outbox(link=synced, connector=connector)  # what the tick's push does
    assert_same(synced, connector)
    assert connector.fetch_rows("contacts", [8])[8]["city"] == "Urk"


def test_an_entry_that_keeps_failing_is_refused_after_its_attempts(synced, connector, settings):
    settings.SYNC_MAX_PUSH_ATTEMPTS = 2
    update_record(record=synced.company.contacts.get(source_id=9), values={"city": "Emmen"})
    OutboxEntry.objects.update(attempts=2)  # two pushes died on it before

    push_outbox(link=synced, connector=connector)

    entry = OutboxEntry.objects.get()
    assert entry.state == "rejected"
    assert "attempts" in entry.message
    assert synced.company.contacts.get(source_id=9).sync_state == SyncState.REJECTED


def test_a_refused_delete_brings_the_record_back_with_the_message(synced, connector, desktop):
    desktop.execute("INSERT INTO contacts (name) VALUES (?)", ["Leeg B.V."])
    sync(synced, connector)
    contact = synced.company.contacts.get(name="Leeg B.V.")
    source_id = contact.source_id
    # A person the pull has not brought in yet: the company database refuses the delete.
    desktop.execute(
        "INSERT INTO contact_persons (contact_id, last_name) VALUES (?, ?)", [source_id, "Kok"]
    )
    delete_record(record=contact)

    push_outbox(link=synced, connector=connector)

    back = synced.company.contacts.get(source_id=source_id)
    assert back.sync_state == SyncState.REJECTED
    assert back.sync_message
    assert connector.fetch_rows("contacts", [source_id])
    sync(synced, connector)
    assert_same(synced, connector)


def test_a_refused_insert_is_tried_again_when_the_record_is_edited(synced, connector):
    taken = synced.company.products.get(source_id=1).sku
    product = create_record(
        company=synced.company,
        model=Product,
        values={"sku": taken, "name": "Dubbel", "price": "1.00"},
    )
    push_outbox(link=synced, connector=connector)
    product.refresh_from_db()
    assert product.sync_state == SyncState.REJECTED

    update_record(record=product, values={"sku": "UNIEK-1"})
    push_outbox(link=synced, connector=connector)

    product.refresh_from_db()
    assert product.sync_state == SyncState.SYNCED
    assert connector.fetch_rows("products", [product.source_id])[product.source_id]["sku"] == (
        "UNIEK-1"
    )
    sync(synced, connector)
    assert_same(synced, connector)


def test_a_record_others_refer_to_cannot_be_deleted_online(synced):
    contact = synced.company.contacts.filter(persons__isnull=False).first()
    with pytest.raises(RecordInUse):
        delete_record(record=contact)
    assert synced.company.contacts.filter(pk=contact.pk).exists()
    assert not OutboxEntry.objects.exists()


def test_a_desktop_delete_takes_online_children_not_sent_yet_with_it(synced, connector, desktop):
    desktop.execute("INSERT INTO contacts (name) VALUES (?)", ["Kort B.V."])
    sync(synced, connector)
    contact = synced.company.contacts.get(name="Kort B.V.")
    person = create_record(
        company=synced.company, model=ContactPerson, values={"contact": contact, "last_name": "X"}
    )
    desktop.execute("DELETE FROM contacts WHERE id = ?", [contact.source_id])

    pull_changes(link=synced, connector=connector)

    assert not ContactPerson.objects.filter(pk=person.pk).exists()
    assert OutboxEntry.objects.get().state == "rejected"
    sync(synced, connector)
    assert_same(synced, connector)


def push_dying_before_its_online_half(synced, connector, monkeypatch):
    """A push killed after its company commit and before its online one."""

    def dies(*args, **kwargs):
        raise RuntimeError("killed after the company commit, before the online one")

    with monkeypatch.context() as patched:
        patched.setattr(engine, "_applied", dies)
        with pytest.raises(RuntimeError):
            push_outbox(link=synced, connector=connector)


def test_a_desktop_edit_of_a_pushed_insert_whose_online_half_died_is_not_pulled_twice(
    synced, connector, desktop, monkeypatch
):
    """Killed between the push's company commit and its online one, an insert leaves its
    record without a company id; a desktop edit of the new row pulled before the retry must
    land on that record (completing the push), not make a second one."""
    contact = create_record(
        company=synced.company, model=Contact, values={"name": "Half B.V.", "city": "Zwolle"}
    )
    entry = OutboxEntry.objects.get()
    push_dying_before_its_online_half(synced, connector, monkeypatch)
    (row,) = connector._rows("SELECT id FROM contacts WHERE name = 'Half B.V.'")
    source_id = row["id"]
    desktop.execute("UPDATE contacts SET city = ? WHERE id = ?", ["Deventer", source_id])

    pull_changes(link=synced, connector=connector)  # before the claim runs out
    OutboxEntry.objects.filter(pk=entry.pk).update(claimed_until=None)  # now it has
    push_outbox(link=synced, connector=connector)

    (record,) = synced.company.contacts.filter(name="Half B.V.")
    assert record.pk == contact.pk
    assert record.source_id == source_id
    assert record.city == "Deventer"  # the desktop's edit
    assert record.sync_state == SyncState.SYNCED
    entry.refresh_from_db()
    assert (entry.state, entry.source_id) == ("applied", source_id)
    rows = connector._rows("SELECT id FROM contacts WHERE name = 'Half B.V.'")
    assert [r["id"] for r in rows] == [source_id]  # written once
    sync(synced, connector)
    assert_same(synced, connector)
    assert synced.company.contacts.filter(name="Half B.V.").count() == 1


def test_a_desktop_delete_of_a_pushed_insert_whose_online_half_died_deletes_the_record(
    synced, connector, desktop, monkeypatch
):
    create_record(company=synced.company, model=Contact, values={"name": "Weg B.V."})
    entry = OutboxEntry.objects.get()
    push_dying_before_its_online_half(synced, connector, monkeypatch)
    desktop.execute("DELETE FROM contacts WHERE name = ?", ["Weg B.V."])

    pull_changes(link=synced, connector=connector)
    OutboxEntry.objects.filter(pk=entry.pk).update(claimed_until=None)
    push_outbox(link=synced, connector=connector)

    assert not synced.company.contacts.filter(name="Weg B.V.").exists()
    entry.refresh_from_db()
    assert entry.state == "applied"
    sync(synced, connector)
    assert_same(synced, connector)
