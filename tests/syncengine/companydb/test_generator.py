"""The generator: realistic, scaled, repeatable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from syncengine.companydb import Connector, connect
from syncengine.companydb.generator import CompanyDatabaseExists, create_company_database
from syncengine.companydb.schema import BUSINESS_TABLES


def test_there_is_exactly_one_desktop_super_user_linked_to_an_employee_with_an_email(
    connector: Connector,
) -> None:
    users = connector.desktop_users()
    employees = {employee["id"]: employee for employee in connector.employees()}

    super_users = [user for user in users if user["is_super_user"]]

    assert len(super_users) == 1
    assert "@" in employees[super_users[0]["employee_id"]]["email"]
    assert len(users) > 1  # and some ordinary users


def test_company_settings_are_complete(connector: Connector) -> None:
    settings = connector.company_settings()

    for column in (
        "name",
        "org_number",
        "street",
        "postcode",
        "city",
        "country",
        "phone",
        "email",
        "licence_contact_name",
        "licence_contact_phone",
    ):
        assert settings[column], column
    assert len(settings["org_number"]) == 8
    assert settings["database_kind"] == "production"
    assert settings["edition"] == "full"
    assert settings["schema_version"] == 1


def test_counts_scale_with_the_number_of_contacts(
    dialect: str, new_dsn: Callable[[str], str]
) -> None:
    small = create_company_database(new_dsn(dialect), contacts=200, seed=1).rows
    large = create_company_database(new_dsn(dialect), contacts=800, seed=1).rows

    for table in BUSINESS_TABLES:
        assert 2.5 < large[table] / small[table] < 5.5, table
    assert small["contacts"] == 200
    assert 1.2 < small["contact_persons"] / 200 < 1.8
    assert 2.4 < small["order_lines"] / small["orders"] < 3.6


def test_the_same_seed_gives_the_same_data_and_a_new_database_id(
    dialect: str, new_dsn: Callable[[str], str]
) -> None:
    dsns = [new_dsn(dialect), new_dsn(dialect), new_dsn(dialect)]
    for dsn, seed in zip(dsns, (5, 5, 6), strict=True):
        create_company_database(dsn, contacts=40, seed=seed, as_of=date(2025, 3, 1))

    def content(dsn: str) -> dict[str, object]:
        with connect(dsn) as connector:
            tables = (*BUSINESS_TABLES, "employees", "users", "api_clients")
            data: dict[str, object] = {t: connector.table_chunk(t, 0, 10_000) for t in tables}
            settings = connector.company_settings()
            data["settings"] = {
                k: v for k, v in settings.items() if k not in ("database_id", "created_at")
            }
            data["database_id"] = settings["database_id"]
            return data

    first, again, other = (content(dsn) for dsn in dsns)
    first_id, again_id = first.pop("database_id"), again.pop("database_id")
    other.pop("database_id")

    assert first == again
    assert first_id != again_id
    assert first["contacts"] != other["contacts"]


def test_sample_and_evaluation_flags_and_the_super_user_email_are_kept(
    dialect: str, new_dsn: Callable[[str], str]
) -> None:
    dsn = new_dsn(dialect)
    result = create_company_database(
        dsn, contacts=5, kind="sample", edition="evaluation", super_user_email="demi@example.nl"
    )

    with connect(dsn) as connector:
        settings = connector.company_settings()
        employees = connector.employees()
    assert (settings["database_kind"], settings["edition"]) == ("sample", "evaluation")
    assert employees[0]["email"] == "demi@example.nl" == result.super_user["email"]


def test_creating_over_an_existing_company_database_is_refused_unless_replaced(
    kit_dsn: str,
) -> None:
    with connect(kit_dsn) as connector:
        old_id = connector.company_settings()["database_id"]

    with pytest.raises(CompanyDatabaseExists, match="--replace"):
        create_company_database(kit_dsn, contacts=5)
    create_company_database(kit_dsn, contacts=5, replace=True)

    with connect(kit_dsn) as connector:
        assert connector.company_settings()["database_id"] != old_id
        assert connector.row_counts()["contacts"] == 5


def test_a_database_not_in_use_has_no_desktop_session_and_no_enabled_api_client(
    tmp_path: Path,
) -> None:
    dsn = f"sqlite:///{tmp_path / 'idle.db'}"
    create_company_database(dsn, contacts=20, desktop_in_use=False)
    with connect(dsn) as connector:
        report = connector.report()
    assert report["sessions"] == []
    assert not [client for client in report["api_clients"] if client["is_enabled"]]
