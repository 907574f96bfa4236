"""Fixtures that build small company databases on both dialects.

PostgreSQL databases get a fresh name (od_kit_<hex>) per test and are dropped afterwards. The
server is COMPANYDB_TEST_SERVER, else the one DATABASE_URL points at, else 127.0.0.1:5432 as
postgres: these tests need it on every run (a missing server fails them, never skips them).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from syncengine.companydb import Connector, connect
from syncengine.companydb.generator import create_company_database


def _server_dsn() -> str:
    explicit = os.environ.get("COMPANYDB_TEST_SERVER")
    if explicit:
        return explicit
    database_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(database_url).scheme in ("postgres", "postgresql"):
        return urlsplit(database_url)._replace(path="/postgres").geturl()
    return "postgresql://postgres@127.0.0.1:5432/postgres"


SERVER_DSN = _server_dsn()


def postgres_dsn(dbname: str) -> str:
    return urlsplit(SERVER_DSN)._replace(path=f"/{dbname}").geturl()


def drop_postgres_database(dbname: str) -> None:
    with psycopg.connect(SERVER_DSN, autocommit=True) as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


@pytest.fixture
def new_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Hands out DSNs of databases that do not exist yet; drops the PostgreSQL ones after."""
    made: list[str] = []

    def make(dialect: str) -> str:
        if dialect == "sqlite":
            return f"sqlite://{tmp_path}/company-{uuid.uuid4().hex[:8]}.db"
        dbname = f"od_kit_{uuid.uuid4().hex[:8]}"
        made.append(dbname)
        return postgres_dsn(dbname)

    yield make
    for dbname in made:
        drop_postgres_database(dbname)


@pytest.fixture(params=["sqlite", "postgresql"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def kit_dsn(dialect: str, new_dsn: Callable[[str], str]) -> str:
    """A small kit database (30 contacts) on the dialect under test."""
    dsn = new_dsn(dialect)
    create_company_database(dsn, contacts=30, seed=7)
    return dsn


@pytest.fixture
def connector(kit_dsn: str) -> Iterator[Connector]:
    with connect(kit_dsn) as opened:
        yield opened


class Desktop:
    """A plain connection, as the desktop program has: its writes are not marked as sync."""

    def __init__(self, dsn: str) -> None:
        self.connector = connect(dsn)

    def execute(self, statement: str, params: list[object] | None = None) -> int:
        return self.connector._execute(statement, params or [])

    def close(self) -> None:
        self.connector.close()


@pytest.fixture
def desktop(kit_dsn: str) -> Iterator[Desktop]:
    opened = Desktop(kit_dsn)
    yield opened
    opened.close()


@pytest.fixture
def pg_kit_dsn(new_dsn: Callable[[str], str]) -> str:
    """A small kit database on PostgreSQL, for what only PostgreSQL has."""
    dsn = new_dsn("postgresql")
    create_company_database(dsn, contacts=30, seed=7)
    return dsn


@pytest.fixture
def sqlite_kit_dsn(new_dsn: Callable[[str], str]) -> str:
    dsn = new_dsn("sqlite")
    create_company_database(dsn, contacts=30, seed=7)
    return dsn
