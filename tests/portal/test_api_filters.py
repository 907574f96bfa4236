"""The REST API's list filters: each narrows the company's records and nothing else."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from tests.factories import (
    ActivityFactory,
    ContactFactory,
    ContactPersonFactory,
    InvoiceFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    TimesheetLineFactory,
    api_client,
    api_member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return api_member(employee_id=1)


@pytest.fixture
def client(member):
    return api_client(member)


def ids(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.data
    return sorted(row["id"] for row in response.data["results"])


def test_contacts_by_search_customer_and_city(member, client):
    company = member.company
    bakker = ContactFactory.create(
        company=company, name="Bakkerij De Vries", city="Zwolle", email=""
    )
    supplier = ContactFactory.create(
        company=company, name="Groothandel Jansen", city="Deventer", email="", is_customer=False
    )
    by_mail = ContactFactory.create(
        company=company, name="Smit", city="Kampen", email="info@devries.example"
    )

    assert ids(client, "/api/v1/contacts/?q=vries") == [bakker.pk, by_mail.pk]
    # The same search as the contact list page's: the city too.
    assert ids(client, "/api/v1/contacts/?q=kamp") == [by_mail.pk]
    assert ids(client, "/api/v1/contacts/?is_customer=false") == [supplier.pk]
    assert ids(client, "/api/v1/contacts/?city=deventer") == [supplier.pk]


def test_contact_persons_of_one_contact(member, client):
    person = ContactPersonFactory.create(company=member.company)
    ContactPersonFactory.create(company=member.company)
    assert ids(client, f"/api/v1/contact-persons/?contact={person.contact_id}") == [person.pk]


def test_products_by_search_and_active(member, client):
    tap = ProductFactory.create(company=member.company, name="Kraan", sku="KR-1")
    old = ProductFactory.create(company=member.company, name="Oude kraan", is_active=False)
    assert ids(client, "/api/v1/products/?q=kraan") == [tap.pk, old.pk]
    assert ids(client, "/api/v1/products/?q=KR-1") == [tap.pk]
    assert ids(client, "/api/v1/products/?is_active=false") == [old.pk]


def test_orders_by_status_contact_and_dates(member, client):
    company = member.company
    quote = OrderFactory.create(
        company=company, status="quote", order_date=datetime.date(2026, 4, 30)
    )
    order = OrderFactory.create(
        company=company, status="order", order_date=datetime.date(2026, 5, 1)
    )
    cancelled = OrderFactory.create(
        company=company,
        contact=order.contact,
        status="cancelled",
        order_date=datetime.date(2026, 5, 31),
    )

    assert ids(client, "/api/v1/orders/?status=quote&status=order") == [quote.pk, order.pk]
    assert ids(client, f"/api/v1/orders/?contact={order.contact_id}") == [order.pk, cancelled.pk]
    assert ids(client, "/api/v1/orders/?from=2026-05-01&to=2026-05-30") == [order.pk]


def test_order_lines_of_one_order(member, client):
    line = OrderLineFactory.create(company=member.company)
    OrderLineFactory.create(company=member.company)
    assert ids(client, f"/api/v1/order-lines/?order={line.order_id}") == [line.pk]


def test_activities_by_done_and_the_companys_days(member, client):
    amsterdam = zoneinfo.ZoneInfo("Europe/Amsterdam")
    company = member.company
    company.time_zone = "Europe/Amsterdam"
    company.save()
    # 00:30 on 1 May in Amsterdam is still 30 April in UTC: it belongs to 1 May.
    early = ActivityFactory.create(
        company=company, starts_at=datetime.datetime(2026, 5, 1, 0, 30, tzinfo=amsterdam)
    )
    late = ActivityFactory.create(
        company=company,
        starts_at=datetime.datetime(2026, 4, 30, 23, 30, tzinfo=amsterdam),
        done=True,
    )

    assert ids(client, "/api/v1/activities/?from=2026-05-01&to=2026-05-01") == [early.pk]
    assert ids(client, "/api/v1/activities/?to=2026-04-30") == [late.pk]
    assert ids(client, "/api/v1/activities/?done=true") == [late.pk]


def test_time_sheet_lines_by_employee_and_dates(member, client):
    company = member.company
    mine = TimesheetLineFactory.create(
        company=company, employee_source_id=1, work_date=datetime.date(2026, 5, 4)
    )
    theirs = TimesheetLineFactory.create(
        company=company, employee_source_id=2, work_date=datetime.date(2026, 5, 5)
    )

    assert ids(client, "/api/v1/time-sheet-lines/?employee=2") == [theirs.pk]
    assert ids(client, "/api/v1/time-sheet-lines/?from=2026-05-05") == [theirs.pk]
    assert ids(client, "/api/v1/time-sheet-lines/?to=2026-05-04") == [mine.pk]


def test_invoices_by_paid_and_contact(member, client):
    paid = InvoiceFactory.create(company=member.company, paid=True)
    open_ = InvoiceFactory.create(company=member.company)
    assert ids(client, "/api/v1/invoices/?paid=false") == [open_.pk]
    assert ids(client, f"/api/v1/invoices/?contact={paid.contact_id}") == [paid.pk]


def test_another_companys_contact_as_a_filter_finds_nothing(member, client):
    foreign = OrderFactory.create()
    OrderFactory.create(company=member.company)
    assert ids(client, f"/api/v1/orders/?contact={foreign.contact_id}") == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders/?from=yesterday",
        "/api/v1/orders/?status=shipped",
    ],
)
def test_a_bad_filter_value_is_a_400(client, url):
    assert client.get(url).status_code == 400


# Found by the fuzzer (tests/portal/test_api_fuzz.py): an id beyond 64 bits reached the
# database, which could not run the query (a 500).
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/order-lines/?product=38751040742236707000000000000000000000",
        "/api/v1/order-lines/?order=9223372036854775808",
        "/api/v1/contact-persons/?contact=1.5",
        "/api/v1/activities/?employee=0",
        "/api/v1/time-sheet-lines/?employee=-3",
    ],
)
def test_an_id_filter_that_can_be_no_id_is_a_400(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
