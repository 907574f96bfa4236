"""The products work area: list, detail, create, edit (asking on a stale edit), delete if
unused, and the product lookup of the order-line form."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Membership
from licensing.models import Service
from records.models import OutboxEntry, Product, SyncState
from records.services import update_record
from tests.factories import (
    AgreementFactory,
    OrderLineFactory,
    PlanFactory,
    ProductFactory,
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


PRODUCT = {
    "sku": "BR-001",
    "name": "Volkorenbrood",
    "unit": "stuk",
    "price": "3.45",
    "vat_rate": "9",
    "is_active": "on",
}


def test_the_list_shows_only_the_companys_products_and_finds_by_sku_or_name(
    client: Client, boss: Membership
) -> None:
    ProductFactory.create(company=boss.company, sku="BR-001", name="Volkorenbrood")
    ProductFactory.create(company=boss.company, sku="KO-002", name="Krentenbol")
    ProductFactory.create(sku="BR-999", name="Foreign brood")  # another company

    page = client.get("/products/")
    assert [p.name for p in page.context["listing"].page] == ["Krentenbol", "Volkorenbrood"]
    assert "Foreign" not in page.content.decode()
    assert [p.name for p in client.get("/products/", {"q": "ko-0"}).context["listing"].page] == [
        "Krentenbol"
    ]
    assert [p.sku for p in client.get("/products/", {"q": "brood"}).context["listing"].page] == [
        "BR-001"
    ]


def test_the_list_filters_active_products_and_sorts_by_sku_over_pages(
    client: Client, boss: Membership
) -> None:
    for n in range(55):
        ProductFactory.create(company=boss.company, sku=f"A-{n:02d}", name=f"Product {99 - n}")
    ProductFactory.create(company=boss.company, sku="Z-1", name="Oud", is_active=False)

    inactive = client.get("/products/", {"show": "inactive"}).context["listing"]
    assert [p.name for p in inactive.page] == ["Oud"]
    by_sku = client.get("/products/", {"sort": "sku", "show": "active"}).context["listing"]
    assert [p.sku for p in by_sku.page][:2] == ["A-00", "A-01"]
    assert by_sku.next_url == "?show=active&sort=sku&page=2"
    second = client.get("/products/" + by_sku.next_url).context["listing"]
    assert [p.sku for p in second.page] == [f"A-{n}" for n in range(50, 55)]
    assert client.get("/products/", {"sort": "x", "page": "y", "show": "z"}).status_code == 200


def test_the_list_takes_the_same_queries_for_many_products_as_for_a_few(
    client: Client, boss: Membership
) -> None:
    ProductFactory.create_batch(53, company=boss.company)
    few = queries_of(client, "/products/", {"page": "2"})
    ProductFactory.create_batch(120, company=boss.company, sync_state=SyncState.PENDING)
    many = queries_of(client, "/products/", {"page": "2"})
    assert len(many) == len(few)


def test_a_new_product_is_saved_online_and_queued_for_the_company_database(
    client: Client, boss: Membership
) -> None:
    response = client.post("/products/new/", PRODUCT)

    product = Product.objects.get(company=boss.company)
    assert response.status_code == 302
    assert response["Location"] == f"/products/{product.pk}/"
    assert (product.price, product.vat_rate) == (Decimal("3.45"), Decimal("9"))
    assert product.sync_state == SyncState.PENDING
    entry = OutboxEntry.objects.get(record_id=product.pk, table="products")
    assert entry.op == OutboxEntry.Op.INSERT
    assert entry.values["sku"] == "BR-001"
    assert "Waiting to be sent" in client.get(response["Location"]).content.decode()


def test_a_dutch_member_types_prices_with_a_decimal_comma(client: Client, boss: Membership) -> None:
    client.post("/i18n/setlang/", {"language": "nl"})
    assert client.post("/products/new/", {**PRODUCT, "price": "3,45"}).status_code == 302
    assert Product.objects.get(company=boss.company).price == Decimal("3.45")


def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    client: Client, boss: Membership
) -> None:
    ProductFactory.create(company=boss.company, sku="TAKEN")
    response = client.post(
        "/products/new/",
        {**PRODUCT, "sku": "TAKEN", "name": "", "price": "-1", "vat_rate": "121"},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"sku", "name", "price", "vat_rate"}
    assert Product.objects.filter(company=boss.company).count() == 1
    assert not OutboxEntry.objects.exists()


def test_an_edit_sends_only_the_changed_fields(client: Client, boss: Membership) -> None:
    product = ProductFactory.create(
        company=boss.company, sku="BR-001", name="Volkorenbrood", price=Decimal("3.45"),
        vat_rate=Decimal("9"), unit="stuk",
    )  # fmt: skip
    seen = client.get(f"/products/{product.pk}/edit/").context["form"]["seen_version"].value()

    response = client.post(
        f"/products/{product.pk}/edit/", {**PRODUCT, "price": "3.65", "seen_version": seen}
    )

    assert response.status_code == 302
    entry = OutboxEntry.objects.get(record_id=product.pk, table="products")
    assert entry.op == OutboxEntry.Op.UPDATE
    assert entry.values == {"price": "3.65"}
    assert entry.base == {"price": "3.45"}


def test_a_stale_edit_shows_the_newer_values_and_asks_before_overwriting(
    client: Client, boss: Membership
) -> None:
    product = ProductFactory.create(
        company=boss.company, sku="BR-001", name="Volkorenbrood", price=Decimal("3.45"),
        vat_rate=Decimal("9"), unit="stuk",
    )  # fmt: skip
    seen = client.get(f"/products/{product.pk}/edit/").context["form"]["seen_version"].value()
    update_record(record=product, values={"price": Decimal("3.95")})  # a colleague, meanwhile

    asked = client.post(
        f"/products/{product.pk}/edit/", {**PRODUCT, "price": "3.65", "seen_version": seen}
    )

    assert asked.status_code == 409
    assert asked.context["form"].newer == {"price": "3.95"}
    product.refresh_from_db()
    assert product.price == Decimal("3.95")
    again = client.post(
        f"/products/{product.pk}/edit/",
        {**PRODUCT, "price": "3.65", "seen_version": asked.context["form"]["seen_version"].value()},
    )
    assert again.status_code == 302
    product.refresh_from_db()
    assert product.price == Decimal("3.65")


def test_a_product_on_order_lines_is_not_deleted_and_the_page_says_why(
    client: Client, boss: Membership
) -> None:
    unused = ProductFactory.create(company=boss.company)
    used = OrderLineFactory.create(company=boss.company).product

    assert client.post(f"/products/{unused.pk}/delete/").status_code == 302
    assert not Product.objects.filter(pk=unused.pk).exists()
    assert OutboxEntry.objects.get(source_id=unused.source_id).op == OutboxEntry.Op.DELETE
    refused = client.post(f"/products/{used.pk}/delete/")
    assert refused.status_code == 409
    assert "order lines" in refused.content.decode()
    assert Product.objects.filter(pk=used.pk).exists()


def test_a_member_with_read_only_sees_products_but_cannot_change_them(boss: Membership) -> None:
    reader = signed_in(member(company=boss.company, template="read_only"))
    product = ProductFactory.create(company=boss.company)

    assert reader.get("/products/").status_code == 200
    detail = reader.get(f"/products/{product.pk}/").content.decode()
    assert f"/products/{product.pk}/edit/" not in detail
    assert reader.get("/products/new/").status_code == 403
    assert reader.post("/products/new/", PRODUCT).status_code == 403
    assert reader.post(f"/products/{product.pk}/edit/", PRODUCT).status_code == 403
    assert reader.post(f"/products/{product.pk}/delete/").status_code == 403
    assert Product.objects.filter(company=boss.company).count() == 1


def test_without_products_in_the_plan_there_is_no_menu_item_and_no_page(
    boss: Membership,
) -> None:
    assert 'href="/products/"' in signed_in(boss).get("/").content.decode()
    plan = PlanFactory.create(services=Service.objects.filter(code=Service.Code.CONTACTS))
    small = signed_in(member(company=AgreementFactory.create(plan=plan).company))

    assert 'href="/products/"' not in small.get("/").content.decode()
    assert small.get("/products/").status_code == 403
    assert small.get("/products/lookup/", {"q": "a"}).status_code == 403


def test_another_companys_product_is_not_found(client: Client) -> None:
    foreign = ProductFactory.create()
    for url in (
        f"/products/{foreign.pk}/",
        f"/products/{foreign.pk}/edit/",
        f"/products/{foreign.pk}/delete/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/products/{foreign.pk}/edit/", PRODUCT).status_code == 404
    assert client.post(f"/products/{foreign.pk}/delete/").status_code == 404
    assert Product.objects.filter(pk=foreign.pk).exists()


def test_the_product_lookup_finds_the_companys_active_products_with_their_price(
    client: Client, boss: Membership
) -> None:
    ProductFactory.create(company=boss.company, sku="BR-1", name="Brood", price=Decimal("3.45"))
    ProductFactory.create(company=boss.company, sku="BR-2", name="Oud brood", is_active=False)
    ProductFactory.create(sku="BR-3", name="Brood elders")

    options = client.get("/products/lookup/", {"q": "brood"}).content.decode()
    assert 'data-price="3.45"' in options
    assert "BR-1 · Brood" in options
    assert "Oud brood" not in options
    assert "elders" not in options
    sales = signed_in(member(company=boss.company, template="sales"))
    assert sales.get("/products/lookup/", {"q": "brood"}).status_code == 200
    assert Client().get("/products/lookup/", {"q": "brood"}).status_code == 403
