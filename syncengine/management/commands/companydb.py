"""`manage.py companydb create|edit|info DSN`: the company-database kit from the command line.

    companydb create sqlite:///tmp/acme.db --rows 1000 [--sample] [--evaluation] [--seed S]
    companydb edit postgresql://postgres@127.0.0.1/acme --changes 500 --rate 20
    companydb info postgresql://postgres@127.0.0.1/acme

These are developer and demo tools (their output is English only); they never show a DSN's
password.
"""

from __future__ import annotations

import resource
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from syncengine.companydb.connector import connect
from syncengine.companydb.desktop import play_desktop_users
from syncengine.companydb.errors import CompanyDatabaseError, redact
from syncengine.companydb.generator import create_company_database


class Command(BaseCommand):
    help = "Creates, edits (as desktop users would) or describes a company database."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        create = actions.add_parser("create", help="Create a company database full of data.")
        create.add_argument("dsn", help="sqlite:///absolute/path.db or postgresql://…")
        create.add_argument("--rows", type=int, default=200, help="contacts (scales the rest)")
        create.add_argument("--seed", type=int, default=1)
        create.add_argument("--sample", action="store_true", help="database_kind 'sample'")
        create.add_argument("--evaluation", action="store_true", help="edition 'evaluation'")
        create.add_argument("--replace", action="store_true", help="overwrite what is there")
        create.add_argument(
            "--super-user-email", help="e-mail of the employee of the desktop super user"
        )

        edit = actions.add_parser("edit", help="Make changes as desktop users would.")
        edit.add_argument("dsn")
        edit.add_argument("--changes", type=int, required=True)
        edit.add_argument("--rate", type=float, help="changes per second (default: unthrottled)")
        edit.add_argument("--seed", type=int)

        info = actions.add_parser("info", help="Describe a company database.")
        info.add_argument("dsn")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except CompanyDatabaseError as error:
            raise CommandError(str(error)) from error
        except ValueError as error:
            raise CommandError(str(error)) from error

    def _create(self, options: dict[str, Any]) -> None:
        result = create_company_database(
            options["dsn"],
            contacts=options["rows"],
            seed=options["seed"],
            kind="sample" if options["sample"] else "production",
            edition="evaluation" if options["evaluation"] else "full",
            replace=options["replace"],
            super_user_email=options["super_user_email"],
        )
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rate = result.total_rows / result.seconds if result.seconds else 0
        self.stdout.write(
            f"Created company database '{result.name}' at {redact(options['dsn'])}\n"
            f"  database_id: {result.database_id}\n"
            f"  kind: {'sample' if options['sample'] else 'production'}, "
            f"edition: {'evaluation' if options['evaluation'] else 'full'}\n"
            f"  desktop super user: {result.super_user['name']} <{result.super_user['email']}>\n"
            f"  rows: {result.total_rows} in {result.seconds:.1f} s ({rate:,.0f} rows/s), "
            f"peak RSS {peak_mib:.0f} MiB\n"
        )
        for table, count in result.rows.items():
            self.stdout.write(f"    {table}: {count}")

    def _edit(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        counts = play_desktop_users(
            options["dsn"], changes=options["changes"], rate=options["rate"], seed=options["seed"]
        )
        seconds = time.perf_counter() - started
        total = sum(counts.values())
        self.stdout.write(
            f"Made {total} desktop changes in {seconds:.1f} s "
            f"({counts['insert']} inserts, {counts['update']} updates, "
            f"{counts['delete']} deletes) at {redact(options['dsn'])}"
        )

    def _info(self, options: dict[str, Any]) -> None:
        with connect(options["dsn"]) as connector:
            settings = connector.company_settings()
            counts = connector.row_counts()
            lock = connector.sync_lock()
            last_seq = connector.last_seq()
            self.stdout.write(
                f"Company database '{settings['name']}' at {redact(options['dsn'])}\n"
                f"  database_id: {settings['database_id']}\n"
                f"  kind: {settings['database_kind']}, edition: {settings['edition']}, "
                f"schema version: {settings['schema_version']}, dialect: {connector.dialect}\n"
                f"  sync lock: "
                + (
                    f"held by {lock.owner} ({lock.mode}) since {lock.locked_at:%Y-%m-%d %H:%M} UTC"
                    if lock
                    else "free"
                )
                + f"\n  change_log: {counts['change_log']} rows, last seq {last_seq}\n"
                "  rows:"
            )
            for table, count in counts.items():
                if table not in ("change_log", "sync_lock", "sync_origin"):
                    self.stdout.write(f"    {table}: {count}")
