"""Parsing the two kinds of DSN the kit accepts.

- `sqlite:///absolute/path.db`
- `postgresql://user[:password]@host[:port]/dbname[?options]` (also `postgres://`)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from syncengine.companydb.errors import InvalidDsn, redact


@dataclass(frozen=True)
class ParsedDsn:
    dialect: Literal["sqlite", "postgresql"]
    dsn: str
    path: str = ""  # SQLite: the absolute file path
    host: str = ""
    port: int = 5432
    user: str = ""
    dbname: str = ""

    @property
    def is_local(self) -> bool:
        """Whether the database lives on the computer that connects to it (a file, or a server
        reached through localhost)."""
        return self.dialect == "sqlite" or self.host in ("localhost", "127.0.0.1", "::1")

    @property
    def display(self) -> str:
        """How a message names this database: never with its password."""
        if self.dialect == "sqlite":
            return f"the file {self.path}"
        return f"database '{self.dbname}' on {self.host}:{self.port}"

    def with_dbname(self, dbname: str) -> str:
        """The same PostgreSQL DSN aimed at another database (e.g. the 'postgres' one)."""
        parts = urlsplit(self.dsn)
        return parts._replace(path="/" + dbname).geturl()


def parse_dsn(dsn: str) -> ParsedDsn:
    try:
        parts = urlsplit(dsn)
    except ValueError as error:
        raise InvalidDsn(f"The address {redact(dsn)} cannot be read as a DSN.") from error
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("//"):  # sqlite:////abs/path.db, as SQLAlchemy writes it
            path = "/" + path.lstrip("/")
        if parts.netloc or not path.startswith("/") or path == "/":
            raise InvalidDsn(
                f"A SQLite company database is given as sqlite:///absolute/path.db, "
                f"not {redact(dsn)}."
            )
        return ParsedDsn("sqlite", dsn, path=path)
    if scheme in ("postgresql", "postgres"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or not parts.hostname:
            raise InvalidDsn(
                "A PostgreSQL company database is given as "
                "postgresql://user@host:port/dbname, with a host and a database name; "
                f"{redact(dsn)} lacks one."
            )
        try:
            port = parts.port or 5432
        except ValueError as error:
            raise InvalidDsn(f"The port in {redact(dsn)} is not a number.") from error
        return ParsedDsn(
            "postgresql",
            dsn,
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or ""),
            dbname=dbname,
        )
    raise InvalidDsn(
        f"The address {redact(dsn)} is neither sqlite:///… nor postgresql://…; "
        "the company-database kit knows only these two."
    )
