"""On PostgreSQL, the contacts' search reads its trigram index instead of the whole table
(records/migrations/0006_contact_search_trigrams.py)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from records.models import Contact
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

trigrams = importlib.import_module("records.migrations.0006_contact_search_trigrams")


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL index (the embedded default, SQLite, has none)")


def test_the_index_covers_every_field_the_search_looks_in() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [trigrams.INDEX])
        (definition,) = cursor.fetchone()

    assert trigrams.FIELDS == Contact.SEARCH
    for field in Contact.SEARCH:
        assert f"upper({field}) gin_trgm_ops" in definition


def test_a_search_of_a_large_company_reads_the_index_not_the_table() -> None:
    company = CompanyFactory.create()
    Contact.objects.bulk_create(
        Contact(
            company=company,
            source_id=n,
            row_version=1,
            name=f"Bakkerij {n}",
            city=("Zwolle", "Deventer", "Kampen")[n % 3],
            email=f"info{n}@example.nl",
            phone=f"038-{n:07d}",
        )
        for n in range(1, 20001)
    )
    found = company.contacts.filter(Contact.matching("info4321@")).order_by("name", "pk")
    with connection.cursor() as cursor:
        # What autovacuum would have done by now: statistics, and the index's new entries
        # moved out of its pending list. (At 5,000 contacts, reading the table is still the
        # cheaper plan, and PostgreSQL rightly takes it.)
        cursor.execute("ANALYZE records_contact")
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [trigrams.INDEX])
        plan = found[:51].explain()

    assert trigrams.INDEX in plan
    assert "Seq Scan" not in plan
    assert [contact.source_id for contact in found] == [4321]
