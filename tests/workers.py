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


@contextmanager
def worker_process(
    *, queues: str = "default", concurrency: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """A `celery worker` started like `make run` starts it, stopped (and reaped) on exit.

    It shares this process's settings through the environment: the same VAR_DIR (so the same
    filesystem-transport folders) and the same DATABASE_URL/REDIS_URL.
    """
    env = {**os.environ, "VAR_DIR": str(settings.VAR_DIR)}
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
