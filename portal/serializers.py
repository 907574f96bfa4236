"""The REST API's shape of the company's records (portal/api.py serves them).

Shape only: who may write what is decided in the views, and every write goes through
records.services. Money and quantities are decimal strings, times ISO-8601 in UTC, and each
record shows its `version` (the ETag to send back in If-Match) and its `sync_state`.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import models
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework import serializers
from rest_framework.settings import api_settings

from records.models import (
    Activity,
    Contact,
    ContactPerson,
    Invoice,
    Order,
    OrderLine,
    Product,
    Record,
    TimesheetLine,
)

# The largest id a record, or an employee of the company database, can have (a 64-bit integer).
LARGEST_ID = 2**63 - 1


class UtcDateTimeField(serializers.DateTimeField):
    """Written and read in UTC ("...Z"), whatever the company's or the server's time zone; a
    time without an offset is taken as UTC."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", datetime.UTC)
        super().__init__(**kwargs)


class CompanyRecordField(serializers.PrimaryKeyRelatedField):
    """A reference to another record by id, looked up among the current company's records
    only: another company's id is refused exactly like one that does not exist."""

    def __init__(self, related_name: str, **kwargs: Any) -> None:
        self.related_name = related_name
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        membership = self.context.get("membership")
        if membership is None:  # the schema generator, which looks at types only
            return Contact.objects.none()
        queryset: QuerySet[Any] = getattr(membership.company, self.related_name).all()
        return queryset


def company_columns(model: type[Record]) -> tuple[str, ...]:
    """A record's business fields as the API names them: the company database's own columns
    (DESIGN.md), a reference to another record without its "_id"."""
    return tuple(
        column.removesuffix("_id") if column in model.PARENTS else column
        for column in model.COLUMNS
    )


class RecordSerializer(serializers.ModelSerializer):
    """What every record shows besides its business fields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
    }

    version = serializers.CharField(
        read_only=True, help_text="Send it back in If-Match to change or delete the record."
    )

    COMMON_FIELDS = ("id", "version", "sync_state", "sync_message", "updated_at")

    _kept_fields: ClassVar[dict[str, serializers.Field]]

    class Meta:
        model: type[Record]
        read_only_fields: tuple[str, ...] = ("sync_state", "sync_message", "updated_at")

    def get_fields(self) -> dict[str, serializers.Field]:
        # ModelSerializer works a serializer's fields out of its model anew for every instance
        # (0.8 ms, on every call of the API). They depend on the class alone: the first ones
        # are kept and copied, as DRF copies the declared ones (0.15 ms).
        cls = type(self)
        kept = cls.__dict__.get("_kept_fields")
        if kept is None:
            kept = super().get_fields()
            cls._kept_fields = kept
        return copy.deepcopy(kept)

    @cached_property
    def _readable_fields(self) -> list[serializers.Field]:
        # Once per serializer instead of once per row: DRF's own is a generator over every
        # field, run again for each of a list's rows.
        return [field for field in self.fields.values() if not field.write_only]

    @classmethod
    def api_name(cls, field: str) -> str:
        """The API's name of a model field (for errors raised by the model's own checks)."""
        if field == NON_FIELD_ERRORS:
            return str(api_settings.NON_FIELD_ERRORS_KEY)
        for name, declared in cls._declared_fields.items():
            if declared.source == field:
                return name
        return field


class ContactSerializer(RecordSerializer):
    """A contact: a customer, a supplier, or both."""

    class Meta(RecordSerializer.Meta):
        model = Contact
        fields = (*RecordSerializer.COMMON_FIELDS, *company_columns(Contact))


class ContactPersonSerializer(RecordSerializer):
    """A person at a contact."""

    contact = CompanyRecordField("contacts")

    class Meta(RecordSerializer.Meta):
        model = ContactPerson
        fields = (*RecordSerializer.COMMON_FIELDS, *company_columns(ContactPerson))


class ProductSerializer(RecordSerializer):
    """A product: price and VAT rate as decimal strings, stock in the product's unit."""

    class Meta(RecordSerializer.Meta):
        model = Product
        fields = (*RecordSerializer.COMMON_FIELDS, *company_columns(Product))


class OrderSerializer(RecordSerializer):
    """A quote or an order of a contact; its lines are order lines."""

    contact = CompanyRecordField("contacts")

    class Meta(RecordSerializer.Meta):
        model = Order
        fields = (*RecordSerializer.COMMON_FIELDS, *company_columns(Order))


class OrderLineSerializer(RecordSerializer):
    """A line of an order: quantity x unit price, less the discount percentage."""

    order = CompanyRecordField("orders")
    product = CompanyRecordField("products", allow_null=True, required=False)

    class Meta(RecordSerializer.Meta):
        model = OrderLine
        fields = (*RecordSerializer.COMMON_FIELDS, *company_columns(OrderLine))


class ActivitySerializer(RecordSerializer):
    """A call, meeting, task or e-mail; times in UTC."""

    contact = CompanyRecordField("contacts", allow_null=True, required=False)
    employee_id = serializers.IntegerField(
        source="employee_source_id",
        allow_null=True,
        required=False,
        min_value=1,
        max_value=LARGEST_ID,
        help_text="The employee's id in the company database.",
    )

    class Meta(RecordSerializer.Meta):
        model = Activity
        fields = (*RecordSerializer.COMMON_FIELDS, *company_columns(Activity))


class TimesheetLineSerializer(RecordSerializer):
    """Hours an employee worked on a day."""

    contact = CompanyRecordField("contacts", allow_null=True, required=False)
    employee_id = serializers.IntegerField(
        source="employee_source_id",
        required=False,
        min_value=1,
        max_value=LARGEST_ID,
        help_text=(
            "The employee's id in the company database; left out, the member's own. Without "
            "the right to everyone's hours, only the member's own."
        ),
    )

    class Meta(RecordSerializer.Meta):
        model = TimesheetLine
        fields = (*RecordSerializer.COMMON_FIELDS, *company_columns(TimesheetLine))


class InvoiceSerializer(RecordSerializer):
    """An invoice, read-only: invoices are made in the desktop program."""

    contact = CompanyRecordField("contacts", read_only=True)

    class Meta(RecordSerializer.Meta):
        model = Invoice
        fields = (*RecordSerializer.COMMON_FIELDS, *company_columns(Invoice))
        read_only_fields = fields
