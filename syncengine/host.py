"""The office computer's side of a sync host: its credential file and its reading of the
company databases it reaches. Connection strings live only here, in the file on that computer.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from syncengine.companydb.connector import Connector, connect
from syncengine.companydb.dsn import parse_dsn
from syncengine.companydb.errors import (
    BadCredentials,
    CompanyDatabaseError,
    DatabaseUnreachable,
    InvalidDsn,
    MissingTable,
    NotACompanyDatabase,
    SchemaTooOld,
    redact,
)
from syncengine.companydb.schema import NOTIFY_CHANNEL

logger = logging.getLogger(__name__)

# The worker started by `synchost run` finds its credential file through this variable.
CREDENTIAL_FILE_VARIABLE = "SYNCHOST_CREDENTIAL_FILE"


class HostSetupError(Exception):
    """Something on the office computer stops the host; the message says what to do."""


def default_credential_file() -> Path:
    return Path(settings.VAR_DIR) / "synchost.json"


@dataclass
class HostCredentials:
    """What the office computer keeps about its pairing (a file readable by its owner only)."""

    host_id: int
    queue: str
    credential: str
    databases: list[str] = field(default_factory=list)
    # The company name each DSN last reported, so that a failure can be named in the portal
    # without its connection string.
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> HostCredentials:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                host_id=int(data["host_id"]),
                queue=str(data["queue"]),
                credential=str(data["credential"]),
                databases=[str(dsn) for dsn in data["databases"]],
                names={str(k): str(v) for k, v in data.get("names", {}).items()},
            )
        except FileNotFoundError:
            raise HostSetupError(
                _(
                    "This computer is not paired yet. Add a sync host on the Sync hosts page "
                    "and run the command shown there: synchost run --pair CODE --database DSN"
                )
            ) from None
        except (OSError, ValueError, KeyError, TypeError):
            raise HostSetupError(
                _("The credential file %(path)s cannot be read; pair this computer again.")
                % {"path": path}
            ) from None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created private from the start: the file holds the credential and the DSNs.
        descriptor = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(self.__dict__, file, indent=2)
        os.replace(path.with_suffix(".tmp"), path)

    @classmethod
    def from_environment(cls) -> HostCredentials:
        path = os.environ.get(CREDENTIAL_FILE_VARIABLE)
        return cls.load(Path(path) if path else default_credential_file())


def computer_name() -> str:
    return socket.gethostname() or "sync host"


@dataclass(frozen=True)
class ReadFailure:
    """A company database this computer could not read."""

    position: int  # 1-based, in the order of --database
    dsn: str
    error: CompanyDatabaseError

    def for_person_here(self) -> str:
        """For the person at the office computer: names the DSN (its password hidden)."""
        return f"{redact(self.dsn)}: {self.error.message}"

    def for_portal(self, names: dict[str, str]) -> dict[str, Any]:
        """For the portal: a problem code and the database's position and last known name;
        never the connection string (the portal does not store one)."""
        return {
            "problem": PROBLEM_CODES.get(type(self.error), "unreadable"),
            "database": self.position,
            "name": names.get(self.dsn, ""),
        }


PROBLEM_CODES: dict[type[CompanyDatabaseError], str] = {
    DatabaseUnreachable: "unreachable",
    BadCredentials: "credentials",
    MissingTable: "missing_table",
    SchemaTooOld: "old_schema",
    NotACompanyDatabase: "not_company_database",
    InvalidDsn: "invalid_dsn",
}


@dataclass
class ReadResult:
    reports: list[dict[str, Any]] = field(default_factory=list)
    failures: list[ReadFailure] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # DSN -> company name, when read


def read_reports(dsns: list[str]) -> ReadResult:
    """Each readable database's report, and a failure for each one that could not be read."""
    result = ReadResult()
    for position, dsn in enumerate(dsns, start=1):
        try:
            with connect(dsn) as connector:
                report = connector.report()
        except CompanyDatabaseError as error:
            result.failures.append(ReadFailure(position, dsn, error))
            continue
        # Whether this computer holds the database itself: the portal recommends such a host.
        report["reached_locally"] = parse_dsn(dsn).is_local
        result.reports.append(report)
        result.names[dsn] = str(report["settings"].get("name") or "")
    return result


_dsn_by_database: dict[str, str] = {}
# Open connectors of this worker process, by database identity. A pull or a push is a few
# milliseconds of work; opening a connection and checking the schema for each one cost more
# than the work itself when desktop and online edits come in at tens a second.
_open: dict[str, Connector] = {}
KEEP_OPEN = 8


@contextmanager
def open_company_database(*, host_id: int, database_id: str) -> Iterator[Connector]:
    """A connector to one of this host's company databases, found by its identity among the
    DSNs of the credential file (the portal never knows them).

    The connection stays open for the next task of this process, and each use first checks
    that the database behind it still has this identity (a restored backup gets a new one).
    A use that fails closes it: the next one connects afresh."""
    credentials = HostCredentials.from_environment()
    if credentials.host_id != host_id:
        raise HostSetupError(_("This task is for another sync host."))
    connector = _open.pop(database_id, None)
    if connector is not None and not _still(connector, database_id):
        connector.close()
        connector = None
    if connector is None:
        connector = _connect(credentials, database_id)
    try:
        yield connector
    except BaseException:
        connector.close()
        raise
    # Kept only when the block ended cleanly: no transaction of it can be left open.
    _open[database_id] = connector
    while len(_open) > KEEP_OPEN:  # a host reaches a few databases; keep the latest used
        _open.pop(next(iter(_open))).close()


def _still(connector: Connector, database_id: str) -> bool:
    try:
        return str(connector.company_settings()["database_id"]) == database_id
    except CompanyDatabaseError:
        return False


def _connect(credentials: HostCredentials, database_id: str) -> Connector:
    known = _dsn_by_database.get(database_id)
    if known in credentials.databases:
        return connect(known)
    for dsn in credentials.databases:
        try:
            connector = connect(dsn)
        except CompanyDatabaseError:
            continue
        found = str(connector.company_settings()["database_id"])
        _dsn_by_database[found] = dsn
        if found == database_id:
            return connector
        connector.close()
    raise HostSetupError(
        _("This sync host does not reach company database %(id)s any more.") % {"id": database_id}
    )


# -- prompt pick-up of desktop changes ------------------------------------------------------

# Notifications closer together than this make one pull: the first at once, the rest in one
# pull when the window ends (a desktop user saving 50 rows a second needs no 50 pulls).
PULL_DEBOUNCE_SECONDS = 0.1


class ChangeListener:
    """Listens to the notifications of the host's PostgreSQL company databases (the kit's
    triggers NOTIFY on every write to a business table) and queues a pull for the link of
    the database that changed. The periodic tick stays the safety net: a notification lost
    while the connection was down is made up by the pull queued on reconnecting, and SQLite
    company databases, which cannot notify, are pulled by the tick alone."""

    def __init__(
        self,
        credentials: HostCredentials,
        *,
        debounce_seconds: float = PULL_DEBOUNCE_SECONDS,
        retry_seconds: float = 5.0,
    ) -> None:
        self.credentials = credentials
        self.debounce_seconds = debounce_seconds
        self.retry_seconds = retry_seconds
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._listen, args=(dsn,), daemon=True, name="notify")
            for dsn in credentials.databases
            if parse_dsn(dsn).dialect == "postgresql"
        ]

    def start(self) -> ChangeListener:
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)

    def _listen(self, dsn: str) -> None:
        import psycopg

        try:
            while not self.stopping.is_set():
                try:
                    with psycopg.connect(
                        parse_dsn(dsn).dsn, autocommit=True, connect_timeout=5
                    ) as connection:
                        self._wait_for_changes(connection)
                except psycopg.Error:
                    logger.warning("Lost the notifications of a company database; reconnecting.")
                    self.stopping.wait(self.retry_seconds)
        finally:
            from django.db import connection as online

            online.close()  # this thread's connection to the online database

    def _wait_for_changes(self, connection: Any) -> None:
        connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
        row = connection.execute("SELECT database_id FROM company_settings").fetchone()
        database_id = str(row[0])
        # Whatever was written while nobody listened is pulled now.
        self.queue_pull(database_id)
        last_sent = time.monotonic()
        pending = False
        while not self.stopping.is_set():
            timeout = 1.0
            if pending:
                timeout = max(0.0, last_sent + self.debounce_seconds - time.monotonic())
            for _notification in connection.notifies(timeout=timeout, stop_after=1):
                pending = True
            if pending and time.monotonic() - last_sent >= self.debounce_seconds:
                pending = False
                last_sent = time.monotonic()
                self.queue_pull(database_id)

    def queue_pull(self, database_id: str) -> None:
        """Sends a pull for the connected link of `database_id` on this host's queue (a
        failure is logged: the tick pulls later, and the next notification tries again)."""
        from celery import current_app
        from django.db import connection

        from syncengine.models import SyncLink

        try:
            links = SyncLink.objects.connected().filter(
                host_id=self.credentials.host_id, database__database_id=database_id
            )
            for link_id in links.values_list("pk", flat=True):
                current_app.send_task(
                    "syncengine.pull_changes",
                    args=[link_id],
                    queue=self.credentials.queue,
                    expires=120,
                )
        except Exception:
            logger.exception("Could not queue a pull for company database %s.", database_id)
            connection.close()  # a fresh one next time
