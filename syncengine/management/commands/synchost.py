"""`synchost run`: the sync host on an office computer (pairing, heartbeat, reports, worker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from syncengine.host import (
    CREDENTIAL_FILE_VARIABLE,
    HostCredentials,
    HostSetupError,
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
    record_reports,
)


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
            if options["pair"]:
                credentials, host = self._pair(options["pair"], options["database"], path)
            else:
                credentials = HostCredentials.load(path)
                if options["database"]:
                    credentials.databases = options["database"]
                    self._read(credentials.databases)  # refuse a bad DSN before keeping it
                    credentials.save(path)
                host = authenticate_host(credential=credentials.credential)
            self._report(host, credentials)
        except (HostSetupError, HostRefused, PairingRefused) as error:
            raise CommandError(str(error)) from None
        if options["once"]:
            return
        self._run(host, credentials, path)

    def _read(self, dsns: list[str]) -> list[dict[str, Any]]:
        reports, errors = read_reports(dsns)
        if errors:
            raise HostSetupError("\n".join([*errors, "Nothing was registered or changed."]))
        return reports

    def _pair(self, code: str, dsns: list[str], path: Path) -> tuple[HostCredentials, SyncHost]:
        if not dsns:
            raise HostSetupError("Name at least one company database with --database DSN.")
        host, credential = pair_host(code=code, name=computer_name(), reports=self._read(dsns))
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
        return credentials, host

    def _report(self, host: SyncHost, credentials: HostCredentials) -> None:
        reports, errors = read_reports(credentials.databases)
        record_reports(host=host, reports=reports, errors=errors)
        for error in errors:
            self.stderr.write(error)
        self.stdout.write(f"Reported {len(reports)} company database(s).")

    def _run(self, host: SyncHost, credentials: HostCredentials, path: Path) -> None:
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "--app", "portal", "worker",
                "--queues", host.queue, "--concurrency", "1",
                "--hostname", f"{host.queue}@%h", "--loglevel", "INFO",
            ],
            env={**os.environ, CREDENTIAL_FILE_VARIABLE: str(path.resolve())},
        )  # fmt: skip
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Sync host running on queue {host.queue}. Ctrl-C stops it.")
        try:
            while not stop.wait(settings.SYNC_HOST_HEARTBEAT_SECONDS):
                if worker.poll() is not None:
                    raise CommandError(f"The sync worker stopped (exit code {worker.returncode}).")
                try:
                    host = authenticate_host(credential=credentials.credential)
                except HostRefused as error:
                    raise CommandError(str(error)) from None
                self._report(host, credentials)
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    worker.kill()
