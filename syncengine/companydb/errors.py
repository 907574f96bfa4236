"""Errors of the company-database kit, and `redact()` for showing a DSN to a person.

Every message is a plain sentence a person can act on. A message may name the host, port,
database and user of a DSN, never its password: build it from `redact(dsn)` or the parsed
parts, never from the raw DSN or the driver's own error text.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode


class CompanyDatabaseError(Exception):
    """Base of everything the kit raises about a company database."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidDsn(CompanyDatabaseError):
    """The DSN is not one the kit understands."""


class DatabaseUnreachable(CompanyDatabaseError):
    """The server (or file) cannot be reached at all."""


class BadCredentials(CompanyDatabaseError):
    """The server answered but refused the user or password."""


class NotACompanyDatabase(CompanyDatabaseError):
    """Reached, but it is not a company database (no such database, or foreign tables)."""


class MissingTable(CompanyDatabaseError):
    """A company database with one or more of its tables missing."""

    def __init__(self, message: str, *, tables: list[str]) -> None:
        super().__init__(message)
        self.tables = tables


class SchemaTooOld(CompanyDatabaseError):
    """The company database's schema_version is older than the kit's minimum."""

    def __init__(self, message: str, *, found: int, minimum: int) -> None:
        super().__init__(message)
        self.found = found
        self.minimum = minimum


class RejectedChange(CompanyDatabaseError):
    """The company database refused a write (a constraint); nothing of it was written."""


class RowNotFound(CompanyDatabaseError):
    """An update aimed at a row that is not (or no longer) there."""


class RowVersionConflict(CompanyDatabaseError):
    """An update expected a row_version the row no longer has (someone wrote it meanwhile)."""

    def __init__(self, message: str, *, expected: int, current: int) -> None:
        super().__init__(message)
        self.expected = expected
        self.current = current


class ChangeLogStalled(CompanyDatabaseError):
    """The high-water mark did not become final in time: a transaction is still open."""


def redact(dsn: str) -> str:
    """The DSN with its password replaced by '***': in the user part, in the query, and in
    libpq's key=value form. When the user part cannot be read cleanly (a '/' or '#' in the
    password), everything between '://' and the last '@' is hidden."""
    if "://" not in dsn:
        # key=value form (host=h password=secret ...): hide every password value.
        return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", dsn, flags=re.I)
    scheme, _, rest = dsn.partition("://")
    if "@" in rest:
        userinfo, _, after = rest.rpartition("@")
        user = userinfo.split(":", 1)[0] if ":" in userinfo else userinfo
        if "/" in user or "#" in user or "?" in user:
            user = "***"
        rest = f"{user}:***@{after}" if ":" in userinfo or user == "***" else f"{user}@{after}"
    path, question, query = rest.partition("?")
    if question:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(key, "***" if key.lower() == "password" else value) for key, value in pairs],
            safe="*/",
        )
        return f"{scheme}://{path}?{query}"
    return f"{scheme}://{rest}"
