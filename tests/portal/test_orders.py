"""Quotes and orders with lines: list, detail with exact totals, create (also from a contact),
edit header and lines (asking on a stale edit), confirm, and who may do which."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import AccessProfile, Membership
from accounts.rights import Area, Level, Rights
from licensing.models import Company, Service
from portal.desk import company_today
from portal.order_views import suggested_number
from records.models import Order, OrderLine, OutboxEntry, SyncState
from records.services import update_record
from tests.factories import (
    AgreementFactory,
    ContactFactory,
    InvoiceFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    PlanFactory,
    ProductFactory,
    member,
    queries_of,
    signed_in,
)
from tests.urlwalk import routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss() -> Membership:
    return member()


@pytest.fixture
def client(boss: Membership) -> Client:
    return signed_in(boss)


def quotes_only(company: Company) -> Membership:
    """A member with Full on contacts and orders, without the function "orders.orders"."""
    rights = Rights.of({Area.CONTACTS: Level.FULL, Area.ORDERS: Level.FULL})
    profile = AccessProfile.objects.create(
        company=company, name="Offertes", rights_json=rights.to_json()
    )
    return MembershipFactory.create(company=company, profile=profile)


def header(contact_id: int, **changes: str) -> dict[str, str]:
    return {
        "contact": str(contact_id),
        "number": "Q-0001",
        "order_date": "2025-03-10",
        "delivery_date": "",
        "notes": "",
        **changes,
    }


LINE = {"product": "", "description": "", "quantity": "1", "unit_price": "", "discount_pct": ""}


def test_the_list_shows_only_the_companys_orders_and_finds_by_number_or_contact(
    client: Client, boss: Membership
) -> None:
    bakker = ContactFactory.create(company=boss.company, name="Bakkerij De Vries")
    slager = ContactFactory.create(company=boss.company, name="Slagerij Jansen")
    OrderFactory.create(company=boss.company, contact=bakker, number="O-100")
    OrderFactory.create(company=boss.company, contact=slager, number="O-200")
    OrderFactory.create(number="O-300")  # another company

    page = client.get("/orders/")
    assert sorted(o.number for o, _t in page.context["rows"]) == ["O-100", "O-200"]
    assert "O-300" not in page.content.decode()
    assert [o.number for o, _t in client.get("/orders/", {"q": "slager"}).context["rows"]] == [
        "O-200"
    ]
    assert [o.number for o, _t in client.get("/orders/", {"q": "o-1"}).context["rows"]] == ["O-100"]


def test_the_list_filters_by_status_and_sorts_by_date_and_by_number(
    client: Client, boss: Membership
) -> None:
    contact = ContactFactory.create(company=boss.company)
    for n in range(55):
        OrderFactory.create(
            company=boss.company,
            contact=contact,
            number=f"O-{n:03d}",
            order_date=f"2025-01-{1 + n % 28:02d}",
            status=Order.Status.QUOTE if n % 5 == 0 else Order.Status.ORDER,
        )

    quotes = client.get("/orders/", {"status": "quote"}).context["listing"]
    assert quotes.page.total == 11
    newest = client.get("/orders/").context["listing"]
    dates = [o.order_date for o in newest.page]
    assert dates == sorted(dates, reverse=True)
    oldest = client.get("/orders/", {"sort": "oldest", "status": "order"}).context["listing"]
    assert [o.order_date for o in oldest.page] == sorted(o.order_date for o in oldest.page)
    assert oldest.next_url is None  # 44 orders: one page
    by_number = client.get("/orders/", {"sort": "number"}).context["listing"]
    assert [o.number for o in by_number.page][:2] == ["O-000", "O-001"]
    assert by_number.next_url == "?sort=number&page=2"
    assert client.get("/orders/", {"sort": "x", "status": "nonsense"}).status_code == 200


def test_the_list_and_the_detail_take_the_same_queries_for_many_orders_and_lines(
    client: Client, boss: Membership
) -> None:
    order = OrderFactory.create(company=boss.company)
    OrderLineFactory.create(company=boss.company, order=order)
    few = queries_of(client, "/orders/")
    few_detail = queries_of(client, f"/orders/{order.pk}/")
    for _n in range(60):
        other = OrderFactory.create(company=boss.company, sync_state=SyncState.PENDING)
        OrderLineFactory.create_batch(2, company=boss.company, order=other)
    OrderLineFactory.create_batch(30, company=boss.company, order=order)
    many = queries_of(client, "/orders/")
    many_detail = queries_of(client, f"/orders/{order.pk}/")
    assert len(many) == len(few) + 1  # the count, once the list is longer than a page
    assert len(many_detail) == len(few_detail)


def test_the_detail_shows_line_nets_vat_per_rate_and_the_exact_total(
    client: Client, boss: Membership
) -> None:
    order = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE)
    bread = ProductFactory.create(company=boss.company, vat_rate=Decimal("9"))
    tool = ProductFactory.create(company=boss.company, vat_rate=Decimal("21"))
    # 3 x 0.35 less 5% = 0.9975 -> 1.00; three lines of 0.10 at 21%.
    OrderLineFactory.create(
        company=boss.company, order=order, product=bread, quantity=Decimal(3),
        unit_price=Decimal("0.35"), discount_pct=Decimal(5),
    )  # fmt: skip
    OrderLineFactory.create_batch(
        3, company=boss.company, order=order, product=tool, quantity=Decimal(1),
        unit_price=Decimal("0.10"),
    )  # fmt: skip
    OrderLineFactory.create(
        company=boss.company, order=order, product=None, description="Advies",
        quantity=Decimal(1), unit_price=Decimal("50.00"),
    )  # fmt: skip

    page = client.get(f"/orders/{order.pk}/")

    totals = page.context["totals"]
    assert totals.subtotal == Decimal("51.30")
    assert [(v.rate, v.base, v.vat) for v in totals.vat] == [
        (Decimal("9.00"), Decimal("1.00"), Decimal("0.09")),
        (Decimal("21.00"), Decimal("50.30"), Decimal("10.56")),
    ]
    assert totals.total == Decimal("61.95")
    html = page.content.decode()
    assert "VAT 21% on 50.30" in html
    assert "61.95" in html


def test_a_sales_order_is_created_from_the_contact_page_as_a_quote_without_orders_rights(
    boss: Membership,
) -> None:
    client = signed_in(quotes_only(boss.company))
    contact = ContactFactory.create(company=boss.company, name="Bakkerij De Vries")
    OrderFactory.create(company=boss.company, number="O2025-0000041")

    detail = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f'href="/orders/new/?contact={contact.pk}"' in detail
    form = client.get("/orders/new/", {"contact": contact.pk}).context["form"]
    assert form["contact"].value() == contact.pk
    assert form["number"].value() == "O2025-0000042"
    assert "status" not in form.fields
    response = client.post(
        f"/orders/new/?contact={contact.pk}",
        header(contact.pk, number="O2025-0000042", status="order"),
    )

    order = Order.objects.get(number="O2025-0000042")
    assert response["Location"] == f"/orders/{order.pk}/"
    assert (order.status, order.contact, order.company) == ("quote", contact, boss.company)
    entry = OutboxEntry.objects.get(table="orders", record_id=order.pk)
    assert (entry.op, entry.values["status"]) == (OutboxEntry.Op.INSERT, "quote")


def test_with_orders_rights_a_member_may_create_an_order_straight_away(
    client: Client, boss: Membership
) -> None:
    contact = ContactFactory.create(company=boss.company)
    assert client.post("/orders/new/", header(contact.pk, status="order")).status_code == 302
    assert Order.objects.get(company=boss.company).status == Order.Status.ORDER


def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    client: Client, boss: Membership
) -> None:
    OrderFactory.create(company=boss.company, number="TAKEN")
    foreign = ContactFactory.create()
    response = client.post(
        "/orders/new/",
        header(foreign.pk, number="TAKEN", order_date="2025-03-10", delivery_date="2025-03-01"),
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"contact", "number", "delivery_date"}
    assert Order.objects.filter(company=boss.company).count() == 1
    assert not OutboxEntry.objects.exists()


def test_a_line_takes_the_products_name_and_price_when_left_empty(
    client: Client, boss: Membership
) -> None:
    order = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE)
    bread = ProductFactory.create(company=boss.company, name="Brood", price=Decimal("3.45"))

    form_page = client.get(f"/orders/{order.pk}/lines/new/").content.decode()
    assert 'data-price="3.45"' in form_page  # few products: a select the script fills from
    response = client.post(
        f"/orders/{order.pk}/lines/new/", {**LINE, "product": bread.pk, "quantity": "2"}
    )

    assert response.status_code == 302
    line = OrderLine.objects.get(order=order)
    assert (line.description, line.unit_price, line.discount_pct) == (
        "Brood", Decimal("3.45"), Decimal(0),
    )  # fmt: skip
    assert (line.company, line.sync_state) == (boss.company, SyncState.PENDING)
    entry = OutboxEntry.objects.get(table="order_lines", record_id=line.pk)
    assert entry.values["order"] == order.pk


def test_a_line_without_a_product_needs_a_description_and_a_price(
    client: Client, boss: Membership
) -> None:
    order = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE)
    foreign_product = ProductFactory.create()

    refused = client.post(f"/orders/{order.pk}/lines/new/", LINE)
    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {"description", "unit_price"}
    bad = client.post(
        f"/orders/{order.pk}/lines/new/",
        {**LINE, "product": foreign_product.pk, "discount_pct": "120"},
    )
    assert set(bad.context["form"].errors) == {"product", "discount_pct"}
    assert not OrderLine.objects.exists()


def test_with_many_products_the_line_form_offers_a_search_instead_of_a_select(
    client: Client, boss: Membership
) -> None:
    order = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE)
    ProductFactory.create_batch(101, company=boss.company)

    page = client.get(f"/orders/{order.pk}/lines/new/").content.decode()
    assert "/products/lookup/" in page
    assert page.count("<option") == 1


def test_a_line_edit_sends_only_the_changed_fields_and_a_stale_one_asks(
    client: Client, boss: Membership
) -> None:
    order = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE)
    line = OrderLineFactory.create(
        company=boss.company, order=order, description="Brood", quantity=Decimal(2),
        unit_price=Decimal("3.45"),
    )  # fmt: skip
    url = f"/orders/{order.pk}/lines/{line.pk}/edit/"
    posted = {**LINE, "product": line.product_id, "description": "Brood", "quantity": "5",
              "unit_price": "3.45", "discount_pct": "0"}  # fmt: skip
    seen = client.get(url).context["form"]["seen_version"].value()

    assert client.post(url, {**posted, "seen_version": seen}).status_code == 302
    entry = OutboxEntry.objects.get(table="order_lines", record_id=line.pk)
    assert entry.values.keys() == entry.base.keys() == {"quantity"}
    assert (Decimal(entry.values["quantity"]), Decimal(entry.base["quantity"])) == (5, 2)

    seen = client.get(url).context["form"]["seen_version"].value()
    line.refresh_from_db()
    update_record(record=line, values={"unit_price": Decimal("3.95")})  # a colleague
    asked = client.post(url, {**posted, "seen_version": seen})
    assert asked.status_code == 409
    assert asked.context["form"].newer == {"unit_price": "3.95"}
    line.refresh_from_db()
    assert (line.quantity, line.unit_price) == (Decimal(5), Decimal("3.95"))


def test_a_stale_header_edit_asks_before_overwriting(client: Client, boss: Membership) -> None:
    order = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE, number="Q-1")
    seen = client.get(f"/orders/{order.pk}/edit/").context["form"]["seen_version"].value()
    update_record(record=order, values={"notes": "Bellen voor levering"})

    asked = client.post(
        f"/orders/{order.pk}/edit/",
        {**header(order.contact_id, number="Q-1", notes="Mijn notitie"), "seen_version": seen},
    )

    assert asked.status_code == 409
    assert asked.context["form"].newer["notes"] == "Bellen voor levering"
    order.refresh_from_db()
    assert order.notes == "Bellen voor levering"


def test_removing_a_line_asks_first_and_queues_the_delete(client: Client, boss: Membership) -> None:
    line = OrderLineFactory.create(
        company=boss.company, order=OrderFactory.create(company=boss.company)
    )
    url = f"/orders/{line.order_id}/lines/{line.pk}/delete/"

    assert "Remove the line" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not OrderLine.objects.filter(pk=line.pk).exists()
    assert OutboxEntry.objects.get(table="order_lines").op == OutboxEntry.Op.DELETE


def test_confirming_makes_a_quote_an_order_only_with_orders_rights(boss: Membership) -> None:
    quote = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE)
    quoter = quotes_only(boss.company)

    assert "Confirm as order" not in signed_in(quoter).get(f"/orders/{quote.pk}/").content.decode()
    assert signed_in(quoter).post(f"/orders/{quote.pk}/confirm/").status_code == 403
    seller = signed_in(member(company=boss.company, template="sales"))
    assert "Confirm as order" in seller.get(f"/orders/{quote.pk}/").content.decode()
    response = seller.post(f"/orders/{quote.pk}/confirm/", {"seen_version": quote.version})

    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == Order.Status.ORDER
    entry = OutboxEntry.objects.get(table="orders", record_id=quote.pk)
    assert (entry.values, entry.base) == ({"status": "order"}, {"status": "quote"})
    # Now an order: the member without "orders.orders" can no longer change it.
    assert signed_in(quoter).get(f"/orders/{quote.pk}/edit/").status_code == 403
    assert signed_in(quoter).get(f"/orders/{quote.pk}/lines/new/").status_code == 403


def test_confirming_a_quote_changed_meanwhile_shows_it_again_and_asks(
    client: Client, boss: Membership
) -> None:
    quote = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE)
    seen = quote.version
    update_record(record=quote, values={"notes": "Korting afgesproken"})

    asked = client.post(f"/orders/{quote.pk}/confirm/", {"seen_version": seen})

    assert asked.status_code == 409
    assert "Korting afgesproken" in asked.content.decode()
    quote.refresh_from_db()
    assert quote.status == Order.Status.QUOTE


@pytest.mark.parametrize("status", [Order.Status.INVOICED, Order.Status.CANCELLED])
def test_invoiced_and_cancelled_orders_are_read_only_online(
    client: Client, boss: Membership, status: str
) -> None:
    order = OrderFactory.create(company=boss.company, status=status)
    line = OrderLineFactory.create(company=boss.company, order=order)

    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert f"/orders/{order.pk}/edit/" not in detail
    assert "can only be changed in the desktop program" in detail
    for url in (
        f"/orders/{order.pk}/edit/",
        f"/orders/{order.pk}/lines/new/",
        f"/orders/{order.pk}/lines/{line.pk}/edit/",
        f"/orders/{order.pk}/lines/{line.pk}/delete/",
    ):
        assert client.post(url, LINE).status_code == 403, url
    assert client.post(f"/orders/{order.pk}/confirm/").status_code == 302
    order.refresh_from_db()
    assert order.status == status
    assert OrderLine.objects.filter(pk=line.pk).exists()
    assert not OutboxEntry.objects.exists()


def test_a_member_with_read_only_sees_orders_but_cannot_change_them(boss: Membership) -> None:
    reader = signed_in(member(company=boss.company, template="read_only"))
    order = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE)
    line = OrderLineFactory.create(company=boss.company, order=order)

    assert reader.get("/orders/").status_code == 200
    detail = reader.get(f"/orders/{order.pk}/").content.decode()
    assert f"/orders/{order.pk}/edit/" not in detail
    assert "Confirm as order" not in detail
    contact_page = reader.get(f"/contacts/{order.contact_id}/").content.decode()
    assert "Create sales order" not in contact_page
    for url in (
        "/orders/new/",
        f"/orders/{order.pk}/edit/",
        f"/orders/{order.pk}/confirm/",
        f"/orders/{order.pk}/lines/new/",
        f"/orders/{order.pk}/lines/{line.pk}/edit/",
        f"/orders/{order.pk}/lines/{line.pk}/delete/",
    ):
        assert reader.post(url, LINE).status_code == 403, url
    assert not OutboxEntry.objects.exists()


def test_without_orders_in_the_plan_there_is_no_menu_item_and_no_page(boss: Membership) -> None:
    assert 'href="/orders/"' in signed_in(boss).get("/").content.decode()
    plan = PlanFactory.create(services=Service.objects.filter(code=Service.Code.CONTACTS))
    small = member(company=AgreementFactory.create(plan=plan).company)
    contact = ContactFactory.create(company=small.company)
    client = signed_in(small)

    assert 'href="/orders/"' not in client.get("/").content.decode()
    assert "Create sales order" not in client.get(f"/contacts/{contact.pk}/").content.decode()
    assert client.get("/orders/").status_code == 403
    assert client.get("/orders/new/").status_code == 403


def test_another_companys_order_line_and_contact_are_not_found(
    client: Client, boss: Membership
) -> None:
    foreign = OrderLineFactory.create(order=OrderFactory.create(status=Order.Status.QUOTE))
    order = foreign.order
    mine = OrderFactory.create(company=boss.company, status=Order.Status.QUOTE)
    for url in (
        f"/orders/{order.pk}/",
        f"/orders/{order.pk}/edit/",
        f"/orders/{order.pk}/lines/new/",
        f"/orders/{order.pk}/lines/{foreign.pk}/edit/",
        f"/orders/{order.pk}/lines/{foreign.pk}/delete/",
        f"/orders/{mine.pk}/lines/{foreign.pk}/edit/",  # my order, another company's line
        f"/orders/{mine.pk}/lines/{foreign.pk}/delete/",
        f"/orders/new/?contact={order.contact_id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/orders/{order.pk}/confirm/").status_code == 404
    assert client.post(f"/orders/{mine.pk}/lines/{foreign.pk}/delete/").status_code == 404
    assert OrderLine.objects.filter(pk=foreign.pk).exists()
    assert not OutboxEntry.objects.exists()


def test_every_products_orders_and_invoices_url_taking_an_id_is_404_for_another_company(
    client: Client, boss: Membership
) -> None:
    foreign_line = OrderLineFactory.create(order=OrderFactory.create(status=Order.Status.QUOTE))
    ids = {
        "product_id": foreign_line.product_id,
        "order_id": foreign_line.order_id,
        "line_id": foreign_line.pk,
        "invoice_id": InvoiceFactory.create().pk,
    }
    walked = [
        route
        for route in routes()
        if route.arguments and route.pattern.startswith(("products/", "orders/", "invoices/"))
    ]

    assert len(walked) == 10  # every one of the areas' id routes, so none is left out
    for route in walked:
        path = route.path(**ids)
        # 405 answers a method the URL never takes, whatever the id: it reveals nothing.
        answers = {client.get(path).status_code, client.post(path, LINE).status_code}
        assert 404 in answers, path
        assert answers <= {404, 405}, path
    assert not OutboxEntry.objects.exists()


def test_the_suggested_number_follows_the_latest_order_and_skips_numbers_taken(
    boss: Membership,
) -> None:
    company = boss.company
    assert suggested_number(company) == f"{company_today(company).year}-0001"
    OrderFactory.create(company=company, number="O2025-0099", order_date="2025-03-10")
    OrderFactory.create(company=company, number="O2025-0100", order_date="2025-01-02")
    OrderFactory.create(company=company, number="O2025-0101", order_date="2025-01-03")

    assert suggested_number(company) == "O2025-0102"
