"""The company-database kit: a stand-in for the on-premises business software's database.

Public surface: `connect()` and the `Connector` (connector.py), the errors and `redact()`
(errors.py), `create_company_database()` (generator.py), `play_desktop_users()` (desktop.py),
and the schema description (schema.py). Nothing here imports Django.
"""

from syncengine.companydb.connector import (
    Change,
    Connector,
    OpenTransaction,
    SeqMark,
    SyncLock,
    SyncTransaction,
    connect,
)
from syncengine.companydb.errors import (
    BadCredentials,
    ChangeLogStalled,
    CompanyDatabaseError,
    DatabaseUnreachable,
    InvalidDsn,
    MissingTable,
    NotACompanyDatabase,
    RejectedChange,
    RowNotFound,
    RowVersionConflict,
    SchemaTooOld,
    redact,
)

__all__ = [
    "BadCredentials",
    "Change",
    "ChangeLogStalled",
    "CompanyDatabaseError",
    "Connector",
    "DatabaseUnreachable",
    "InvalidDsn",
    "MissingTable",
    "NotACompanyDatabase",
    "OpenTransaction",
    "RejectedChange",
    "RowNotFound",
    "RowVersionConflict",
    "SchemaTooOld",
    "SeqMark",
    "SyncLock",
    "SyncTransaction",
    "connect",
    "redact",
]
