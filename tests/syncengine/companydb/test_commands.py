"""`manage.py companydb create|edit|info`."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from syncengine.companydb import connect


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("companydb", *args, stdout=out)
    return out.getvalue()


def test_create_edit_and_info_do_what_they_promise(
    dialect: str, new_dsn: Callable[[str], str]
) -> None:
    dsn = new_dsn(dialect)

    created = _run("create", dsn, "--rows", "25", "--sample", "--evaluation", "--seed", "3")
    edited = _run("edit", dsn, "--changes", "40", "--seed", "1")
    info = _run("info", dsn)

    with connect(dsn) as connector:
        settings = connector.company_settings()
        log = connector.changes(0, 10**9)
    assert settings["database_kind"] == "sample"
    assert settings["edition"] == "evaluation"
    assert f"database_id: {settings['database_id']}" in created
    assert "contacts: 25" in created
    assert "rows/s" in created
    assert "Made 40 desktop changes" in edited
    assert len(log) == 40
    assert {change.origin for change in log} == {"desktop"}
    assert f"'{settings['name']}'" in info
    assert "kind: sample, edition: evaluation, schema version: 1" in info
    assert f"change_log: 40 rows, last seq {log[-1].seq}" in info
    assert "sync lock: free" in info
    assert "contacts: " in info


def test_edit_at_a_rate_takes_the_time_it_should(sqlite_kit_dsn: str) -> None:
    import time

    started = time.monotonic()
    _run("edit", sqlite_kit_dsn, "--changes", "6", "--rate", "20")

    assert time.monotonic() - started >= 5 / 20


def test_info_shows_who_holds_the_sync_lock(sqlite_kit_dsn: str) -> None:
    with connect(sqlite_kit_dsn) as connector:
        connector.take_sync_lock("host-7", "initial_sync")

    assert "sync lock: held by host-7 (initial_sync)" in _run("info", sqlite_kit_dsn)


def test_create_refuses_an_existing_database_and_errors_never_show_the_password(
    pg_kit_dsn: str,
) -> None:
    with pytest.raises(CommandError, match="--replace"):
        _run("create", pg_kit_dsn, "--rows", "5")
    with pytest.raises(CommandError) as caught:
        _run("info", "postgresql://postgres:hunter2-secret@127.0.0.1:1/nothing")
    assert "hunter2" not in str(caught.value)
