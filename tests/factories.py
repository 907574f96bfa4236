"""factory_boy factories shared by the whole suite. Each area adds its own in a section below."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import factory
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccessProfile, ApiToken, Membership, User
from accounts.rights import READ_ONLY, SUPER_USER
from licensing.models import (
    AddOnProduct,
    Agreement,
    AgreementAddOn,
    Company,
    CompanyDatabase,
    LicenceLink,
    Plan,
    Service,
)
from records.models import (
    Activity,
    Contact,
    ContactPerson,
    Invoice,
    Order,
    OrderLine,
    Product,
    TimesheetLine,
)
from syncengine.models import HostDatabase, SyncHost, SyncLink, digest

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Bedrijf {n} B.V.")


class UserFactory(factory.django.DjangoModelFactory[User]):
    """An active ID with a verified e-mail address and DEFAULT_PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.nl")
    name = factory.Faker("name", locale="nl_NL")
    password = factory.django.Password(DEFAULT_PASSWORD)

    @factory.post_generation
    def verified_email(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    """A Read only member; `is_super_user=True` for the Super user template, or `profile=`."""

    class Meta:
        model = Membership

    class Params:
        is_super_user = False

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    profile = factory.LazyAttribute(
        lambda o: AccessProfile.objects.template(SUPER_USER if o.is_super_user else READ_ONLY)
    )


# --- licensing --------------------------------------------------------------------------------


def online_desktop() -> AddOnProduct:
    """The Online Desktop add-on, which a data migration creates in every installation."""
    return AddOnProduct.objects.get(code=AddOnProduct.ONLINE_DESKTOP)


class PlanFactory(factory.django.DjangoModelFactory[Plan]):
    """A plan with all six work areas unless `services=[...]` is given."""

    class Meta:
        model = Plan
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Plan {n}")
    seats = 10

    @factory.post_generation
    def services(self, create: bool, extracted: list[Service] | None, **kwargs: object) -> None:
        if create:
            self.services.set(Service.objects.all() if extracted is None else extracted)


class AddOnProductFactory(factory.django.DjangoModelFactory[AddOnProduct]):
    class Meta:
        model = AddOnProduct

    code = factory.Sequence(lambda n: f"add-on-{n}")
    name = factory.Sequence(lambda n: f"Add-on {n}")


class AgreementFactory(factory.django.DjangoModelFactory[Agreement]):
    """A valid, full agreement that grants Online Desktop unless `add_ons=[...]` is given."""

    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    number = factory.Sequence(lambda n: f"OVK-{100000 + n}")
    customer_number = factory.Sequence(lambda n: f"K{50000 + n}")
    plan = factory.SubFactory(PlanFactory)
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    valid_to = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=335))
    holder_email = factory.Sequence(lambda n: f"holder{n}@example.nl")

    @factory.post_generation
    def add_ons(self, create: bool, extracted: list[AddOnProduct] | None, **kwargs: Any) -> None:
        if not create:
            return
        agreement = cast(Agreement, self)  # post_generation hands in the made object
        for product in [online_desktop()] if extracted is None else extracted:
            AgreementAddOn.objects.create(agreement=agreement, product=product)


class CompanyDatabaseFactory(factory.django.DjangoModelFactory[CompanyDatabase]):
    """A production database of the full edition, as a sync host would have reported it."""

    class Meta:
        model = CompanyDatabase

    company = factory.SubFactory(CompanyFactory)
    database_id = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Administratie {n}")
    kind = CompanyDatabase.Kind.PRODUCTION
    edition = CompanyDatabase.Edition.FULL
    schema_version = 12
    reported_at = factory.LazyFunction(timezone.now)


# --- invitations ------------------------------------------------------------------------------


def employees_report(*people: tuple[int, str, str, str]) -> dict[str, Any]:
    """A sync host's report of a company database with these employees (id, first name, last
    name, e-mail); each has a desktop user named after the first name."""
    return {
        "employees": [
            {
                "id": pk,
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": "",
                "is_active": True,
            }
            for pk, first, last, email in people
        ],
        "users": [
            {"id": 100 + pk, "username": first.upper(), "employee_id": pk, "is_super_user": False}
            for pk, first, _last, _email in people
        ],
    }


class LicenceLinkFactory(factory.django.DjangoModelFactory[LicenceLink]):
    """The Online Desktop licence of `agreement` linked to a database of the same company."""

    class Meta:
        model = LicenceLink

    agreement = factory.SubFactory(AgreementFactory)
    product = factory.LazyFunction(online_desktop)
    database = factory.SubFactory(
        CompanyDatabaseFactory, company=factory.SelfAttribute("..agreement.company")
    )


# --- activation wizard ------------------------------------------------------------------------


def host_report(*, super_user_email: str, database_id: str | None = None) -> dict[str, Any]:
    """A sync host's report of a company database that meets every prerequisite: complete
    company details, `super_user_email` on the employee of the desktop super user, nobody
    logged in, no API client enabled."""
    return {
        "database_id": database_id or str(uuid.uuid4()),
        "schema_version": 12,
        "settings": {
            "name": "De Vries Installatietechniek B.V.",
            "org_number": "12345678",
            "street": "Dorpsstraat 1",
            "postcode": "1234 AB",
            "city": "Utrecht",
            "country": "NL",
            "phone": "030 123 4567",
            "email": "info@devries.example",
            "licence_contact_name": "Demi de Vries",
            "licence_contact_phone": "06 1234 5678",
            "database_kind": "production",
            "edition": "full",
        },
        "employees": [
            {"id": 1, "first_name": "Demi", "last_name": "de Vries", "email": super_user_email},
            {"id": 2, "first_name": "Piet", "last_name": "Jansen", "email": "piet@devries.example"},
        ],
        "users": [
            {"id": 1, "username": "demi", "employee_id": 1, "is_super_user": True},
            {"id": 2, "username": "piet", "employee_id": 2, "is_super_user": False},
        ],
        "sessions": [],
        "api_clients": [{"id": 1, "name": "Webshop", "is_enabled": False}],
    }


@dataclass
class Activatable:
    """A company whose Online Desktop licence is linked to a database that can be activated
    by `membership` (a super user whose e-mail is the desktop super user's)."""

    membership: Membership
    database: CompanyDatabase
    licence_link: LicenceLink
    host: SyncHost

    @property
    def user(self) -> User:
        return self.membership.user


def make_host(*, company: Company, database: CompanyDatabase, online: bool = True) -> SyncHost:
    host = SyncHost.objects.create(
        company=company,
        name=f"KANTOOR-{uuid.uuid4().hex[:6].upper()}",
        queue=SyncHost.new_queue(),
        credential_hash=digest(uuid.uuid4().hex),
        last_heartbeat_at=timezone.now() if online else None,
    )
    HostDatabase.objects.create(host=host, database=database)
    return host


def make_activatable(
    *, user: User | None = None, report: dict[str, Any] | None = None
) -> Activatable:
    """`report`: the host's report of the database (default: `host_report` for the user)."""
    user = user or UserFactory.create()
    agreement = AgreementFactory.create()
    company = agreement.company
    membership = MembershipFactory.create(user=user, company=company, is_super_user=True)
    report = report or host_report(super_user_email=user.email)
    database = CompanyDatabaseFactory.create(
        company=company, database_id=report["database_id"], report=report
    )
    licence_link = LicenceLink.objects.create(
        agreement=agreement, product=online_desktop(), database=database, linked_by=user
    )
    host = make_host(company=company, database=database)
    return Activatable(membership, database, licence_link, host)


def connect(made: Activatable, **options: Any) -> SyncLink:
    """The activatable database connected (as after a finished first synchronisation)."""
    link = SyncLink.objects.create(
        company=made.database.company,
        database=made.database,
        host=made.host,
        connected_by=made.user,
        connected_at=timezone.now(),
        **options,
    )
    link.set_state(SyncLink.State.CONNECTED)
    return link


# --- records (the work areas) ------------------------------------------------------------------


def member(
    *, company: Company | None = None, template: str = SUPER_USER, **fields: Any
) -> Membership:
    """A member of `company` (new if None) holding access-profile template `template`, the
    company having a valid agreement whose plan includes every work area."""
    company = company or CompanyFactory.create()
    if company.current_agreement() is None:
        AgreementFactory.create(company=company)
    return MembershipFactory.create(
        company=company, profile=AccessProfile.objects.template(template), **fields
    )


def signed_in(membership: Membership) -> Client:
    """A test client signed in as `membership`'s ID."""
    client = Client()
    client.force_login(membership.user)
    return client


def queries_of(client: Client, path: str, data: dict[str, str] | None = None) -> list[str]:
    """The SQL of a GET of `path` (which must answer 200), asked for the second time: what the
    site keeps in its cache between requests (the work areas of the company's plan, its silent
    sync hosts) is kept by then, as for every request after a member's first."""
    client.get(path, data)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, data).status_code == 200
    return [query["sql"] for query in captured]


class RecordFactory(factory.django.DjangoModelFactory[Any]):
    """A record as the synchronisation stores it: known to the company database, synced."""

    class Meta:
        abstract = True

    company = factory.SubFactory(CompanyFactory)
    source_id = factory.Sequence(lambda n: n + 1)
    row_version = 1


class ContactFactory(RecordFactory):
    class Meta:
        model = Contact

    name = factory.Faker("company", locale="nl_NL")
    city = factory.Faker("city", locale="nl_NL")
    email = factory.Faker("company_email", locale="nl_NL")


class ContactPersonFactory(RecordFactory):
    class Meta:
        model = ContactPerson

    contact = factory.SubFactory(ContactFactory, company=factory.SelfAttribute("..company"))
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")


class ProductFactory(RecordFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"ART-{n:05d}")
    name = factory.Sequence(lambda n: f"Artikel {n}")
    price = Decimal("12.50")


class OrderFactory(RecordFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ORD-{n:05d}")
    contact = factory.SubFactory(ContactFactory, company=factory.SelfAttribute("..company"))
    status = Order.Status.ORDER


class OrderLineFactory(RecordFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory, company=factory.SelfAttribute("..company"))
    product = factory.SubFactory(ProductFactory, company=factory.SelfAttribute("..company"))
    description = factory.SelfAttribute("product.name")
    quantity = Decimal("2")
    unit_price = factory.SelfAttribute("product.price")


class ActivityFactory(RecordFactory):
    class Meta:
        model = Activity

    subject = factory.Sequence(lambda n: f"Afspraak {n}")
    kind = Activity.Kind.MEETING
    starts_at = factory.LazyFunction(timezone.now)


class TimesheetLineFactory(RecordFactory):
    class Meta:
        model = TimesheetLine

    employee_source_id = 1
    work_date = factory.LazyFunction(timezone.localdate)
    hours = Decimal("7.50")


class InvoiceFactory(RecordFactory):
    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"F{n:06d}")
    contact = factory.SubFactory(ContactFactory, company=factory.SelfAttribute("..company"))
    invoice_date = factory.LazyFunction(timezone.localdate)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    total = Decimal("121.00")


# --- the REST API -------------------------------------------------------------------------------


def api_member(template: str = SUPER_USER, **fields: Any) -> Membership:
    """`member()` of a new company, whose ID has no password to hash (the API's tests sign in
    with tokens): the slow hash would be most of a test's time."""
    if "user" not in fields:
        fields["user__password"] = None
    return member(template=template, **fields)


def api_client(membership: Membership) -> APIClient:
    """A DRF test client calling as `membership` with a new personal API token."""
    _token, secret = ApiToken.issue(membership=membership, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client
