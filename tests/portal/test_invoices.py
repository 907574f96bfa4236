"""Invoices: a read-only list (search, paid / unpaid / overdue, sort by date) and detail, and
the contact page's last invoices."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Membership
from licensing.models import Service
from tests.factories import (
    AgreementFactory,
    ContactFactory,
    InvoiceFactory,
    PlanFactory,
    member,
    queries_of,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss() -> Membership:
    return member()


@pytest.fixture
def client(boss: Membership) -> Client:
    return signed_in(boss)


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def test_the_list_shows_only_the_companys_invoices_and_finds_by_number_or_contact(
    client: Client, boss: Membership
) -> None:
    bakker = ContactFactory.create(company=boss.company, name="Bakkerij De Vries")
    InvoiceFactory.create(company=boss.company, contact=bakker, number="F-100")
    InvoiceFactory.create(company=boss.company, number="F-200")
    InvoiceFactory.create(number="F-300")  # another company

    page = client.get("/invoices/")
    assert sorted(i.number for i in page.context["listing"].page) == ["F-100", "F-200"]
    assert "F-300" not in page.content.decode()
    assert [i.number for i in client.get("/invoices/", {"q": "vries"}).context["listing"].page] == [
        "F-100"
    ]
    assert [i.number for i in client.get("/invoices/", {"q": "f-2"}).context["listing"].page] == [
        "F-200"
    ]


def test_paid_unpaid_and_overdue_are_told_apart_on_the_companys_day(
    client: Client, boss: Membership
) -> None:
    InvoiceFactory.create(company=boss.company, number="PAID", paid=True, due_date=days_ago(40))
    InvoiceFactory.create(company=boss.company, number="LATE", due_date=days_ago(3))
    InvoiceFactory.create(company=boss.company, number="OPEN", due_date=days_ago(-10))

    def numbers(payment: str) -> list[str]:
        listing = client.get("/invoices/", {"payment": payment}).context["listing"]
        return sorted(i.number for i in listing.page)

    assert numbers("paid") == ["PAID"]
    assert numbers("unpaid") == ["LATE", "OPEN"]
    assert numbers("overdue") == ["LATE"]
    assert numbers("nonsense") == ["LATE", "OPEN", "PAID"]


def test_overdue_counts_from_the_companys_own_today(client: Client, boss: Membership) -> None:
    # Due "yesterday" where the company is, whatever the server's day is.
    boss.company.time_zone = "Pacific/Kiritimati"  # UTC+14
    boss.company.save()
    their_today = timezone.localdate(timezone=zoneinfo.ZoneInfo("Pacific/Kiritimati"))
    due = their_today - datetime.timedelta(days=1)
    invoice = InvoiceFactory.create(company=boss.company, due_date=due)

    overdue = client.get("/invoices/", {"payment": "overdue"}).context["listing"]
    assert [i.pk for i in overdue.page] == [invoice.pk]
    assert "1 day past its due date" in client.get(f"/invoices/{invoice.pk}/").content.decode()


def test_the_list_sorts_by_date_both_ways_over_pages(client: Client, boss: Membership) -> None:
    for n in range(55):
        InvoiceFactory.create(company=boss.company, number=f"F-{n:02d}", invoice_date=days_ago(n))

    newest = client.get("/invoices/").context["listing"]
    assert [i.number for i in newest.page][:2] == ["F-00", "F-01"]
    assert newest.next_url == "?page=2"
    oldest = client.get("/invoices/", {"sort": "oldest", "payment": "unpaid"}).context["listing"]
    assert [i.number for i in oldest.page][:2] == ["F-54", "F-53"]
    assert oldest.next_url == "?payment=unpaid&sort=oldest&page=2"


def test_the_list_takes_the_same_queries_for_many_invoices_as_for_a_few(
    client: Client, boss: Membership
) -> None:
    InvoiceFactory.create_batch(53, company=boss.company)
    few = queries_of(client, "/invoices/", {"page": "2"})
    InvoiceFactory.create_batch(120, company=boss.company)
    many = queries_of(client, "/invoices/", {"page": "2"})
    assert len(many) == len(few)


def test_the_detail_shows_the_invoice_and_offers_no_change(
    client: Client, boss: Membership
) -> None:
    invoice = InvoiceFactory.create(
        company=boss.company, number="F-777", total=Decimal("1234.50"), due_date=days_ago(-5)
    )

    page = client.get(f"/invoices/{invoice.pk}/")
    html = page.content.decode()
    assert "F-777" in html
    assert "1,234.50" in html
    assert "Open" in html
    assert '<form method="post"' not in html.split("</header>", 1)[1]
    assert client.post(f"/invoices/{invoice.pk}/").status_code == 405


def test_the_contact_page_shows_the_contacts_last_invoices_to_who_may_read_them(
    client: Client, boss: Membership
) -> None:
    contact = ContactFactory.create(company=boss.company)
    for n in range(7):
        InvoiceFactory.create(
            company=boss.company, contact=contact, number=f"F-{n}", invoice_date=days_ago(n)
        )
    InvoiceFactory.create(company=boss.company, number="F-OTHER")

    page = client.get(f"/contacts/{contact.pk}/")
    assert [i.number for i in page.context["invoices"]] == ["F-0", "F-1", "F-2", "F-3", "F-4"]
    assert f"/invoices/?contact={contact.pk}" in page.content.decode()
    everything = client.get("/invoices/", {"contact": contact.pk}).context["listing"]
    assert everything.page.total == 7
    # Time registration may read contacts, not invoices.
    clerk = signed_in(member(company=boss.company, template="time_registration"))
    assert "F-0" not in clerk.get(f"/contacts/{contact.pk}/").content.decode()


def test_without_invoices_in_the_plan_or_the_rights_there_is_no_menu_item_and_no_page(
    boss: Membership,
) -> None:
    assert 'href="/invoices/"' in signed_in(boss).get("/").content.decode()
    plan = PlanFactory.create(services=Service.objects.filter(code=Service.Code.CONTACTS))
    small = signed_in(member(company=AgreementFactory.create(plan=plan).company))
    assert 'href="/invoices/"' not in small.get("/").content.decode()
    assert small.get("/invoices/").status_code == 403
    service = signed_in(member(company=boss.company, template="service"))
    assert service.get("/invoices/").status_code == 403


def test_another_companys_invoice_is_not_found(client: Client) -> None:
    foreign = InvoiceFactory.create()
    assert client.get(f"/invoices/{foreign.pk}/").status_code == 404
    listing = client.get("/invoices/", {"contact": foreign.contact_id}).context["listing"]
    assert listing.page.total == 0
