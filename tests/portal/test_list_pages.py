"""A work area's list pages: rows, how many the list holds (counted only up to a limit), and
pages past the end or not numbers at all."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from portal import desk
from records.models import Contact
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    InvoiceFactory,
    OrderFactory,
    ProductFactory,
    RecordFactory,
    member,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss() -> Membership:
    return member()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 2 rows, counted up to 5: the limits' behaviour without thousands of rows."""
    monkeypatch.setattr(desk, "PAGE_SIZE", 2)
    monkeypatch.setattr(desk, "COUNT_LIMIT", 5)


def contacts(boss: Membership, n: int) -> list[str]:
    names = [f"Klant {i:02d}" for i in range(n)]
    for name in names:
        ContactFactory.create(company=boss.company, name=name)
    return names


def page(boss: Membership, number: str | None) -> desk.Page:
    return desk.page_of(Contact.objects.filter(company=boss.company).order_by("name"), number)


def test_a_list_on_one_page_is_read_in_one_query_and_counted_exactly(boss: Membership) -> None:
    names = contacts(boss, 3)

    with CaptureQueriesContext(connection) as queries:
        first = page(boss, None)

    assert len(queries) == 1
    assert [c.name for c in first] == names
    assert (first.total, first.pages, first.first, first.last) == (3, 1, 1, 3)
    assert not first.has_next


def test_later_pages_count_the_list_up_to_the_limit(boss: Membership, small_pages: None) -> None:
    names = contacts(boss, 5)

    second = page(boss, "2")

    assert [c.name for c in second] == names[2:4]
    assert (second.total, second.pages, second.first, second.last) == (5, 3, 3, 4)
    assert second.has_next
    assert not page(boss, "3").has_next


def test_beyond_the_limit_the_total_is_more_than_the_limit(
    boss: Membership, small_pages: None
) -> None:
    contacts(boss, 7)

    first = page(boss, "1")

    assert (first.total, first.pages, first.has_next) == (None, None, True)
    html = signed_in(boss).get("/contacts/").content.decode()
    assert "1\N{EN DASH}2 of more than 5 results" in html
    assert "Page 1<" in html


def test_a_page_past_the_end_is_the_last_one(boss: Membership, small_pages: None) -> None:
    names = contacts(boss, 5)

    with CaptureQueriesContext(connection) as queries:
        last = page(boss, "9")

    assert [c.name for c in last] == names[4:]
    assert last.number == 3
    assert len(queries) == 3  # page 9 (empty), the count, page 3: counted once


@pytest.mark.parametrize("number", ["zz", "-3", "0", "", "9" * 30])
def test_a_page_number_that_is_no_page_gives_a_page_instead_of_an_error(
    boss: Membership, number: str
) -> None:
    contacts(boss, 3)

    assert page(boss, number).number == 1


def test_an_empty_list_says_so(boss: Membership) -> None:
    client: Client = signed_in(boss)

    empty = page(boss, "4")

    assert (empty.total, len(empty), empty.first, empty.last) == (0, 0, 0, 0)
    html = client.get("/contacts/", {"page": "2"}).content.decode()
    assert "There are no contacts yet." in html
    assert "pagination__status" not in html  # no "0-0 of 0 results" under it


@pytest.mark.parametrize(
    ("factory", "path"),
    [
        (ContactFactory, "/contacts/"),
        (ProductFactory, "/products/"),
        (OrderFactory, "/orders/"),
        (InvoiceFactory, "/invoices/"),
        (ActivityFactory, "/activities/"),
    ],
)
def test_each_row_links_to_its_record_relative_to_the_list_whose_page_has_a_plain_title(
    boss: Membership, factory: type[RecordFactory], path: str
) -> None:
    record = factory.create(company=boss.company)
    client = signed_in(boss)
    list_page = client.get(path).text

    links = re.findall(r'<th scope="row"><a href="([^"]+)"', list_page)

    assert [urljoin(f"http://testserver{path}?page=1", link) for link in links] == [
        f"http://testserver{path}{record.pk}/"
    ]
    detail = client.get(f"{path}{record.pk}/")
    assert detail.status_code == 200
    title = re.search(r"<title>(.*?)</title>", detail.text, re.DOTALL)
    assert title is not None
    assert re.fullmatch(r"[^<>\n]+ · Online Desktop", title.group(1)), title.group(1)
