"""Conflicts (DESIGN.md invariant 5), each checked with the push first and with the pull
first: the outcome must not depend on which task runs first."""

import pytest

from records.models import OutboxEntry
from records.services import delete_record, update_record
from syncengine.engine import pull_changes
from syncengine.models import Conflict, SyncLink
from tests.syncengine.conftest import assert_same, sync

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["push_first", "pull_first"])
def order(request):
    return request.param


def settle(link, connector, order):
    if order == "pull_first":
        pull_changes(link=link, connector=connector)
    sync(link, connector)
    sync(link, connector)


def company_city(connector, source_id):
    return connector.fetch_rows("contacts", [source_id])[source_id]["city"]


def test_different_fields_changed_on_both_sides_merge(synced, connector, desktop, order):
    desktop.execute("UPDATE contacts SET city = ? WHERE id = 5", ["Desktopstad"])
    update_record(record=synced.company.contacts.get(source_id=5), values={"phone": "0612345678"})

    settle(synced, connector, order)

    contact = synced.company.contacts.get(source_id=5)
    assert (contact.city, contact.phone) == ("Desktopstad", "0612345678")
    assert connector.fetch_rows("contacts", [5])[5]["phone"] == "0612345678"
    assert not Conflict.objects.exists()
    assert_same(synced, connector)


@pytest.mark.parametrize(
    ("policy", "winner", "city"),
    [
        (SyncLink.Policy.COMPANY_WINS, "company", "Desktopstad"),
        (SyncLink.Policy.ONLINE_WINS, "online", "Onlinestad"),
        (SyncLink.Policy.MANUAL, "company", "Desktopstad"),
    ],
)
def test_the_same_field_changed_on_both_sides_follows_the_policy_and_is_recorded(
    synced, connector, desktop, order, policy, winner, city
):
    SyncLink.objects.filter(pk=synced.pk).update(conflict_policy=policy)
    synced.refresh_from_db()
    before = synced.company.contacts.get(source_id=6).city
    desktop.execute("UPDATE contacts SET city = ?, notes = ? WHERE id = 6", ["Desktopstad", "x"])
    update_record(record=synced.company.contacts.get(source_id=6), values={"city": "Onlinestad"})

    settle(synced, connector, order)

    assert synced.company.contacts.get(source_id=6).city == city
    assert company_city(connector, 6) == city
    conflict = Conflict.objects.get()
    assert (conflict.table, conflict.source_id, conflict.field) == ("contacts", 6, "city")
    assert (conflict.company_value, conflict.online_value) == ("Desktopstad", "Onlinestad")
    assert conflict.base_value == before
    assert (conflict.rule, conflict.winner) == (policy, winner)
    assert conflict.needs_review == (policy == SyncLink.Policy.MANUAL)
    assert synced.company.contacts.get(source_id=6).notes == "x"  # the other field merged
    assert_same(synced, connector)


def test_the_same_change_on_both_sides_is_no_conflict(synced, connector, desktop, order):
    desktop.execute("UPDATE contacts SET city = ? WHERE id = 7", ["Gelijk"])
    update_record(record=synced.company.contacts.get(source_id=7), values={"city": "Gelijk"})
    settle(synced, connector, order)
    assert not Conflict.objects.exists()
    assert_same(synced, connector)


def test_a_desktop_delete_wins_over_an_online_edit(synced, connector, desktop, order):
    desktop.execute("DELETE FROM contact_persons WHERE id = 3")
    update_record(record=synced.company.contact_persons.get(source_id=3), values={"phone": "1"})

    settle(synced, connector, order)

    assert not synced.company.contact_persons.filter(source_id=3).exists()
    assert connector.fetch_rows("contact_persons", [3]) == {}
    conflict = Conflict.objects.get()
    assert (conflict.field, conflict.company_value, conflict.rule) == (
        "*",
        Conflict.DELETED,
        "delete_wins",
    )
    assert "phone=1" in (conflict.online_value or "")
    assert not OutboxEntry.objects.unfinished().exists()
    assert_same(synced, connector)


def test_an_online_delete_wins_over_a_desktop_edit(synced, connector, desktop, order):
    desktop.execute("UPDATE contact_persons SET phone = ? WHERE id = 4", ["0201234567"])
    delete_record(record=synced.company.contact_persons.get(source_id=4))

    settle(synced, connector, order)

    assert not synced.company.contact_persons.filter(source_id=4).exists()
    assert connector.fetch_rows("contact_persons", [4]) == {}
    conflict = Conflict.objects.get()
    assert (conflict.field, conflict.online_value, conflict.winner) == (
        "*",
        Conflict.DELETED,
        "online",
    )
    assert "0201234567" in (conflict.company_value or "")
    assert_same(synced, connector)


def test_an_online_delete_without_a_desktop_edit_is_no_conflict(synced, connector, order):
    delete_record(record=synced.company.contact_persons.get(source_id=5))
    settle(synced, connector, order)
    assert connector.fetch_rows("contact_persons", [5]) == {}
    assert not Conflict.objects.exists()


def test_a_pull_leaves_a_field_in_flight_to_its_push_which_decides_the_conflict(
    synced, connector, desktop
):
    from syncengine.engine import _claim, _release

    update_record(record=synced.company.contacts.get(source_id=10), values={"city": "Online"})
    claimed = _claim(synced)  # a push is on its way with it…
    desktop.execute("UPDATE contacts SET city = ?, phone = ? WHERE id = 10", ["Desktop", "9"])
    pull_changes(link=synced, connector=connector)  # …when the desktop's change comes in

    contact = synced.company.contacts.get(source_id=10)
    assert (contact.city, contact.phone) == ("Online", "9")  # the other field merged
    assert not Conflict.objects.exists()

    _release(claimed)
    sync(synced, connector)

    assert Conflict.objects.get().winner == "company"
    assert synced.company.contacts.get(source_id=10).city == "Desktop"
    assert company_city(connector, 10) == "Desktop"
    assert_same(synced, connector)
