"""The online store: the company's business records, as copied from its company database.

Every record keeps `source_id` (its id in the company database; None while a row created
online is not pushed yet) and `row_version` (the company's row_version last seen), so that the
synchronisation can tell which company row a record is and whether it has seen its last write.

Each model names the company table it mirrors (`TABLE`) and maps its columns to fields
(`COLUMNS`: company column -> field name; DESIGN.md fixes the column names). A company column
`<parent>_id` maps to a real foreign key between records; `employee_id` stays a plain company
id (employees are not records). Online, an empty text is the company's NULL.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.models import Company


class SyncState(models.TextChoices):
    SYNCED = "synced", _("Synchronised")
    PENDING = "pending", _("Waiting to be sent")
    REJECTED = "rejected", _("Refused by the company database")


class Record(models.Model):
    """What every synchronised record has; a concrete model adds its business fields."""

    TABLE: ClassVar[str]
    COLUMNS: ClassVar[dict[str, str]]
    # Foreign keys to other records: company column -> the record model's TABLE.
    PARENTS: ClassVar[dict[str, str]] = {}
    READ_ONLY: ClassVar[bool] = False
    # What a search of the record's list looks in (case-insensitive, anywhere in the text).
    SEARCH: ClassVar[tuple[str, ...]] = ()

    company = models.ForeignKey(Company, on_delete=models.CASCADE, verbose_name=_("company"))
    source_id = models.BigIntegerField(_("company database id"), null=True, blank=True)
    row_version = models.BigIntegerField(_("company row version"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sync_state = models.CharField(
        _("synchronisation"), max_length=16, choices=SyncState.choices, default=SyncState.SYNCED
    )
    # The company database's own words when it refused this record's last change.
    sync_message = models.TextField(_("synchronisation message"), blank=True)

    class Meta:
        abstract = True

    def business_values(self) -> dict[str, Any]:
        """Field name -> value of every synchronised field (foreign keys as record ids)."""
        return {field: getattr(self, self._attname(field)) for field in type(self).COLUMNS.values()}

    @property
    def version(self) -> str:
        """Changes with every write to the record, made online or synchronised: the API's ETag
        and the edit form's "seen" value, so that a stale edit is refused, not applied."""
        return format(int(self.updated_at.timestamp() * 1_000_000), "x")

    @classmethod
    def matching(cls, query: str) -> models.Q:
        """The condition of a search for `query`: any field of SEARCH contains it."""
        condition = models.Q()
        for field in cls.SEARCH:
            condition |= models.Q(**{f"{field}__icontains": query})
        return condition

    @classmethod
    def _attname(cls, field: str) -> str:
        return cls._meta.get_field(field).attname  # type: ignore[union-attr]

    @classmethod
    def field_for(cls, column: str) -> models.Field[Any, Any]:
        return cls._meta.get_field(cls.COLUMNS[column])  # type: ignore[return-value]


def _constraints(name: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(fields=["company", "source_id"], name=f"{name}_one_per_source_id")
    ]


def _company(related_name: str) -> models.ForeignKey[Company, Company]:
    # No index of its own: the (company, source_id) unique index serves every company filter.
    return models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        related_name=related_name,
        verbose_name=_("company"),
        db_index=False,
    )


def _text(label: Any, **options: Any) -> models.TextField[str, str]:
    return models.TextField(label, blank=True, **options)


class Contact(Record):
    TABLE = "contacts"
    SEARCH = ("name", "city", "email", "org_number", "phone")
    COLUMNS = {
        c: c
        for c in (
            "name",
            "org_number",
            "is_customer",
            "is_supplier",
            "street",
            "postcode",
            "city",
            "country",
            "phone",
            "email",
            "website",
            "notes",
        )
    }

    company = _company("contacts")
    name = models.TextField(_("name"))
    org_number = _text(_("organisation number"))
    is_customer = models.BooleanField(_("customer"), default=True)
    is_supplier = models.BooleanField(_("supplier"), default=False)
    street = _text(_("street"))
    postcode = _text(_("postcode"))
    city = _text(_("city"))
    country = models.TextField(_("country"), default="NL")
    phone = _text(_("phone"))
    email = _text(_("e-mail"))
    website = _text(_("website"))
    notes = _text(_("notes"))

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "pk"]
        constraints = _constraints("contact")
        # The contact list's sorts: by name, by city, recently changed (also the dashboard's).
        indexes = [
            models.Index(fields=["company", "name"], name="contact_by_company_name"),
            models.Index(fields=["company", "city", "name"], name="contact_by_company_city"),
            models.Index(fields=["company", "-updated_at"], name="contact_by_company_changed"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactPerson(Record):
    TABLE = "contact_persons"
    SEARCH = ("last_name", "first_name", "email")
    COLUMNS = {
        "contact_id": "contact",
        "first_name": "first_name",
        "last_name": "last_name",
        "email": "email",
        "phone": "phone",
        "position": "position",
    }
    PARENTS = {"contact_id": "contacts"}

    company = _company("contact_persons")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="persons", verbose_name=_("contact")
    )
    first_name = _text(_("first name"))
    last_name = models.TextField(_("last name"))
    email = _text(_("e-mail"))
    phone = _text(_("phone"))
    position = _text(_("position"))

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["last_name", "first_name", "pk"]
        constraints = _constraints("contact_person")
        indexes = [
            models.Index(fields=["company", "last_name"], name="person_by_company_name"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Product(Record):
    TABLE = "products"
    SEARCH = ("sku", "name")
    COLUMNS = {c: c for c in ("sku", "name", "unit", "price", "vat_rate", "stock", "is_active")}

    company = _company("products")
    sku = models.TextField(_("article number"))
    name = models.TextField(_("name"))
    unit = models.TextField(_("unit"), default="stuk")
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=0)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2, default=21)
    stock = models.DecimalField(_("stock"), max_digits=12, decimal_places=3, default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "pk"]
        constraints = _constraints("product")
        # The product list's sorts, and the article-number look-up.
        indexes = [
            models.Index(fields=["company", "name"], name="product_by_company_name"),
            models.Index(fields=["company", "sku"], name="product_by_company_sku"),
        ]

    def __str__(self) -> str:
        return self.name


class Order(Record):
    class Status(models.TextChoices):
        QUOTE = "quote", _("Quote")
        ORDER = "order", _("Order")
        INVOICED = "invoiced", _("Invoiced")
        CANCELLED = "cancelled", _("Cancelled")

    TABLE = "orders"
    SEARCH = ("number", "contact__name")
    COLUMNS = {
        "number": "number",
        "contact_id": "contact",
        "status": "status",
        "order_date": "order_date",
        "delivery_date": "delivery_date",
        "currency": "currency",
        "notes": "notes",
    }
    PARENTS = {"contact_id": "contacts"}

    company = _company("orders")
    number = models.TextField(_("number"))
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="orders", verbose_name=_("contact")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUOTE
    )
    order_date = models.DateField(_("order date"), default=timezone.localdate)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    notes = _text(_("notes"))

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-order_date", "-pk"]
        constraints = _constraints("order")
        # The order list's sorts, and the order-number look-up.
        indexes = [
            models.Index(fields=["company", "-order_date"], name="order_by_company_date"),
            models.Index(fields=["company", "number"], name="order_by_company_number"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(Record):
    TABLE = "order_lines"
    COLUMNS = {
        "order_id": "order",
        "product_id": "product",
        "description": "description",
        "quantity": "quantity",
        "unit_price": "unit_price",
        "discount_pct": "discount_pct",
    }
    PARENTS = {"order_id": "orders", "product_id": "products"}

    company = _company("order_lines")
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_lines",
        verbose_name=_("product"),
    )
    description = models.TextField(_("description"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    discount_pct = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "pk"]
        constraints = _constraints("order_line")

    def __str__(self) -> str:
        return self.description


class Activity(Record):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")
        EMAIL = "email", _("E-mail")

    TABLE = "activities"
    SEARCH = ("subject", "notes")
    COLUMNS = {
        "subject": "subject",
        "kind": "kind",
        "starts_at": "starts_at",
        "ends_at": "ends_at",
        "done": "done",
        "contact_id": "contact",
        "employee_id": "employee_source_id",
        "notes": "notes",
    }
    PARENTS = {"contact_id": "contacts"}

    company = _company("activities")
    subject = models.TextField(_("subject"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("contact"),
    )
    employee_source_id = models.BigIntegerField(_("employee"), null=True, blank=True)
    notes = _text(_("notes"))

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-pk"]
        constraints = _constraints("activity")
        indexes = [models.Index(fields=["company", "-starts_at"], name="activity_by_company_start")]

    def __str__(self) -> str:
        return self.subject


class TimesheetLine(Record):
    TABLE = "timesheet_lines"
    COLUMNS = {
        "employee_id": "employee_source_id",
        "work_date": "work_date",
        "hours": "hours",
        "description": "description",
        "contact_id": "contact",
    }
    PARENTS = {"contact_id": "contacts"}

    company = _company("timesheet_lines")
    employee_source_id = models.BigIntegerField(_("employee"))
    work_date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    description = _text(_("description"))
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="timesheet_lines",
        verbose_name=_("contact"),
    )

    class Meta:
        verbose_name = _("time sheet line")
        verbose_name_plural = _("time sheet lines")
        ordering = ["-work_date", "-pk"]
        constraints = _constraints("timesheet_line")
        # The company's weeks, and one employee's week (a member's own hours).
        indexes = [
            models.Index(fields=["company", "-work_date"], name="timesheet_by_company_date"),
            models.Index(
                fields=["company", "employee_source_id", "-work_date"],
                name="timesheet_by_employee_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_date} {self.hours}"


class Invoice(Record):
    """Read-only online: invoices are made in the desktop program."""

    TABLE = "invoices"
    SEARCH = ("number", "contact__name")
    COLUMNS = {
        "number": "number",
        "contact_id": "contact",
        "invoice_date": "invoice_date",
        "due_date": "due_date",
        "total": "total",
        "paid": "paid",
    }
    PARENTS = {"contact_id": "contacts"}
    READ_ONLY = True

    company = _company("invoices")
    number = models.TextField(_("number"))
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="invoices", verbose_name=_("contact")
    )
    invoice_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    paid = models.BooleanField(_("paid"), default=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-invoice_date", "-pk"]
        constraints = _constraints("invoice")
        indexes = [
            models.Index(fields=["company", "-invoice_date"], name="invoice_by_company_date")
        ]

    def __str__(self) -> str:
        return self.number


RECORD_MODELS: dict[str, type[Record]] = {
    model.TABLE: model
    for model in (
        Contact,
        ContactPerson,
        Product,
        Order,
        OrderLine,
        Activity,
        TimesheetLine,
        Invoice,
    )
}
"""Record models by company table, parents before children."""


class OutboxQuerySet(models.QuerySet["OutboxEntry"]):
    def unfinished(self) -> OutboxQuerySet:
        return self.filter(state__in=[OutboxEntry.State.QUEUED, OutboxEntry.State.CLAIMED])


class OutboxEntry(models.Model):
    """One online change waiting for (or done with) its write to the company database.

    `values` holds the changed fields' new values and `base` their values before the edit:
    the values both sides last agreed on, against which a company change of the same field is
    a conflict (DESIGN.md invariant 5). Foreign keys are kept as online record ids and turned
    into company ids when pushed, so a child may be made before its parent is pushed."""

    class Op(models.TextChoices):
        INSERT = "I", _("Insert")
        UPDATE = "U", _("Update")
        DELETE = "D", _("Delete")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CLAIMED = "claimed", _("Being sent")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Refused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        related_name="outbox",
        verbose_name=_("company"),
        db_index=False,  # the (company, state, created_at) index serves it
    )
    table = models.CharField(_("table"), max_length=32)
    record_id = models.BigIntegerField(_("record"))
    # The company id of the row; learnt when an insert is applied.
    source_id = models.BigIntegerField(null=True, blank=True)
    op = models.CharField(_("operation"), max_length=1, choices=Op.choices)
    values = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    base = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # The company row_version the edit started from (update and delete).
    row_version = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default="queued")
    message = models.TextField(_("message"), blank=True)
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox entries")
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["company", "state", "created_at"], name="outbox_by_state"),
            models.Index(fields=["table", "record_id"], name="outbox_by_record"),
        ]

    def __str__(self) -> str:
        return f"{self.op} {self.table} #{self.record_id}"
