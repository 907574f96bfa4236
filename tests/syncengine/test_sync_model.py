"""A hypothesis state machine that interleaves desktop edits, online edits, deletes, inserts,
pushes and pulls, and checks the engine against a model of the rules (company database wins,
delete wins) after every sync, on both kit dialects."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from records.models import Contact, OutboxEntry
from records.services import create_record, delete_record, update_record
from syncengine.companydb import connect
from syncengine.companydb.generator import create_company_database
from syncengine.engine import pull_changes, push_outbox
from tests.syncengine.companydb.conftest import Desktop, drop_postgres_database, postgres_dsn
from tests.syncengine.conftest import assert_same, initial_sync, make_link

pytestmark = pytest.mark.django_db(transaction=True)

IDS = (1, 2)  # few, so that edits on the two sides meet often
FIELDS = ("city", "phone")
VALUES = st.sampled_from(["A", "B", ""])


class Field:
    """One field of one contact, as the rules say it must end up."""

    def __init__(self, value: str) -> None:
        self.company = self.online = value
        self.base: str | None = None  # the online value before an edit not pushed yet


class SyncMachine(RuleBasedStateMachine):
    dialect = "sqlite"
    folder: Path  # set per test: its tmp_path

    def __init__(self) -> None:
        super().__init__()
        if self.dialect == "sqlite":
            self.dbname = None
            self.dsn = f"sqlite://{self.folder}/model-{uuid.uuid4().hex[:8]}.db"
        else:
            self.dbname = f"od_eng_{uuid.uuid4().hex[:8]}"
            self.dsn = postgres_dsn(self.dbname)
        result = create_company_database(self.dsn, contacts=6, seed=11)
        self.desktop = Desktop(self.dsn)
        self.desktop.execute("DELETE FROM desktop_sessions")
        self.desktop.execute("UPDATE api_clients SET is_enabled = ?", [False])
        self.connector = connect(self.dsn)
        self.link = make_link(result.database_id)
        initial_sync(self.link, self.connector)
        self.model = {
            cid: {name: Field(getattr(self.contact(cid), name)) for name in FIELDS} for cid in IDS
        }
        self.gone_company: set[int] = set()
        self.gone_online: set[int] = set()

    def contact(self, cid: int) -> Contact:
        return self.link.company.contacts.get(source_id=cid)

    def teardown(self) -> None:
        self.desktop.close()
        self.connector.close()
        if self.dbname:
            drop_postgres_database(self.dbname)

    # -- the desktop ---------------------------------------------------------------------

    @rule(cid=st.sampled_from(IDS), name=st.sampled_from(FIELDS), value=VALUES)
    def desktop_edit(self, cid: int, name: str, value: str) -> None:
        if cid in self.gone_company:
            return
        stored = value or None  # the desktop writes NULL for an empty text
        statement = f"UPDATE contacts SET {name} = ? WHERE id = ?"  # noqa: S608 - FIELDS only
        self.desktop.execute(statement, [stored, cid])
        self.model[cid][name].company = value

    @rule(cid=st.sampled_from(IDS))
    def desktop_delete(self, cid: int) -> None:
        if cid in self.gone_company:
            return
        self.desktop.execute("DELETE FROM contact_persons WHERE contact_id = ?", [cid])
        self.desktop.execute("DELETE FROM orders WHERE contact_id = ? AND id NOT IN "
                             "(SELECT order_id FROM order_lines)", [cid])  # fmt: skip
        refs = self.connector._rows(
            "SELECT (SELECT count(*) FROM orders WHERE contact_id = ?) + "
            "(SELECT count(*) FROM invoices WHERE contact_id = ?) + "
            "(SELECT count(*) FROM activities WHERE contact_id = ?) + "
            "(SELECT count(*) FROM timesheet_lines WHERE contact_id = ?) AS n",
            [cid, cid, cid, cid],
        )[0]["n"]
        if refs:
            return  # the desktop program would refuse it too
        self.desktop.execute("DELETE FROM contacts WHERE id = ?", [cid])
        self.gone_company.add(cid)

    @rule(name=st.sampled_from(["Nieuw", "Ander"]))
    def desktop_insert(self, name: str) -> None:
        self.desktop.execute("INSERT INTO contacts (name) VALUES (?)", [name])

    # -- online --------------------------------------------------------------------------

    @rule(cid=st.sampled_from(IDS), name=st.sampled_from(FIELDS), value=VALUES)
    def online_edit(self, cid: int, name: str, value: str) -> None:
        if cid in self.gone_online:
            return
        field = self.model[cid][name]
        update_record(record=self.contact(cid), values={name: value})
        if value != field.online and field.base is None:
            field.base = field.online
        field.online = value

    @rule(cid=st.sampled_from(IDS))
    def online_delete(self, cid: int) -> None:
        if cid in self.gone_online:
            return
        contact = self.contact(cid)
        if contact.persons.exists() or contact.orders.exists() or contact.invoices.exists():
            return  # kept simple: only contacts nothing refers to
        if contact.activities.exists() or contact.timesheet_lines.exists():
            return
        delete_record(record=contact)
        self.gone_online.add(cid)

    @rule(name=st.sampled_from(["Web B.V.", "Online"]))
    def online_insert(self, name: str) -> None:
        create_record(company=self.link.company, model=Contact, values={"name": name})

    # -- the engine ----------------------------------------------------------------------

    @rule()
    def push(self) -> None:
        push_outbox(link=self.link, connector=self.connector)
        for cid in IDS:
            if cid in self.gone_company or cid in self.gone_online:
                continue
            for field in self.model[cid].values():
                if field.base is None:
                    continue
                if field.company not in (field.base, field.online):
                    field.online = field.company  # conflict: the company database wins
                else:
                    field.company = field.online
                field.base = None
        self.settle_deletes(pushed=True)

    @rule()
    def pull(self) -> None:
        while pull_changes(link=self.link, connector=self.connector).applied:
            pass
        for cid in IDS:
            if cid in self.gone_company or cid in self.gone_online:
                continue
            for field in self.model[cid].values():
                if field.base is None:
                    field.online = field.company
                elif field.company not in (field.base, field.online):
                    field.online = field.company
                    field.base = None
        self.settle_deletes(pushed=False)

    def settle_deletes(self, *, pushed: bool) -> None:
        # Delete wins on both sides: online deletes go out with a push, desktop ones come in
        # with a pull.
        if pushed:
            self.gone_company |= self.gone_online
        else:
            self.gone_online |= self.gone_company

    @rule()
    def sync_and_compare(self) -> None:
        for _ in range(2):
            self.push()
            self.pull()
        assert not OutboxEntry.objects.unfinished().filter(company=self.link.company).exists()
        assert_same(self.link, self.connector)
        for cid in IDS:
            exists = self.link.company.contacts.filter(source_id=cid).exists()
            assert exists == (cid not in self.gone_company), cid
            if exists:
                contact = self.contact(cid)
                for name, field in self.model[cid].items():
                    assert getattr(contact, name) == field.online == field.company, (cid, name)

    @invariant()
    def no_record_is_duplicated(self) -> None:
        sources = list(
            self.link.company.contacts.exclude(source_id=None).values_list("source_id", flat=True)
        )
        assert len(sources) == len(set(sources))


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_engine_follows_the_rules_whatever_the_interleaving(dialect, tmp_path):
    class OnDialect(SyncMachine):
        pass

    OnDialect.dialect = dialect
    OnDialect.folder = tmp_path
    settings(
        max_examples=15 if dialect == "postgresql" else 40,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )(OnDialect)
    OnDialect.TestCase().runTest()
