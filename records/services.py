"""Online edits of records: each writes the record and its outbox entry in one transaction.

The synchronisation (syncengine) sends outbox entries to the company database. Records must
not import it (DESIGN.md: syncengine -> records), so it registers a listener at start-up with
`on_outbox_change`, called after the commit with the company's id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from licensing.models import Company
from records.models import OutboxEntry, Record, SyncState

R = TypeVar("R", bound=Record)

_listeners: list[Callable[[int], None]] = []


def on_outbox_change(listener: Callable[[int], None]) -> None:
    """Registers `listener(company_id)`, called after a commit that queued outbox entries."""
    if listener not in _listeners:
        _listeners.append(listener)


def _notify(company_id: int) -> None:
    for listener in _listeners:
        transaction.on_commit(lambda listener=listener: listener(company_id))  # type: ignore[misc]


class ReadOnlyRecord(Exception):
    """Invoices are made in the desktop program; online they are read-only."""


def _check_writable(model: type[Record]) -> None:
    if model.READ_ONLY:
        raise ReadOnlyRecord(_("Invoices are read-only online."))


def _field_values(model: type[Record], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` by attname (foreign keys as record ids), refusing unknown fields."""
    fields = set(model.COLUMNS.values())
    unknown = set(values) - fields
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(unknown)})
    result = {}
    for name, value in values.items():
        field = model._meta.get_field(name)
        if isinstance(value, models.Model):
            value = value.pk
        result[field.attname] = value  # type: ignore[union-attr]
    return result


def _by_field(model: type[Record], values: Mapping[str, Any]) -> dict[str, Any]:
    """attname-keyed values back to field names (what the outbox keeps)."""
    names = {model._meta.get_field(f).attname: f for f in model.COLUMNS.values()}  # type: ignore[union-attr]
    return {names[key]: value for key, value in values.items()}


def create_record(*, company: Company, model: type[R], values: Mapping[str, Any]) -> R:
    """A new record made online, queued to be inserted in the company database."""
    _check_writable(model)
    attrs = _field_values(model, values)
    with transaction.atomic():
        record = model(company=company, sync_state=SyncState.PENDING, **attrs)
        record.full_clean(exclude=["company"])
        record.save()
        OutboxEntry.objects.create(
            company=company,
            table=model.TABLE,
            record_id=record.pk,
            op=OutboxEntry.Op.INSERT,
            values=record.business_values(),
        )
        _notify(company.pk)
    return record


class StaleRecord(Exception):
    """The record changed (online or in the company database) since the editor read it; the
    newer record is `current`, for the form or the API to show."""

    def __init__(self, current: Record) -> None:
        super().__init__(_("This record was changed by someone else in the meantime."))
        self.current = current


def update_record(*, record: R, values: Mapping[str, Any], seen_version: str | None = None) -> R:
    """Changes fields of `record` online and queues them, each with its value before the edit
    (the base that conflict detection compares a company change against).

    With `seen_version` (the `version` the editor read), refuses with StaleRecord when the
    record has been written since, so that nobody's change is silently overwritten."""
    model = type(record)
    _check_writable(model)
    attrs = _field_values(model, values)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=record.pk)  # type: ignore[attr-defined]
        if seen_version is not None and locked.version != seen_version:
            raise StaleRecord(locked)
        before = {key: getattr(locked, key) for key in attrs}
        changed = {key: value for key, value in attrs.items() if before[key] != value}
        for key, value in changed.items():
            setattr(locked, key, value)
        if not changed:
            return locked
        locked.full_clean(exclude=["company"])
        new = {key: getattr(locked, key) for key in changed}  # cleaned values
        locked.sync_state = SyncState.PENDING
        locked.sync_message = ""
        locked.save()
        base = {key: before[key] for key in changed}
        _queue_update(locked, _by_field(model, new), _by_field(model, base))
        _notify(locked.company_id)
    return locked


def _queue_update(record: Record, new: dict[str, Any], before: dict[str, Any]) -> None:
    encoded_new = _encoded(new)
    if record.source_id is None and not _insert_waiting(record):
        # Its insert was refused: the edit is a new attempt at inserting the whole record.
        OutboxEntry.objects.create(
            company_id=record.company_id,
            table=record.TABLE,
            record_id=record.pk,
            op=OutboxEntry.Op.INSERT,
            values=record.business_values(),
        )
        return
    # Fold into the record's entry still waiting to be sent: one write instead of several, and
    # the base stays the value before the first edit. Only a queued entry folds; a claimed one
    # may be on its way, so a conditional update decides.
    waiting = (
        OutboxEntry.objects.filter(
            table=record.TABLE, record_id=record.pk, state=OutboxEntry.State.QUEUED
        )
        .order_by("-created_at")
        .first()
    )
    if waiting is not None and waiting.op != OutboxEntry.Op.DELETE:
        values = {**waiting.values, **encoded_new}
        base = {**_encoded(before), **waiting.base}
        folded = OutboxEntry.objects.filter(pk=waiting.pk, state=OutboxEntry.State.QUEUED).update(
            values=values, base=base if waiting.op == OutboxEntry.Op.UPDATE else {}
        )
        if folded:
            return
    OutboxEntry.objects.create(
        company_id=record.company_id,
        table=record.TABLE,
        record_id=record.pk,
        source_id=record.source_id,
        op=OutboxEntry.Op.UPDATE,
        values=encoded_new,
        base=_encoded(before),
        row_version=record.row_version,
    )


def _insert_waiting(record: Record) -> bool:
    return OutboxEntry.objects.filter(
        table=record.TABLE,
        record_id=record.pk,
        op=OutboxEntry.Op.INSERT,
        state__in=[OutboxEntry.State.QUEUED, OutboxEntry.State.CLAIMED, OutboxEntry.State.APPLIED],
    ).exists()


class RecordInUse(Exception):
    """Other records refer to this one; the company database would refuse the delete too."""


def _check_unused(record: Record) -> None:
    for relation in record._meta.related_objects:
        related = relation.related_model
        if (
            isinstance(related, type)
            and issubclass(related, Record)
            and related._default_manager.filter(**{relation.field.name: record}).exists()
        ):
            raise RecordInUse(
                _("%(record)s is still used by %(others)s; delete or change those first.")
                % {"record": record, "others": related._meta.verbose_name_plural}
            )


def delete_record(*, record: Record) -> None:
    """Deletes `record` online and queues the delete (a record never pushed just goes).

    Like the company database, refuses (RecordInUse) while other records refer to it."""
    model = type(record)
    _check_writable(model)
    with transaction.atomic():
        _check_unused(record)
        waiting = OutboxEntry.objects.filter(
            table=record.TABLE, record_id=record.pk, state=OutboxEntry.State.QUEUED
        )
        # An insert on its way (or done) means a company row to delete; a waiting or refused
        # one means none.
        in_company = record.source_id is not None or (
            OutboxEntry.objects.filter(
                table=record.TABLE,
                record_id=record.pk,
                op=OutboxEntry.Op.INSERT,
                state__in=[OutboxEntry.State.CLAIMED, OutboxEntry.State.APPLIED],
            ).exists()
        )
        waiting.delete()
        if in_company:
            OutboxEntry.objects.create(
                company_id=record.company_id,
                table=record.TABLE,
                record_id=record.pk,
                source_id=record.source_id,
                op=OutboxEntry.Op.DELETE,
                base=_encoded(_by_field(model, _attrs(record))),
                row_version=record.row_version,
            )
            _notify(record.company_id)
        record.delete()


def _attrs(record: Record) -> dict[str, Any]:
    return {record._meta.get_field(f).attname: v for f, v in record.business_values().items()}  # type: ignore[union-attr]


def _encoded(values: Mapping[str, Any]) -> dict[str, Any]:
    # The JSONField's encoder turns Decimal, date and datetime into text; decode with
    # `decoded()`.
    return dict(values)


def decoded(model: type[Record], values: Mapping[str, Any]) -> dict[str, Any]:
    """Outbox values (JSON) back to Python values of `model`'s fields (ids for foreign keys)."""
    result: dict[str, Any] = {}
    for name, value in values.items():
        field = model._meta.get_field(name)
        if value is None:
            result[name] = None
        elif field.is_relation:
            result[name] = int(value)
        else:
            result[name] = field.to_python(value)  # type: ignore[union-attr]
    return result
