"""`synchost run`: the sync host on an office computer (pairing, heartbeat, reports, worker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from syncengine.host import (
    CREDENTIAL_FILE_VARIABLE,
    ChangeListener,
    HostCredentials,
    HostSetupError,
    ReadResult,
    computer_name,
    default_credential_file,
    read_reports,
)
from syncengine.models import SyncHost
from syncengine.services import (
    HostRefused,
    PairingRefused,
    authenticate_host,
    pair_host,
    record_heartbeat,
)
from syncengine.tasks import report_host


class Command(BaseCommand):
    help = (
        "Runs this computer's sync host: pairs it once with --pair CODE --database DSN, then "
        "heartbeats, reports its company databases and runs their synchronisation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        run = commands.add_parser("run", help="Pair (once) and run the sync host.")
        run.add_argument("--pair", metavar="CODE", help="The pairing code shown in the portal.")
        run.add_argument(
            "--database",
            metavar="DSN",
            action="append",
            default=[],
            help="A company database this computer reaches (repeat for several). Kept only "
            "in the credential file on this computer.",
        )
        run.add_argument(
            "--credential-file",
            type=Path,
            default=None,
            help="Where the host keeps its credential (default: var/synchost.json).",
        )
        run.add_argument(
            "--once",
            action="store_true",
            help="Pair or report once and stop, without starting the worker.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["credential_file"] or default_credential_file()
        try:
            # A fresh reading of the databases, when pairing or changing them, is also the
            # first report: each database is read once at start-up.
            result: ReadResult | None = None
            if options["pair"]:
                credentials, host, result = self._pair(options["pair"], options["database"], path)
            else:
                credentials = HostCredentials.load(path)
                if options["database"]:
                    credentials.databases = options["database"]
                    result = self._read(credentials.databases)  # refuse a bad DSN first
                    credentials.save(path)
                host = authenticate_host(credential=credentials.credential)
            self._report(host, credentials, path, result)
        except (HostSetupError, HostRefused, PairingRefused) as error:
            raise CommandError(str(error)) from None
        if options["once"]:
            return
        self._run(host, credentials, path)

    def _read(self, dsns: list[str]) -> ReadResult:
        result = read_reports(dsns)
        if result.failures:
            lines = [failure.for_person_here() for failure in result.failures]
            raise HostSetupError("\n".join([*lines, "Nothing was registered or changed."]))
        return result

    def _pair(
        self, code: str, dsns: list[str], path: Path
    ) -> tuple[HostCredentials, SyncHost, ReadResult]:
        if not dsns:
            raise HostSetupError("Name at least one company database with --database DSN.")
        result = self._read(dsns)
        host, credential = pair_host(code=code, name=computer_name(), reports=result.reports)
        credentials = HostCredentials(
            host_id=host.pk, queue=host.queue, credential=credential, databases=dsns
        )
        credentials.save(path)
        self.stdout.write(
            self.style.SUCCESS(
                f"Paired with {host.company} as sync host “{host.name}”. "
                f"The credential is kept in {path}."
            )
        )
        return credentials, host, result

    def _report(
        self,
        host: SyncHost,
        credentials: HostCredentials,
        path: Path,
        result: ReadResult | None = None,
    ) -> None:
        result = report_host(host=host, credentials=credentials, result=result)
        for failure in result.failures:
            self.stderr.write(failure.for_person_here())
        if result.names and {**credentials.names, **result.names} != credentials.names:
            credentials.names.update(result.names)
            credentials.save(path)
        self.stdout.write(f"Reported {len(result.reports)} company database(s).")

    def _run(self, host: SyncHost, credentials: HostCredentials, path: Path) -> None:
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "--app", "portal", "worker",
                "--queues", host.queue, "--concurrency", "1",
                "--hostname", f"{host.queue}@%h", "--loglevel", "INFO",
            ],
            env={**os.environ, CREDENTIAL_FILE_VARIABLE: str(path.resolve())},
        )  # fmt: skip
        # Desktop changes are pulled when the company database notifies them (prompt
        # pick-up); the tick is the safety net.
        listener = ChangeListener(credentials).start()
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Sync host running on queue {host.queue}. Ctrl-C stops it.")
        # A heartbeat is one cheap update; a full report reads every company database, so it
        # runs less often (and at once when an administrator asks: "check again").
        last_report = time.monotonic()
        try:
            while not stop.wait(settings.SYNC_HOST_HEARTBEAT_SECONDS):
                if worker.poll() is not None:
                    raise CommandError(f"The sync worker stopped (exit code {worker.returncode}).")
                try:
                    host = authenticate_host(credential=credentials.credential)
                except HostRefused as error:
                    raise CommandError(str(error)) from None
                if time.monotonic() - last_report >= settings.SYNC_HOST_REPORT_SECONDS:
                    self._report(host, credentials, path)
                    last_report = time.monotonic()
                else:
                    record_heartbeat(host=host)
        finally:
            listener.stop()
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    worker.kill()
