"""The sync engine: the initial copy, the inbound pull and the outbound push.

The company side is reached only through the kit's `Connector`, the online side through
`OnlineStore` and the ORM. The numbers in comments are DESIGN.md's invariants.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import takewhile
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _

from records.models import RECORD_MODELS, OutboxEntry, Record, SyncState
from records.services import decoded
from syncengine.companydb import (
    ChangeLogStalled,
    Connector,
    RejectedChange,
    RowNotFound,
    RowVersionConflict,
)
from syncengine.companydb.connector import PostgreSQLConnector
from syncengine.models import Conflict, SyncLink, SyncRun
from syncengine.store import (
    CompanyRows,
    Fetched,
    OnlineStore,
    ParentNotPushed,
    Staged,
    among,
    is_text,
)

TABLES = tuple(RECORD_MODELS)  # parents before children


class LeaseLost(Exception):
    """Another worker holds the run now (our lease expired): stop without writing."""


class SyncRefused(Exception):
    """The initial sync cannot start; the message says why, for the administrator."""


@dataclass
class Lease:
    run_id: int
    token: uuid.UUID

    def fence(self, **changes: Any) -> None:
        """Writes `changes` to the run only while we still hold it; else LeaseLost, which
        rolls back the transaction the caller is in (6: writes are fenced by the token)."""
        changes.setdefault(
            "lease_expires_at", timezone.now() + timedelta(seconds=settings.SYNC_LEASE_SECONDS)
        )
        if not SyncRun.objects.filter(pk=self.run_id, lease_token=self.token).update(**changes):
            raise LeaseLost(f"Sync run {self.run_id} was taken over.")


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    rejected: int = 0

    def add(self, table: str, n: int = 1) -> None:
        self.counts[table] = self.counts.get(table, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# -- the initial sync --------------------------------------------------------------------------


def initial_sync_step(
    *, run: SyncRun, lease: Lease, connector: Connector, budget_seconds: float
) -> bool:
    """Does the initial sync of `run` for up to about `budget_seconds`; True when finished.

    Each chunk is committed with its checkpoint and the run's progress (4), so a run killed
    anywhere resumes after its last chunk and copies nothing twice."""
    deadline = time.monotonic() + budget_seconds
    link = run.link
    store = OnlineStore(link.company)
    if run.high_water_mark is None:
        _prepare(run, lease, link, connector)
    started = time.monotonic()
    for table in TABLES:
        while run.checkpoints.get(table, 0) < run.progress[table]["high"]:
            _copy_chunk(run, lease, store, connector, table)  # at least one chunk per step
            if time.monotonic() >= deadline:
                _add_timing(run, lease, "copy", time.monotonic() - started)
                return False
    if run.phase == "copy":
        # What the copy brought is news to the planner until autovacuum comes round (a
        # minute, say): till then the replay's and the next pulls' look-ups of a thousand
        # records scanned all of the company's.
        store.analyze()
        _add_timing(run, lease, "copy", time.monotonic() - started)
        # Replay from the mark: whatever the desktop wrote while we copied (2, 4).
        with transaction.atomic():
            lease.fence(phase="replay")
            SyncLink.objects.filter(pk=link.pk).update(last_seq=run.high_water_mark)
        run.phase = "replay"
    started = time.monotonic()
    tally = Tally()
    while True:
        moved = pull_changes(link=link, connector=connector, tally=tally, claim=False)
        if moved.stalled:
            raise ChangeLogStalled(moved.stalled)
        if not moved.applied and not moved.more:
            break
        if time.monotonic() >= deadline:
            _add_timing(run, lease, "replay", time.monotonic() - started)
            return False
    connector.release_sync_lock(link.lock_owner())
    with transaction.atomic():
        _add_timing(run, lease, "replay", time.monotonic() - started)
        # What held the run back (a company database that was unreachable) is over, in the
        # same write as the run's end: a page never shows a finished run with its old error.
        lease.fence(
            state=SyncRun.State.DONE,
            phase="done",
            finished_at=timezone.now(),
            lease_token=None,
            lease_expires_at=None,
            failures=0,
            error="",
        )
        link.refresh_from_db()
        link.connected_at = timezone.now()
        link.save(update_fields=["connected_at"])
        link.set_state(SyncLink.State.CONNECTED)
        link.trace(_("First synchronisation done: the database is connected."))
    return True


def _prepare(run: SyncRun, lease: Lease, link: SyncLink, connector: Connector) -> None:
    started = time.monotonic()
    try:
        _check_quiet(connector)
    except SyncRefused:
        # A predecessor killed after taking the lock must not leave the desktop locked out.
        connector.release_sync_lock(link.lock_owner())
        raise
    if not connector.take_sync_lock(link.lock_owner(), "initial_sync"):
        held = connector.sync_lock()
        raise SyncRefused(
            _("Another synchronisation holds the company database (%(owner)s).")
            % {"owner": held.owner if held else "?"}
        )
    # The mark first, the bounds after: a row committed after the mark is replayed (2, 4).
    mark = connector.high_water_mark(timeout=settings.SYNC_MARK_TIMEOUT_SECONDS)
    progress = {}
    for table in TABLES:
        _low, high, count = connector.table_bounds(table)
        progress[table] = {"done": 0, "total": count, "high": high}
    with transaction.atomic():
        lease.fence(
            high_water_mark=mark,
            progress=progress,
            phase="copy",
            timings={"prepare": round(time.monotonic() - started, 3)},
        )
        link.set_state(SyncLink.State.INITIAL_SYNC)
        link.trace(_("First synchronisation: copying up to change %(seq)s.") % {"seq": mark})
    run.refresh_from_db()


def _check_quiet(connector: Connector) -> None:
    """Refuses while people or programs may write to the company database."""
    sessions = connector.desktop_sessions()
    if sessions:
        names = ", ".join(sorted({str(s["username"]) for s in sessions}))
        raise SyncRefused(
            _(
                "Desktop users are still working in the company database (%(names)s). Ask them "
                "to close the desktop program, then start the first synchronisation again."
            )
            % {"names": names}
        )
    clients = [c["name"] for c in connector.api_clients() if c["is_enabled"]]
    if clients:
        raise SyncRefused(
            _(
                "Integrated programs may still write to the company database (%(names)s). "
                "Disable them in the desktop program, then start again."
            )
            % {"names": ", ".join(clients)}
        )


def _relaxed_commit() -> None:
    """PostgreSQL: this online transaction's commit need not wait for its WAL to reach the
    disk. Safe to lose on a crash, and only for such transactions: a lost chunk (with its
    checkpoint) is copied again, a lost pull batch (with its cursor) pulled again and found
    seen by row_version, a lost "applied" of a push finds its `sync_applied` row on the
    retry (3). Never for a company-database transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _copy_chunk(
    run: SyncRun, lease: Lease, store: OnlineStore, connector: Connector, table: str
) -> None:
    after = int(run.checkpoints.get(table, 0))
    high = int(run.progress[table]["high"])
    binary = isinstance(connector, PostgreSQLConnector) and connection.vendor == "postgresql"
    with transaction.atomic():
        _relaxed_commit()
        if binary:
            assert isinstance(connector, PostgreSQLConnector)  # noqa: S101 - for mypy
            up_to = min(after + settings.SYNC_COPY_CHUNK, high)
            copied = store.copy_binary(table, connector.copy_out(table, after, up_to))
            checkpoint = up_to
        else:
            rows = connector.table_chunk(table, after, settings.SYNC_BATCH_CHUNK)
            copied = store.insert_rows(table, rows)
            checkpoint = rows[-1]["id"] if rows else high
        checkpoints = {**run.checkpoints, table: checkpoint}
        progress = {**run.progress}
        progress[table] = {**progress[table], "done": progress[table]["done"] + copied}
        counts = {**run.counts_in, table: run.counts_in.get(table, 0) + copied}
        lease.fence(checkpoints=checkpoints, progress=progress, counts_in=counts)
    run.checkpoints, run.progress, run.counts_in = checkpoints, progress, counts


def _add_timing(run: SyncRun, lease: Lease, phase: str, seconds: float) -> None:
    run.timings = {**run.timings, phase: round(run.timings.get(phase, 0) + seconds, 3)}
    lease.fence(timings=run.timings)


# -- inbound -----------------------------------------------------------------------------------


@dataclass
class Pulled:
    applied: int = 0  # change-log rows the cursor moved past
    more: bool = False  # a batch limit or the time budget stopped us before the mark
    stalled: str = ""


def pull_changes(
    *,
    link: SyncLink,
    connector: Connector,
    tally: Tally | None = None,
    claim: bool = True,
    budget_seconds: float | None = None,
) -> Pulled:
    """Applies the company's changes after the link's cursor, up to a final mark (2), one
    batch per online transaction with the cursor (3), batch after batch until the mark or
    until `budget_seconds` (default SYNC_STEP_SECONDS) have passed; `more` then says so.

    With `claim`, takes the link's short pull claim first and notes the pull's time when it
    hands the claim back (one write)."""
    tally = tally if tally is not None else Tally()
    if claim:
        now = timezone.now()
        claimed = SyncLink.objects.filter(
            Q(pull_claimed_until__isnull=True) | Q(pull_claimed_until__lt=now), pk=link.pk
        ).update(pull_claimed_until=now + timedelta(seconds=settings.SYNC_LEASE_SECONDS))
        if not claimed:
            return Pulled()  # another pull is on it
    try:
        pulled = _pull_up_to_mark(link, connector, tally, budget_seconds)
    except BaseException:
        if claim:
            SyncLink.objects.filter(pk=link.pk).update(pull_claimed_until=None)
        raise
    if claim:
        SyncLink.objects.filter(pk=link.pk).update(
            pull_claimed_until=None, last_pull_at=timezone.now()
        )
    return pulled


def _pull_up_to_mark(
    link: SyncLink, connector: Connector, tally: Tally, budget_seconds: float | None
) -> Pulled:
    deadline = time.monotonic() + (
        settings.SYNC_STEP_SECONDS if budget_seconds is None else budget_seconds
    )
    try:
        mark = connector.high_water_mark(timeout=settings.SYNC_MARK_WAIT_SECONDS)
    except ChangeLogStalled as error:
        # An open desktop transaction may still commit a lower seq: wait, visibly (2).
        link.refresh_from_db()
        if not link.stalled_since:
            link.trace(error.message, level="warning")
        SyncLink.objects.filter(pk=link.pk).update(
            stalled_since=link.stalled_since or timezone.now(), stall_message=error.message
        )
        return Pulled(stalled=error.message)
    SyncLink.objects.filter(pk=link.pk).exclude(stalled_since=None).update(
        stalled_since=None, stall_message=""
    )
    link.refresh_from_db()
    pulled = Pulled()
    # One mark for every batch: each seq up to it is final, so it needs taking only once.
    while True:
        applied, more = _pull_batch(link, connector, tally, mark)
        pulled.applied += applied
        pulled.more = more
        if not more or time.monotonic() >= deadline:
            return pulled


def _pull_batch(link: SyncLink, connector: Connector, tally: Tally, mark: int) -> tuple[int, bool]:
    """Applies the changes of the next SYNC_PULL_BATCH seqs after the cursor, up to `mark`,
    and moves the cursor to the end of them: (rows moved past, more).

    A window of seqs rather than a LIMIT alone: the change log is then read by its primary
    key whatever the plan. Its statistics lag behind a burst of changes, and PostgreSQL
    planned the LIMIT as "read everything up to the mark, sort, keep 1,000": every batch of
    a backlog read the rest of it again. Every seq up to the mark is final (2), so the cursor
    may pass seqs that were never used (their transactions rolled back)."""
    cursor = link.last_seq
    up_to = min(mark, cursor + settings.SYNC_PULL_BATCH)
    more = up_to < mark
    changes = connector.changes(cursor, up_to, limit=settings.SYNC_PULL_BATCH)
    if not changes and not more:
        return 0, False
    new_cursor = up_to
    touched: dict[str, set[int]] = {}
    for change in changes:
        if change.origin == "sync":
            continue  # our own write coming back (5): it moves the cursor only
        if change.table_name in RECORD_MODELS:
            touched.setdefault(change.table_name, set()).add(change.row_id)
    store = OnlineStore(link.company)
    binary = _binary(connector)
    # The current rows of the changes; a row gone since is a delete. PostgreSQL on both
    # sides: COPYed into the online transaction below, which then applies them set-wise;
    # else read into memory before the transaction opens.
    present: dict[str, CompanyRows] = {}
    if not binary:
        for table, ids in touched.items():
            present[table] = Fetched(store, table, connector.fetch_rows(table, sorted(ids)))
    with transaction.atomic():
        _relaxed_commit()
        # Conditional on the cursor we read: a pull racing us applies the batch, not both (3).
        if not SyncLink.objects.filter(pk=link.pk, last_seq=cursor).update(last_seq=new_cursor):
            transaction.set_rollback(True)
            return 0, False
        for table in TABLES:
            if table in touched:
                if binary:
                    assert isinstance(connector, PostgreSQLConnector)  # noqa: S101 - for mypy
                    data = connector.copy_rows(table, sorted(touched[table]))
                    present[table] = Staged(store, table, data)
                _apply_rows(link, store, connector, present[table], tally)
        for table in reversed(TABLES):
            if table in touched:
                gone = touched[table] - set(present[table].versions())
                if gone:
                    _apply_deletes(link, store, connector, table, gone, tally)
    link.last_seq = new_cursor
    return len(changes), more


def _binary(connector: Connector) -> bool:
    """Whether company rows can go by binary COPY straight into the online database."""
    return isinstance(connector, PostgreSQLConnector) and connection.vendor == "postgresql"


def _parents(
    store: OnlineStore, connector: Connector, link: SyncLink, rows: CompanyRows, tally: Tally
) -> None:
    """Makes sure the parents of `rows` are online: a parent not online yet (its own change
    lies after the mark) is fetched and stored first."""
    for column, parent in rows.model.PARENTS.items():
        missing = rows.missing_parents(column)
        if missing:
            fetched = connector.fetch_rows(parent, sorted(missing))
            _apply_rows(link, store, connector, Fetched(store, parent, fetched), tally)


def _apply_rows(
    link: SyncLink,
    store: OnlineStore,
    connector: Connector,
    rows: CompanyRows,
    tally: Tally,
) -> None:
    """Applies company rows of a table: new ones inserted together, the others merged.

    The records are locked first and the online edits waiting for them read after, in one
    query for the batch: an edit committed before the lock is read, one after waits for our
    commit and starts from the company's values. A record none waits for (nearly all of
    them) takes the company row as it is, and those are written together; one with edits
    waiting is merged field by field (`_merge`)."""
    versions = rows.versions()
    if not versions:
        return
    table = rows.table
    _parents(store, connector, link, rows, tally)

    def locked(source_ids: Iterable[int]) -> dict[int | None, tuple[int, int]]:
        """{company id: (record id, row_version seen)} of these rows' records, locked."""
        return {
            source_id: (record_id, row_version)
            for source_id, record_id, row_version in store.records(table)
            .filter(among("source_id", source_ids))
            .select_for_update()
            .values_list("source_id", "pk", "row_version")
        }

    existing = locked(versions)
    unknown = [source_id for source_id in versions if source_id not in existing]
    if unknown and _finish_inserts(link, store, connector, table, unknown):
        existing.update(locked(unknown))
    waiting: dict[int, list[OutboxEntry]] = {}
    deleting: set[int] = set()
    for entry in (
        OutboxEntry.objects.unfinished()
        .filter(company=link.company, table=table)
        .filter(
            among("record_id", [record_id for record_id, _version in existing.values()])
            | (Q(op=OutboxEntry.Op.DELETE) & among("source_id", versions))
        )
        .order_by("created_at")
    ):
        if entry.op == OutboxEntry.Op.DELETE and entry.source_id in versions:
            deleting.add(entry.source_id)
        waiting.setdefault(entry.record_id, []).append(entry)
    new: list[int] = []
    plain: dict[int, int] = {}
    merging: dict[int, int] = {}
    for source_id, version in versions.items():
        if source_id in deleting:
            continue  # deleted online: delete wins, the push records the conflict (5)
        if source_id not in existing:
            new.append(source_id)
            continue
        record_id, seen = existing[source_id]
        if seen >= version:
            continue  # seen already (a replay, or a parent fetched ahead of its change)
        if record_id in waiting:
            merging[source_id] = record_id
        else:
            plain[source_id] = record_id
    now = timezone.now()
    if merging:
        company_rows = rows.rows(merging)
        parents = store.parents_of(table, company_rows.values())
        for record in store.records(table).filter(pk__in=list(merging.values())):
            row = company_rows[int(record.source_id)]  # type: ignore[arg-type]
            values = store.to_online(table, row, parents)
            _merge(link, record, values, row["row_version"], waiting[record.pk], tally)
    if new:
        rows.insert(new, now=now)
    if plain:
        rows.update(plain, now=now)
    if new or plain or merging:
        tally.add(table, len(new) + len(plain) + len(merging))


def _finish_inserts(
    link: SyncLink, store: OnlineStore, connector: Connector, table: str, unknown: list[int]
) -> bool:
    """Company rows `unknown` (ids no record has) that one of our own inserts wrote, whose
    push died between its company commit and its online one (3): that push's online half is
    done here (the record takes the company id, the entry is applied), so that the row's
    change lands on the record instead of making a second one. True if any was.

    Nearly always no insert is waiting: one online query, and the company database is asked
    only when some are (by `sync_applied`'s primary key)."""
    inserts = {
        str(entry.pk): entry
        for entry in OutboxEntry.objects.unfinished().filter(
            company=link.company, table=table, op=OutboxEntry.Op.INSERT
        )
    }
    if not inserts:
        return False
    wanted = set(unknown)
    done = [
        (inserts[change_id], {"source_id": row_id})
        for change_id, row_id in connector.applied_changes(table, list(inserts)).items()
        if row_id in wanted
    ]
    _applied_many(store, done, Tally())
    return bool(done)


def _merge(
    link: SyncLink,
    record: Record,
    company: dict[str, Any],
    row_version: int,
    waiting: list[OutboxEntry],
    tally: Tally,
) -> None:
    """Applies a company row to a record, field by field against the online edits not sent
    yet (`waiting`: the record's unfinished outbox entries, oldest first): a field only the
    company changed is taken, one only we changed is kept, one both changed is a conflict
    decided by the link's policy (5).

    A field of an entry a push has claimed is left to that push: it may be writing it right
    now, and it compares with the company's row inside its own transaction."""
    model = type(record)
    entries = [entry for entry in waiting if entry.op == OutboxEntry.Op.UPDATE]
    pending: dict[str, tuple[OutboxEntry, Any]] = {}
    for entry in entries:
        for name, base in decoded(model, entry.base).items():
            pending.setdefault(name, (entry, base))
    online = record.business_values()
    dropped: dict[uuid.UUID, list[str]] = {}
    rebased: dict[uuid.UUID, dict[str, Any]] = {}
    for name, value in company.items():
        attname = model._attname(name)
        if name not in pending:
            setattr(record, attname, value)
            continue
        entry, base = pending[name]
        if value == base or value == online[name] or entry.state != OutboxEntry.State.QUEUED:
            continue  # the company did not change it, both made the same change, or in flight
        winner = _record_conflict(
            link, model.TABLE, record.source_id, name, value, online[name], base, tally
        )
        if winner == Conflict.Winner.COMPANY:
            setattr(record, attname, value)
            dropped.setdefault(entry.pk, []).append(name)
        else:
            # Our value goes out; its base is now the company's value, so the push does not
            # see this conflict a second time.
            rebased.setdefault(entry.pk, {})[name] = value
    finished = set()
    for entry in entries:
        names = dropped.get(entry.pk, [])
        values = {k: v for k, v in entry.values.items() if k not in names}
        # The JSON field's own encoder turns the rebased Decimal, date and datetime values
        # into text, as it did the rest of the base.
        base = {k: v for k, v in entry.base.items() if k not in names}
        base.update(rebased.get(entry.pk, {}))
        if names or entry.pk in rebased:
            state = OutboxEntry.State.QUEUED if values else OutboxEntry.State.APPLIED
            if (
                OutboxEntry.objects.filter(pk=entry.pk, state=OutboxEntry.State.QUEUED).update(
                    values=values, base=base, state=state
                )
                and state == OutboxEntry.State.APPLIED
            ):
                finished.add(entry.pk)
    record.row_version = row_version
    if all(entry.pk in finished for entry in waiting):
        record.sync_state = SyncState.SYNCED
        record.sync_message = ""
    record.save()


def _apply_deletes(
    link: SyncLink,
    store: OnlineStore,
    connector: Connector,
    table: str,
    gone: set[int],
    tally: Tally,
) -> None:
    """Rows deleted in the company database. Delete wins on both sides: an online edit still
    waiting for it is dropped and recorded as a conflict (5). A row one of our inserts wrote
    whose online half died takes its record with it, as any other would."""
    records = list(store.records(table).filter(among("source_id", gone)))
    unknown = sorted(gone - {record.source_id for record in records})
    if unknown and _finish_inserts(link, store, connector, table, unknown):
        records = list(store.records(table).filter(among("source_id", gone)))
    for record in records:
        waiting = OutboxEntry.objects.unfinished().filter(table=table, record_id=record.pk)
        for entry in waiting:
            if entry.op == OutboxEntry.Op.UPDATE:
                _record_conflict(
                    link, table, record.source_id, "*", Conflict.DELETED,
                    _describe(entry.values), _describe(entry.base), tally, rule="delete_wins",
                )  # fmt: skip
        waiting.update(
            state=OutboxEntry.State.REJECTED,
            message=_("The record was deleted in the company database."),
        )
        # Whatever goes with it online (only records made online and not sent yet can still
        # refer to it: the company database deleted its own children first) loses its changes.
        collector = Collector(using=record._state.db or "default")
        collector.collect([record])
        going: list[tuple[type[Any], list[int]]] = [
            (model, [instance.pk for instance in instances])
            for model, instances in collector.data.items()
        ]
        going += [
            (qs.model, list(qs.values_list("pk", flat=True))) for qs in collector.fast_deletes
        ]
        for model, ids in going:
            if issubclass(model, Record) and model is not type(record):
                OutboxEntry.objects.unfinished().filter(
                    table=model.TABLE, record_id__in=ids
                ).update(
                    state=OutboxEntry.State.REJECTED,
                    message=_("What it belonged to was deleted in the company database."),
                )
        record.delete()
        tally.add(table)


def _record_conflict(
    link: SyncLink,
    table: str,
    source_id: int | None,
    name: str,
    company: Any,
    online: Any,
    base: Any,
    tally: Tally,
    *,
    rule: str | None = None,
) -> str:
    policy = link.conflict_policy
    if rule == "delete_wins":
        winner = Conflict.Winner.COMPANY if company == Conflict.DELETED else Conflict.Winner.ONLINE
    else:
        rule = policy
        winner = (
            Conflict.Winner.ONLINE
            if policy == SyncLink.Policy.ONLINE_WINS
            else Conflict.Winner.COMPANY
        )
    Conflict.objects.create(
        link=link,
        table=table,
        source_id=source_id,
        field=name,
        company_value=_text(company),
        online_value=_text(online),
        base_value=_text(base),
        rule=rule,
        winner=winner,
        needs_review=policy == SyncLink.Policy.MANUAL,
    )
    tally.conflicts += 1
    return winner


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items()))


# -- outbound ----------------------------------------------------------------------------------


def push_outbox(*, link: SyncLink, connector: Connector, tally: Tally | None = None) -> Tally:
    """Writes the online changes waiting in the outbox to the company database, oldest first,
    each in a company transaction together with its `sync_applied` row (3).

    Updates of records the company database knows (nearly every online edit) go several to a
    company transaction and their outcomes in one online transaction: two commits for the
    lot instead of two each. Inserts and deletes go one by one."""
    tally = tally if tally is not None else Tally()
    store = OnlineStore(link.company)
    while True:
        entries = _claim(link)
        if not entries:
            return tally
        position = 0
        try:
            while position < len(entries):
                entry = entries[position]
                if entry.attempts > settings.SYNC_MAX_PUSH_ATTEMPTS:
                    # Died on it again and again (or its parent never arrives): stop, visibly.
                    _reject(link, store, connector, entry, _give_up_message(entry), tally)
                    position += 1
                    continue
                updates = list(takewhile(_plain_update, entries[position:]))
                if updates:
                    position += len(updates)
                    _push_updates(link, store, connector, updates, tally)
                else:
                    position += 1
                    _push_one(link, store, connector, entry, tally)
        except ParentNotPushed:
            _release(entries)  # its parent comes first; the next push takes both
            return tally
        if len(entries) < settings.SYNC_PUSH_BATCH:
            return tally


def _plain_update(entry: OutboxEntry) -> bool:
    return (
        entry.op == OutboxEntry.Op.UPDATE
        and entry.source_id is not None
        and entry.attempts <= settings.SYNC_MAX_PUSH_ATTEMPTS
    )


def _push_updates(
    link: SyncLink,
    store: OnlineStore,
    connector: Connector,
    entries: list[OutboxEntry],
    tally: Tally,
) -> None:
    """Pushes updates of records with a company id, in one company transaction; each write
    in its own savepoint with its `sync_applied` row, so that a refused or outdated one
    leaves the others be. Raises ParentNotPushed (after pushing the entries before it) at
    the first entry that refers to a record not pushed yet."""
    for count, entry in enumerate(entries):
        try:
            store.to_company(entry.table, decoded(store.model(entry.table), entry.values))
        except ParentNotPushed:
            if count:
                _push_updates(link, store, connector, entries[:count], tally)
            raise
    done: list[tuple[OutboxEntry, dict[str, Any]]] = []
    outdated: list[OutboxEntry] = []
    refused: list[tuple[OutboxEntry, str]] = []
    with connector.sync_transaction() as tx:
        current: dict[str, dict[int, dict[str, Any]]] = {}
        for entry in entries:
            current.setdefault(entry.table, {})
        for table in current:
            ids = sorted({e.source_id for e in entries if e.table == table and e.source_id})
            current[table] = connector.fetch_rows(table, ids)
        for entry in entries:
            source_id = int(entry.source_id)  # type: ignore[arg-type]
            outcome: dict[str, Any] = {"source_id": source_id}
            if tx.applied(entry.id) is not None:
                done.append((entry, outcome))  # written by an attempt that died after (3)
                continue
            row = current[entry.table].get(source_id)
            if row is None:
                # Deleted in the company database meanwhile: delete wins, the edit is kept as
                # a conflict and the pull removes the record.
                _record_conflict(
                    link, entry.table, source_id, "*", Conflict.DELETED,
                    _describe(entry.values), _describe(entry.base), tally, rule="delete_wins",
                )  # fmt: skip
            else:
                values = decoded(store.model(entry.table), entry.values)
                send, outcome["company_won"] = _outgoing(link, store, entry, values, row, tally)
                outcome["seen"] = row["row_version"]
                if send:
                    try:
                        outcome["row_version"] = tx.update(
                            entry.table,
                            source_id,
                            store.to_company(entry.table, send),
                            expected_row_version=row["row_version"],
                        )
                    except RejectedChange as error:
                        refused.append((entry, error.message))
                        continue
                    except (RowVersionConflict, RowNotFound):
                        outdated.append(entry)  # the desktop wrote meanwhile: next push
                        continue
            tx.record_applied(entry.id, entry.table, source_id)
            done.append((entry, outcome))
    _applied_many(store, done, tally)
    if outdated:
        _release(outdated)
    for entry, message in refused:
        _reject(link, store, connector, entry, message, tally)


def _give_up_message(entry: OutboxEntry) -> str:
    return _("This change could not be written to the company database after %(n)s attempts.") % {
        "n": entry.attempts - 1
    }


def _claim(link: SyncLink) -> list[OutboxEntry]:
    """Claims the oldest unfinished entries with a conditional update: never an id cursor, so
    an entry queued late or released by a dead worker is still taken (3, 6)."""
    now = timezone.now()
    candidates = list(
        OutboxEntry.objects.unfinished()
        .filter(company=link.company)
        .order_by("created_at")[: settings.SYNC_PUSH_BATCH]
    )
    if not candidates:
        return []
    first = candidates[0]
    if (
        first.state == OutboxEntry.State.CLAIMED
        and first.claimed_until
        and first.claimed_until > now
    ):
        return []  # another push is sending the oldest entries; order matters, so wait
    token = uuid.uuid4().hex
    OutboxEntry.objects.filter(pk__in=[c.pk for c in candidates]).filter(
        Q(state=OutboxEntry.State.QUEUED)
        | Q(state=OutboxEntry.State.CLAIMED, claimed_until__lt=now)
    ).update(
        state=OutboxEntry.State.CLAIMED,
        claimed_by=token,
        claimed_until=now + timedelta(seconds=settings.SYNC_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    return list(
        OutboxEntry.objects.filter(claimed_by=token, state=OutboxEntry.State.CLAIMED).order_by(
            "created_at"
        )
    )


def _release(entries: list[OutboxEntry]) -> None:
    OutboxEntry.objects.filter(
        pk__in=[e.pk for e in entries], state=OutboxEntry.State.CLAIMED
    ).update(state=OutboxEntry.State.QUEUED, claimed_by="", claimed_until=None)


def _source_id(entry: OutboxEntry) -> int | None:
    if entry.source_id is not None:
        return entry.source_id
    # An edit made before its record's insert was pushed learns the id from that insert.
    insert = OutboxEntry.objects.filter(
        table=entry.table, record_id=entry.record_id, op=OutboxEntry.Op.INSERT
    ).first()
    return insert.source_id if insert else None


def _push_one(
    link: SyncLink, store: OnlineStore, connector: Connector, entry: OutboxEntry, tally: Tally
) -> None:
    model = store.model(entry.table)
    values = decoded(model, entry.values)
    outcome: dict[str, Any] = {}
    try:
        with connector.sync_transaction() as tx:
            done = tx.applied(entry.id)
            if done is not None:
                # A previous attempt wrote it and died before the online side heard (3).
                outcome["source_id"] = done
            elif entry.op == OutboxEntry.Op.INSERT:
                new_id = tx.insert(entry.table, store.to_company(entry.table, values))
                tx.record_applied(entry.id, entry.table, new_id)
                outcome["source_id"] = new_id
                # Read inside our transaction: the version our write made, not a later one.
                outcome["row_version"] = connector.fetch_rows(entry.table, [new_id])[new_id][
                    "row_version"
                ]
            else:
                source_id = _source_id(entry)
                if source_id is None:
                    raise ParentNotPushed(entry.table, entry.record_id)
                outcome["source_id"] = source_id
                current = connector.fetch_rows(entry.table, [source_id]).get(source_id)
                if entry.op == OutboxEntry.Op.DELETE:
                    if current is not None:
                        if current["row_version"] != entry.row_version:
                            _record_conflict(
                                link, entry.table, source_id, "*",
                                _describe(current), Conflict.DELETED,
                                _describe(entry.base), tally, rule="delete_wins",
                            )  # fmt: skip
                        tx.delete(entry.table, source_id)
                elif current is None:
                    # Deleted in the company database meanwhile: delete wins, the edit is kept
                    # as a conflict and the pull removes the record.
                    _record_conflict(
                        link, entry.table, source_id, "*", Conflict.DELETED,
                        _describe(entry.values), _describe(entry.base), tally, rule="delete_wins",
                    )  # fmt: skip
                else:
                    send, outcome["company_won"] = _outgoing(
                        link, store, entry, values, current, tally
                    )
                    outcome["seen"] = current["row_version"]
                    if send:
                        outcome["row_version"] = tx.update(
                            entry.table,
                            source_id,
                            store.to_company(entry.table, send),
                            expected_row_version=current["row_version"],
                        )
                tx.record_applied(entry.id, entry.table, source_id)
    except RejectedChange as error:
        _reject(link, store, connector, entry, error.message, tally)
        return
    except (RowVersionConflict, RowNotFound):
        _release([entry])  # the desktop wrote between our read and write: next push decides
        return
    _applied(store, entry, outcome, tally)


def _outgoing(
    link: SyncLink,
    store: OnlineStore,
    entry: OutboxEntry,
    values: dict[str, Any],
    current: dict[str, Any],
    tally: Tally,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields of an update to send, and the company's values of those it keeps: a field
    the desktop changed too since our base is a conflict, decided by the link's policy (5)."""
    model = store.model(entry.table)
    base = decoded(model, entry.base)
    by_field = {name: column for column, name in model.COLUMNS.items()}
    send = {}
    kept = {}
    for name, value in values.items():
        column = by_field[name]
        company = current[column]
        company_online: Any
        if column in model.PARENTS:
            company_online = (
                None
                if company is None
                else store.record_ids(model.PARENTS[column], [company]).get(company)
            )
        elif company is None and is_text(model.field_for(column)):
            company_online = ""
        else:
            company_online = company
        if company_online in (base.get(name), value):
            send[name] = value
            continue
        winner = _record_conflict(
            link, entry.table, current["id"], name, company_online, value, base.get(name), tally
        )
        if winner == Conflict.Winner.ONLINE:
            send[name] = value
        else:
            kept[name] = company_online
    return send, kept


def _reject(
    link: SyncLink,
    store: OnlineStore,
    connector: Connector,
    entry: OutboxEntry,
    message: str,
    tally: Tally,
) -> None:
    """Refused by the company database (a constraint): not retried (5). The record takes the
    company's row back, so both sides agree again (1), and shows the refusal; a refused delete
    brings the record back. A refused insert stays online only, marked, until edited again."""
    model = RECORD_MODELS[entry.table]
    source_id = _source_id(entry) if entry.op != OutboxEntry.Op.INSERT else None
    row = connector.fetch_rows(entry.table, [source_id]).get(source_id) if source_id else None
    with transaction.atomic():
        OutboxEntry.objects.filter(pk=entry.pk).update(
            state=OutboxEntry.State.REJECTED, message=message, claimed_by="", claimed_until=None
        )
        if row is not None:
            # Seen-version 0: the row is applied again whatever version the record saw.
            store.records(entry.table).filter(source_id=source_id).update(row_version=0)
            _apply_rows(
                link, store, connector, Fetched(store, entry.table, {row["id"]: row}), Tally()
            )
            records = store.records(entry.table).filter(source_id=source_id)
        else:
            records = model._default_manager.filter(pk=entry.record_id)
        records.update(sync_state=SyncState.REJECTED, sync_message=message)
    tally.rejected += 1


def _applied(
    store: OnlineStore,
    entry: OutboxEntry,
    outcome: dict[str, Any],
    tally: Tally,
) -> None:
    _applied_many(store, [(entry, outcome)], tally)


def _applied_many(
    store: OnlineStore, done: list[tuple[OutboxEntry, dict[str, Any]]], tally: Tally
) -> None:
    """Marks entries applied and gives their records what the writes produced, in one
    online transaction, with a few queries for the lot."""
    if not done:
        return
    now = timezone.now()
    with transaction.atomic():
        _relaxed_commit()
        OutboxEntry.objects.filter(pk__in=[entry.pk for entry, _outcome in done]).update(
            state=OutboxEntry.State.APPLIED, applied_at=now, claimed_by="", claimed_until=None
        )
        for entry, outcome in done:
            if entry.source_id != outcome["source_id"]:
                OutboxEntry.objects.filter(pk=entry.pk).update(source_id=outcome["source_id"])
            if entry.op == OutboxEntry.Op.INSERT:
                # The record's later edits learn the company id its insert produced.
                OutboxEntry.objects.filter(
                    table=entry.table, record_id=entry.record_id, source_id=None
                ).update(source_id=outcome["source_id"])
        for table in {entry.table for entry, _outcome in done}:
            mine = [(entry, outcome) for entry, outcome in done if entry.table == table]
            _update_records(store, table, mine, now)
            tally.add(table, len(mine))


def _update_records(
    store: OnlineStore,
    table: str,
    done: list[tuple[OutboxEntry, dict[str, Any]]],
    now: Any,
) -> None:
    model = store.model(table)
    wanted = [entry.record_id for entry, _outcome in done]
    records = {
        record.pk: record
        for record in model._default_manager.select_for_update().filter(pk__in=wanted)
    }
    unfinished = set(
        OutboxEntry.objects.unfinished()
        .filter(table=table, record_id__in=wanted)
        .values_list("record_id", flat=True)
    )
    for entry, outcome in done:
        record = records.get(entry.record_id)
        if record is None:
            continue  # deleted online since: its delete is queued
        record.source_id = outcome["source_id"]
        # The company's value of a field it won goes to the record: the pull will not bring
        # it if it merged that row already.
        for name, value in outcome.get("company_won", {}).items():
            setattr(record, model._attname(name), value)
        # Our write's version is ours to take only if we had seen the version it was written
        # over: else a desktop change in between would look seen, and its other fields would
        # never be pulled.
        if "row_version" in outcome and outcome.get("seen", 0) == record.row_version:
            record.row_version = outcome["row_version"]
        if record.pk not in unfinished:
            record.sync_state = SyncState.SYNCED
            record.sync_message = ""
        record.updated_at = now
    store.update_records(table, list(records.values()))
