"""The sync engine's write context: origin, sync_applied, rejected changes, versions."""

from __future__ import annotations

import uuid

import pytest

from syncengine.companydb import Connector, RejectedChange, RowNotFound, RowVersionConflict


def test_record_applied_and_applied_round_trip(connector: Connector) -> None:
    change_id = uuid.uuid4()
    with connector.sync_transaction() as tx:
        assert tx.applied(change_id) is None
        new_id = tx.insert("contacts", {"name": "Online BV", "is_customer": True})
        tx.record_applied(change_id, "contacts", new_id)

    with connector.sync_transaction() as tx:
        assert tx.applied(change_id) == new_id
        assert tx.applied(str(change_id)) == new_id
        assert tx.applied(uuid.uuid4()) is None


def test_a_failed_sync_transaction_leaves_nothing_behind(connector: Connector) -> None:
    change_id = uuid.uuid4()
    written: list[int] = []

    def killed_half_way() -> None:
        with connector.sync_transaction() as tx:
            written.append(tx.insert("contacts", {"name": "Half BV"}))
            tx.record_applied(change_id, "contacts", written[0])
            raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        killed_half_way()
    new_id = written[0]

    with connector.sync_transaction() as tx:
        assert tx.applied(change_id) is None
    assert connector.changes(0, 10**9) == []
    assert connector.fetch_rows("contacts", [new_id]) == {}


@pytest.mark.parametrize(
    ("table", "values", "reason"),
    [
        ("orders", {"number": "O-X", "contact_id": 999_999, "order_date": "2025-01-01"}, "FOREIGN"),
        ("contacts", {"name": None}, "NULL"),
        ("activities", {"subject": "Bellen", "kind": "fax", "starts_at": "2025-01-01"}, "kind"),
        ("products", {"sku": "P000001", "name": "Dubbel"}, "UNIQUE"),
    ],
)
def test_a_constraint_violation_raises_rejected_change_and_writes_nothing(
    connector: Connector, table: str, values: dict[str, object], reason: str
) -> None:
    counts_before = connector.row_counts()

    with connector.sync_transaction() as tx:
        with pytest.raises(RejectedChange) as rejected:
            tx.insert(table, values)
        kept = tx.insert("contacts", {"name": "Wel BV"})  # the transaction goes on

    assert table in str(rejected.value)
    assert reason.lower() in str(rejected.value).lower()
    counts_after = connector.row_counts()
    assert counts_after[table] == counts_before[table] + (1 if table == "contacts" else 0)
    assert [(c.table_name, c.row_id) for c in connector.changes(0, 10**9)] == [("contacts", kept)]


def test_an_unknown_column_is_rejected(connector: Connector) -> None:
    with connector.sync_transaction() as tx, pytest.raises(RejectedChange, match="shoe_size"):
        tx.insert("contacts", {"name": "X", "shoe_size": 44})


def test_an_update_with_a_stale_row_version_is_a_conflict_and_changes_nothing(
    connector: Connector,
) -> None:
    with connector.sync_transaction() as tx:
        assert tx.update("contacts", 1, {"city": "Delft"}, expected_row_version=1) == 2
        with pytest.raises(RowVersionConflict) as conflict:
            tx.update("contacts", 1, {"city": "Ede"}, expected_row_version=1)
        with pytest.raises(RowNotFound):
            tx.update("contacts", 999_999, {"city": "Ede"})
        assert not tx.delete("contacts", 999_999)

    assert (conflict.value.expected, conflict.value.current) == (1, 2)
    assert connector.fetch_rows("contacts", [1])[1]["city"] == "Delft"
    assert len(connector.changes(0, 10**9)) == 1
