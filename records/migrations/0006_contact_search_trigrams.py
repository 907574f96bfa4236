"""A trigram index for the search of the contacts, on PostgreSQL.

The contact list's search looks for the words anywhere in SEARCH's fields (`icontains`, which
Django writes as `UPPER(field::text) LIKE UPPER('%words%')`). No B-tree index serves that: on a
company of 100,000 contacts, a search for a name that is not there read the whole table twice
(the page and its count), 145 ms. pg_trgm's GIN index over those same expressions answers it
in about 5 ms. Searches of one or two letters cannot use it and stay as they were.

The embedded default (SQLite) has no such index and needs none at its size. pg_trgm is a
trusted extension (PostgreSQL 13 and later): the database's owner may create it.
"""

from django.db import migrations

INDEX = "contact_search_trigrams"
# Contact.SEARCH, as they were when this index was made (tests/records check they still are).
FIELDS = ("name", "city", "email", "org_number", "phone")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    expressions = ", ".join(f"UPPER({field}::text) gin_trgm_ops" for field in FIELDS)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX {INDEX} ON records_contact USING gin ({expressions})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("records", "0005_order_number_and_sku_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
