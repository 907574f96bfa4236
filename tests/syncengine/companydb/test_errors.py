"""Connector errors: a plain sentence for a person, never the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncengine.companydb import (
    BadCredentials,
    CompanyDatabaseError,
    DatabaseUnreachable,
    InvalidDsn,
    MissingTable,
    NotACompanyDatabase,
    SchemaTooOld,
    connect,
    redact,
)

from .conftest import SERVER_DSN, Desktop, postgres_dsn

PASSWORD = "Sup3r-Secret"


def _refused(dsn: str, error_class: type[CompanyDatabaseError]) -> str:
    with pytest.raises(error_class) as caught:
        connect(dsn, connect_timeout=3)
    message = str(caught.value)
    assert PASSWORD not in message
    assert message.endswith(".")
    return message


def test_a_missing_table_is_named(kit_dsn: str, desktop: Desktop) -> None:
    desktop.execute("DROP TABLE api_clients")

    message = _refused(kit_dsn, MissingTable)

    assert "api_clients is missing" in message


def test_an_old_schema_version_is_refused(kit_dsn: str, desktop: Desktop) -> None:
    desktop.execute("UPDATE company_settings SET schema_version = 0")

    message = _refused(kit_dsn, SchemaTooOld)

    assert "schema version 0" in message
    assert "version 1 or newer" in message


def test_an_unreachable_postgresql_server_is_reported_without_the_password() -> None:
    message = _refused(f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/company", DatabaseUnreachable)

    assert "127.0.0.1:1 cannot be reached" in message


def test_an_unknown_postgresql_user_is_bad_credentials() -> None:
    dsn = postgres_dsn("postgres").replace("postgres@", f"no_such_user_x:{PASSWORD}@", 1)
    assert "no_such_user_x" in dsn, SERVER_DSN

    message = _refused(dsn, BadCredentials)

    assert "no_such_user_x" in message


def test_a_postgresql_database_without_kit_tables_is_not_a_company_database() -> None:
    message = _refused(postgres_dsn("postgres"), NotACompanyDatabase)

    assert "no company_settings table" in message


def test_a_missing_postgresql_database_is_not_a_company_database() -> None:
    message = _refused(postgres_dsn("od_kit_never_created"), NotACompanyDatabase)

    assert "no database 'od_kit_never_created'" in message


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("Boodschappenlijst: brood, kaas\n" * 200, encoding="utf-8")

    message = _refused(f"sqlite://{path}", NotACompanyDatabase)

    assert "not a company database" in message


def test_a_sqlite_database_of_another_program_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY)")

    message = _refused(f"sqlite://{path}", NotACompanyDatabase)

    assert "no company_settings table" in message


def test_a_missing_sqlite_file_is_unreachable_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"

    _refused(f"sqlite://{path}", DatabaseUnreachable)

    assert not path.exists()


def test_an_unknown_scheme_is_an_invalid_dsn() -> None:
    message = _refused(f"mysql://root:{PASSWORD}@localhost/company", InvalidDsn)

    assert "root:***@localhost" in message


def test_redact_hides_the_password_wherever_it_is() -> None:
    assert redact(f"postgresql://sync:{PASSWORD}@db:5432/acme") == (
        "postgresql://sync:***@db:5432/acme"
    )
    assert PASSWORD not in redact(f"postgresql://db/acme?user=sync&password={PASSWORD}")
    assert redact("sqlite:///var/acme.db") == "sqlite:///var/acme.db"


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://sync:pa/ss-W0rd@db/acme",
        "postgresql://sync:pa#ss-W0rd@db:5432/acme",
        "postgresql://sync:pa@ss-W0rd@db/acme",
        "host=db dbname=acme password=pass-W0rd",
        "host=db password='pass W0rd' dbname=acme",
    ],
)
def test_redact_hides_passwords_that_break_the_url_syntax(dsn: str) -> None:
    assert "W0rd" not in redact(dsn)
