from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.kept import Kept

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones())


class Company(models.Model):
    """The customer organisation: the tenant boundary for every row of business data."""

    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Amsterdam"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="nl"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def current_agreement(self, *, on: datetime.date | None = None) -> Agreement | None:
        """The agreement that applies on `on` (today), else the latest one, so that an expired
        agreement is still shown with its reason instead of looking like no agreement at all."""
        agreements = self.agreements.select_related("plan").latest_first()
        return agreements.valid(on=on).first() or agreements.first()

    def services_in_force(self) -> frozenset[str]:
        """The codes of the work areas that the plan of the agreement in force today includes
        (none without one). Every page and API call of a member asks, so the answer is kept
        (KEPT_SERVICES) and forgotten as soon as one of the company's agreements or its plan's
        services change (licensing.signals); its time limit bounds the rest, such as an
        agreement that runs out at midnight."""

        def read() -> frozenset[str]:
            in_force = self.agreements.valid().latest_first().values("plan_id")[:1]
            codes = Service.objects.filter(plans=Subquery(in_force)).values_list("code", flat=True)
            return frozenset(codes)

        return KEPT_SERVICES.get(self.pk, read)


# Company.services_in_force, by company id.
KEPT_SERVICES = Kept[frozenset[str]]("licensing:services-in-force", seconds=60)


class Service(models.Model):
    """A work area of the desktop that a plan may include."""

    class Code(models.TextChoices):
        CONTACTS = "contacts", _("Contacts")
        ACTIVITIES = "activities", _("Activities")
        PRODUCTS = "products", _("Products")
        ORDERS = "orders", _("Orders")
        INVOICES = "invoices", _("Invoices")
        TIME_SHEETS = "time_sheets", _("Time sheets")

    code = models.CharField(_("code"), max_length=32, choices=Code.choices, unique=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.get_code_display())


class Plan(models.Model):
    """What an agreement buys: work areas (services) and a number of online users (seats)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    services = models.ManyToManyField(
        Service, related_name="plans", blank=True, verbose_name=_("services")
    )
    seats = models.PositiveIntegerField(
        _("online users"), default=1, help_text=_("How many IDs may use the company's data.")
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AddOnProduct(models.Model):
    """A product an agreement may grant on top of its plan (Online Desktop is one)."""

    ONLINE_DESKTOP = "online-desktop"

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    database_allowance = models.PositiveIntegerField(
        _("database allowance"),
        default=1,
        help_text=_("How many company databases one licence of this product may be linked to."),
    )

    class Meta:
        verbose_name = _("add-on product")
        verbose_name_plural = _("add-on products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def links_database(self) -> bool:
        """Only Online Desktop is bound to a company database (the licence link)."""
        return self.code == self.ONLINE_DESKTOP


class AgreementQuerySet(models.QuerySet["Agreement"]):
    def latest_first(self) -> AgreementQuerySet:
        """The latest to start first: of several valid at once, the first is in force."""
        return self.order_by("-valid_from", "-pk")

    def valid(self, *, on: datetime.date | None = None) -> AgreementQuerySet:
        on = on or timezone.localdate()
        return self.filter(status=Agreement.Status.ACTIVE, valid_from__lte=on).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )

    def held_by(self, emails: list[str]) -> AgreementQuerySet:
        return self.filter(holder_email__in=[email.strip().lower() for email in emails])


class Agreement(models.Model):
    """The company's service agreement (licence): its plan, validity and add-on products."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("company")
    )
    number = models.CharField(_("agreement number"), max_length=32, unique=True)
    customer_number = models.CharField(_("customer number"), max_length=32)
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("plan")
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Empty: until further notice.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    is_evaluation = models.BooleanField(_("evaluation"), default=False)
    holder_email = models.EmailField(
        _("holder's e-mail"),
        help_text=_(
            "The ID that signs in with this verified e-mail becomes the company's first super user."
        ),
    )
    add_ons: models.ManyToManyField[AddOnProduct, AgreementAddOn] = models.ManyToManyField(
        AddOnProduct,
        through="AgreementAddOn",
        related_name="agreements",
        blank=True,
        verbose_name=_("add-on products"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.holder_email = self.holder_email.strip().lower()
        self.number = self.number.strip()
        self.customer_number = self.customer_number.strip()
        super().save(*args, **kwargs)

    def is_valid(self, *, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return (
            self.status == self.Status.ACTIVE
            and self.valid_from <= on
            and (self.valid_to is None or on <= self.valid_to)
        )

    def grants(self, product: AddOnProduct) -> bool:
        return self.granted_add_ons.filter(product=product).exists()

    def database_allowance(self, product: AddOnProduct) -> int:
        """How many databases this agreement's licence of `product` may be linked to: the
        grant's own figure when sales set one, else the product's default."""
        grant = self.granted_add_ons.filter(product=product).select_related("product").first()
        return grant.allowance if grant else 0

    def refusal_to_link(
        self, product: AddOnProduct, *, on: datetime.date | None = None
    ) -> Refusal | None:
        """Why this agreement cannot link `product` to a company database now, or None."""
        if not self.is_valid(on=on):
            return Refusal.EXPIRED
        if self.is_evaluation:
            return Refusal.EVALUATION_AGREEMENT
        if not self.grants(product):
            return Refusal.NOT_GRANTED
        if not product.links_database:
            return Refusal.NOT_LINKABLE
        return None

    def refusal_to_add(self, product: AddOnProduct) -> Refusal | None:
        """Why no further company database can be linked to `product` now, or None."""
        refusal = self.refusal_to_link(product)
        if refusal is None and not self.has_room_for(product):
            refusal = Refusal.ALLOWANCE_USED
        return refusal

    def company_links(self) -> models.QuerySet[LicenceLink]:
        """The licence links of the agreement's company: they outlive a renewal of the
        agreement that made them (a renewed agreement must not see "0 linked")."""
        return LicenceLink.objects.filter(agreement__company_id=self.company_id)

    def has_room_for(self, product: AddOnProduct) -> bool:
        """Exactly one database per licence, unless sales granted a larger allowance."""
        linked = self.company_links().filter(product=product).count()
        return linked < self.database_allowance(product)

    def matches_claim(self, *, number: str, customer_number: str) -> bool:
        return (
            self.number.lower() == number.strip().lower()
            and self.customer_number.lower() == customer_number.strip().lower()
        )


class AgreementAddOn(models.Model):
    """One add-on product an agreement grants."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="granted_add_ons",
        verbose_name=_("agreement"),
    )
    product = models.ForeignKey(
        AddOnProduct, on_delete=models.PROTECT, related_name="grants", verbose_name=_("product")
    )
    database_allowance = models.PositiveIntegerField(
        _("database allowance"),
        null=True,
        blank=True,
        help_text=_("Empty: the product's default allowance."),
    )

    class Meta:
        verbose_name = _("granted add-on product")
        verbose_name_plural = _("granted add-on products")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "product"], name="one_grant_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.product}"

    @property
    def allowance(self) -> int:
        """The grant's own database allowance when sales set one, else the product's default."""
        return self.database_allowance or self.product.database_allowance


class Refusal(models.TextChoices):
    """Why a company database cannot be linked to a licence; the label is what people read."""

    FOREIGN = "foreign", _("This company database belongs to another company.")
    NO_AGREEMENT = "no_agreement", _("Your company has no agreement yet.")
    EXPIRED = (
        "expired",
        _(
            "Your agreement is not valid today (expired, not started or suspended). Please contact "
            "your sales consultant."
        ),
    )
    EVALUATION_AGREEMENT = (
        "evaluation_agreement",
        _("Your agreement is an evaluation: linking a company database needs a full agreement."),
    )
    NOT_GRANTED = "not_granted", _("Your agreement does not include this add-on product.")
    NOT_LINKABLE = "not_linkable", _("This add-on product is not linked to a company database.")
    SAMPLE = "sample", _("This is a sample database: only a production database can be linked.")
    EVALUATION_EDITION = (
        "evaluation_edition",
        _(
            "This database runs an evaluation edition of the desktop program: only a full edition "
            "can be linked."
        ),
    )
    ALREADY_LINKED = "already_linked", _("This company database is already linked.")
    ALLOWANCE_USED = (
        "allowance_used",
        _(
            "Your licence is already linked to a company database. To link another one, please "
            "contact your sales consultant."
        ),
    )
    CONNECTED = (
        "connected",
        _(
            "The licence can only move while its company database is not connected. Stop the "
            "synchronisation first."
        ),
    )


class CompanyDatabaseQuerySet(models.QuerySet["CompanyDatabase"]):
    def eligible_for(self, addon: AddOnProduct) -> CompanyDatabaseQuerySet:
        """Every database, annotated with `ineligible_reason`: a Refusal code, or None when it
        may be linked to `addon`. Sample databases and evaluation editions stay listed (people
        need to see why they cannot choose them)."""
        linked = LicenceLink.objects.filter(product=addon, database=OuterRef("pk"))
        return self.annotate(
            ineligible_reason=Case(
                When(kind=CompanyDatabase.Kind.SAMPLE, then=Value(Refusal.SAMPLE.value)),
                When(
                    edition=CompanyDatabase.Edition.EVALUATION,
                    then=Value(Refusal.EVALUATION_EDITION.value),
                ),
                When(Exists(linked), then=Value(Refusal.ALREADY_LINKED.value)),
                default=Value(None),
                output_field=models.CharField(),
            )
        )


class CompanyDatabase(models.Model):
    """One database of the on-premises business software, as a sync host reported it."""

    class Kind(models.TextChoices):
        PRODUCTION = "production", _("Production")
        SAMPLE = "sample", _("Sample")

    class Edition(models.TextChoices):
        FULL = "full", _("Full")
        EVALUATION = "evaluation", _("Evaluation")

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="databases", verbose_name=_("company")
    )
    # Changes when a backup is restored: a restored database is a new company database.
    database_id = models.UUIDField(_("database identity"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    edition = models.CharField(_("edition"), max_length=16, choices=Edition.choices)
    schema_version = models.PositiveIntegerField(_("schema version"))
    report = models.JSONField(_("latest report"), default=dict)
    reported_at = models.DateTimeField(_("reported at"))
    # The sync engine sets this while a sync link of the database is active; nothing else does.
    connected = models.BooleanField(
        _("connected"),
        default=False,
        help_text=_("Set by the synchronisation while this database is connected."),
    )

    objects = CompanyDatabaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("company database")
        verbose_name_plural = _("company databases")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def ineligible_reason_label(self) -> str | None:
        """What people read about an ineligible database (needs `eligible_for()`)."""
        code = getattr(self, "ineligible_reason", None)
        return str(Refusal(code).label) if code else None

    def is_connected(self) -> bool:
        return self.connected


class ForeignDatabaseAttempt(models.Model):
    """A sync host of one company reported a database that belongs to another company.

    Kept for staff: it means a database was copied between companies, or a host was paired
    with the wrong company. The reporting company's report is not stored in full: it would put
    the owner's people and settings into the other company's record."""

    reporting_company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("reporting company"),
    )
    owning_company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("owning company")
    )
    database_id = models.UUIDField(_("database identity"))
    reported_name = models.CharField(_("reported name"), max_length=200, blank=True)
    # One row per reporting company and database: a host repeats its report every few minutes.
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    attempted_at = models.DateTimeField(_("last attempt"), default=timezone.now)

    class Meta:
        verbose_name = _("foreign database attempt")
        verbose_name_plural = _("foreign database attempts")
        ordering = ["-attempted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_company", "database_id"], name="one_attempt_row_per_reporter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.database_id} ({self.reporting_company})"


class LicenceLink(models.Model):
    """The binding of an agreement's Online Desktop add-on to one company database."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="licence_links",
        verbose_name=_("agreement"),
    )
    product = models.ForeignKey(
        AddOnProduct, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    database = models.ForeignKey(
        CompanyDatabase,
        on_delete=models.PROTECT,
        related_name="licence_links",
        verbose_name=_("company database"),
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by"),
    )
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("licence link")
        verbose_name_plural = _("licence links")
        ordering = ["linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "database"], name="one_licence_link_per_database"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.product} → {self.database}"

    def is_connected(self) -> bool:
        return self.database.is_connected()
