"""The six work areas and the Online Desktop add-on exist in every installation: the licence
page and the plans refer to them, and staff should not have to type them in."""

from django.db import migrations

SERVICES = ["contacts", "activities", "products", "orders", "invoices", "time_sheets"]


def create(apps, schema_editor):
    Service = apps.get_model("licensing", "Service")
    AddOnProduct = apps.get_model("licensing", "AddOnProduct")
    for code in SERVICES:
        Service.objects.get_or_create(code=code)
    AddOnProduct.objects.get_or_create(
        code="online-desktop", defaults={"name": "Online Desktop", "database_allowance": 1}
    )


class Migration(migrations.Migration):

    dependencies = [
        ("licensing", "0002_agreements_databases_licence_links"),
    ]

    operations = [
        migrations.RunPython(create, migrations.RunPython.noop),
    ]
