"""Real Celery worker processes for tests whose behaviour is the worker's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    """The URL of the database this test run uses (the test database, once it is set up)."""
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return (
        f"postgres://{credentials}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
    )


def subprocess_environment() -> dict[str, str]:
    """This run's settings for a child process: the same VAR_DIR, database, broker and cache."""
    return {**os.environ, "VAR_DIR": str(settings.VAR_DIR), "DATABASE_URL": test_database_url()}


@contextmanager
def worker_process(
    *, queues: str = "default", concurrency: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """A `celery worker` started like `make run` starts it, stopped (and reaped) on exit.

    It shares this process's settings through the environment: the same VAR_DIR (so the same
    filesystem-transport folders) and the same DATABASE_URL/REDIS_URL.
    """
    env = subprocess_environment()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "--app", "portal", "worker",
            "--queues", queues, "--concurrency", str(concurrency),
            "--loglevel", "WARNING", "--without-mingle", "--without-gossip",
            "--hostname", f"test-{os.getpid()}@%h",
        ],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,  # so that a kill reaches the worker's children too
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
