"""What a sync host reports about a company database: register_reported_database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from licensing.models import CompanyDatabase, ForeignDatabaseAttempt
from licensing.services import ForeignDatabaseError, InvalidReport, register_reported_database
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def report(database_id: uuid.UUID, **settings: Any) -> dict[str, Any]:
    """A report in the shape the kit's connector makes."""
    return {
        "database_id": str(database_id),
        "schema_version": 12,
        "settings": {
            "name": "De Vries Installatietechniek B.V.",
            "org_number": "12345678",
            "street": "Industrieweg 4",
            "postcode": "3542 AD",
            "city": "Utrecht",
            "country": "NL",
            "phone": "+31 30 123 45 67",
            "email": "info@devries.example",
            "licence_contact_name": "Jan de Vries",
            "licence_contact_phone": "+31 6 1234 5678",
            "database_kind": "production",
            "edition": "full",
            **settings,
        },
        "employees": [{"id": 1, "first_name": "Jan", "last_name": "de Vries"}],
        "users": [{"id": 1, "username": "JAN", "employee_id": 1, "is_super_user": True}],
        "sessions": [],
        "api_clients": [],
    }


def test_first_report_creates_the_company_database() -> None:
    company = CompanyFactory.create()
    database_id = uuid.uuid4()

    database = register_reported_database(company=company, report=report(database_id))

    database.refresh_from_db()
    assert database.company == company
    assert database.database_id == database_id
    assert database.name == "De Vries Installatietechniek B.V."
    assert (database.kind, database.edition, database.schema_version) == ("production", "full", 12)
    assert database.report["users"][0]["username"] == "JAN"


def test_later_report_refreshes_the_same_company_database() -> None:
    company = CompanyFactory.create()
    database_id = uuid.uuid4()
    first = register_reported_database(company=company, report=report(database_id))

    again = register_reported_database(
        company=company, report=report(database_id, name="Renamed", edition="evaluation")
    )

    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.name, again.edition) == ("Renamed", "evaluation")
    assert again.reported_at >= first.reported_at
    assert CompanyDatabase.objects.count() == 1


def test_database_id_of_another_company_is_refused_and_recorded() -> None:
    owner, intruder = CompanyFactory.create_batch(2)
    database_id = uuid.uuid4()
    register_reported_database(company=owner, report=report(database_id))

    with pytest.raises(ForeignDatabaseError):
        register_reported_database(company=intruder, report=report(database_id, name="Copied"))

    database = CompanyDatabase.objects.get()
    assert database.company == owner
    assert database.name == "De Vries Installatietechniek B.V."
    attempt = ForeignDatabaseAttempt.objects.get()
    assert (attempt.reporting_company, attempt.owning_company) == (intruder, owner)
    assert (attempt.database_id, attempt.reported_name) == (database_id, "Copied")


@pytest.mark.parametrize(
    "broken",
    [
        {"database_id": "not-a-uuid"},
        {"schema_version": "twelve"},
        {"settings": {"name": "No kind"}},
        {"settings": None},
    ],
)
def test_report_outside_the_contract_is_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(InvalidReport):
        register_reported_database(
            company=CompanyFactory.create(), report=report(uuid.uuid4()) | broken
        )

    assert not CompanyDatabase.objects.exists()


def test_unknown_database_kind_is_refused() -> None:
    with pytest.raises(InvalidReport):
        register_reported_database(
            company=CompanyFactory.create(), report=report(uuid.uuid4(), database_kind="test")
        )
