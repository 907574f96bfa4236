"""The real processes the fault tests kill and restart: Celery workers, and the Redis server."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import redis
from django.conf import settings

from tests.workers import BASE_DIR, worker_process


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces; ppid follows it.
    return int(stat.rsplit(")", 1)[1].split()[1])


def children_of(pid: int) -> list[int]:
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent_of(int(entry.name)) == pid
    ]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Workers:
    """Celery workers started one after the other (`make run`'s command, concurrency 1), so
    that a test can kill a worker's child or its main process and start the next one.

    Every process group started here is ended when the test ends, orphans of a killed main
    process included (they are ours: each worker leads its own session)."""

    queues: str
    stack: ExitStack = field(default_factory=ExitStack)
    groups: list[int] = field(default_factory=list)
    current: subprocess.Popen[bytes] | None = None

    @staticmethod
    def pool_processes() -> bool:
        """Whether the workers have a pool process to kill: not on the filesystem transport,
        whose workers use threads (portal/settings.py says why)."""
        broker = os.environ.get("CELERY_BROKER_URL") or str(settings.CELERY_BROKER_URL)
        return not broker.startswith("filesystem")

    def kills(self, *targets: str) -> tuple[str, ...]:
        """`targets` ("child" or "main") as these workers can be killed: without a pool
        process, every kill is of the main process."""
        return targets if self.pool_processes() else ("main",) * len(targets)

    def start(self) -> int:
        """Starts a worker and waits until its pool child is up; the main process's pid."""
        process = self.stack.enter_context(worker_process(queues=self.queues))
        self.current = process
        self.groups.append(process.pid)
        deadline = time.monotonic() + 60
        while self.pool_processes() and not children_of(process.pid):
            if process.poll() is not None:
                raise AssertionError(f"The worker ended at start ({process.returncode}).")
            if time.monotonic() > deadline:
                raise AssertionError("The worker started no pool process within 60 s.")
            time.sleep(0.05)
        return process.pid

    @property
    def main(self) -> int:
        assert self.current is not None
        return self.current.pid

    def child(self) -> int:
        """The pool process (waiting for the main process to replace a killed one)."""
        deadline = time.monotonic() + 60
        while True:
            living = [pid for pid in children_of(self.main) if alive(pid)]
            if living:
                return living[0]
            if time.monotonic() > deadline:
                raise AssertionError("The worker has no pool process.")
            time.sleep(0.05)

    def kill_child(self) -> set[int]:
        """SIGKILLs the pool process (the main process starts another); the pids killed."""
        pid = self.child()
        os.kill(pid, signal.SIGKILL)
        return {pid}

    def kill_main(self) -> set[int]:
        """SIGKILLs the main process, and with it its pool process, as a supervisor (systemd's
        control group, say) ends what a dead service leaves behind; the pids killed.

        An orphaned pool process would hold on to the dead main process's broker connection
        (its sockets are inherited), its run's lease and its pipes: no supervisor leaves one."""
        main = self.main
        pool = set(children_of(main))
        os.killpg(main, signal.SIGKILL)  # each worker leads its own process group
        assert self.current is not None
        self.current.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in pool):
            if time.monotonic() > deadline:
                raise AssertionError(f"The pool processes {pool} outlived SIGKILL by 10 s.")
            time.sleep(0.02)
        return {main, *pool}

    def signal_all(self, signum: int) -> None:
        for group in self.groups:
            with suppress(ProcessLookupError):
                os.killpg(group, signum)

    def pause(self) -> None:
        """Stops the running worker, its pool process included, where it is (SIGSTOP)."""
        os.killpg(self.main, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.main, signal.SIGCONT)

    def step(self, seconds: float) -> None:
        """Lets the paused worker run for `seconds`, then stops it again wherever it is: in a
        chunk's COPY, its commit, between two steps, handing a task to the broker.

        The engine copies a chunk in a few hundredths of a second, faster than a test can
        look at a run's progress and act on it; a test that checks a run while its worker
        stands still cannot find it already past the point it meant to kill it at."""
        self.resume()
        time.sleep(seconds)
        self.pause()

    def step_a_slice(self, rng: random.Random) -> None:
        """`step` for a random few milliseconds: less than a chunk takes, so that a test
        watching slice by slice sees every point of a run's progress it may wait for."""
        self.step(rng.uniform(0.001, 0.02))

    def stop(self) -> None:
        self.signal_all(signal.SIGCONT)  # a paused worker would not act on SIGTERM
        self.stack.close()  # SIGTERM to the running worker's group, as worker_process does
        self.signal_all(signal.SIGKILL)  # what is left of killed workers' groups
        self.groups.clear()
        self.current = None


# -- the Redis server --------------------------------------------------------------------------


def redis_start_command() -> str:
    """The command CI starts Redis with, read from .ci/run: one place says how."""
    script = (BASE_DIR / ".ci" / "run").read_text()
    match = re.search(r"^[ \t]*(redis-server\b(?:.*\\\n)*.*)$", script, re.MULTILINE)
    assert match, ".ci/run no longer starts redis-server"
    return match[1]


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def start_redis(url: str) -> None:
    """Starts Redis as CI does, unless it answers; waits until it does."""
    if not redis_answers(url):
        subprocess.run(["bash", "-c", redis_start_command()], check=True, cwd=BASE_DIR)
    deadline = time.monotonic() + 30
    while not redis_answers(url):
        if time.monotonic() > deadline:
            raise AssertionError("Redis did not start again within 30 s.")
        time.sleep(0.05)


@contextmanager
def redis_stopped(url: str) -> Iterator[None]:
    """The real Redis server down for the length of the block, then started again the way CI
    starts it (and running afterwards whatever happens in the block).

    CI's Redis keeps nothing across a restart (`--save ""`): our database (the one `url`
    names) loses its queued tasks as it would. Other people's tests share the server, so it
    goes down with a snapshot that gives them their databases back, which is removed once
    loaded."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    config = {**client.config_get("dir"), **client.config_get("dbfilename")}
    snapshot = Path(str(config["dir"])) / str(config["dbfilename"])
    client.flushdb()
    try:
        client.shutdown(save=True)
        deadline = time.monotonic() + 10
        while redis_answers(url):
            if time.monotonic() > deadline:
                raise AssertionError("Redis did not stop within 10 s.")
            time.sleep(0.02)
        yield
    finally:
        start_redis(url)
        snapshot.unlink(missing_ok=True)
