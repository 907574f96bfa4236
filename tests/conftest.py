"""Test-wide fixtures and the services check.

REQUIRE_SERVICES (e.g. "postgres,redis") names services that must be configured and answer, or
the whole run fails at once; with CI set it defaults to both. A missing service is never a
reason to skip. (.ci/run's smoke stage on the embedded default sets REQUIRE_SERVICES empty.)
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from pytest_django.fixtures import Settings


def _check_postgres() -> str | None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "DATABASE_URL does not point at PostgreSQL"
    import psycopg

    database = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=database["HOST"] or None,
            port=database["PORT"] or None,
            user=database["USER"] or None,
            password=database["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=5,
        ).close()
    except psycopg.Error as error:
        return f"PostgreSQL does not answer ({error.__class__.__name__})"
    return None


def _check_redis() -> str | None:
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        return f"Redis does not answer ({error.__class__.__name__})"
    return None


_CHECKS = {"postgres": _check_postgres, "redis": _check_redis}


def pytest_sessionstart(session: pytest.Session) -> None:
    wanted = os.environ.get("REQUIRE_SERVICES", "postgres,redis" if os.environ.get("CI") else "")
    required = [name.strip() for name in wanted.split(",") if name.strip()]
    problems = []
    for name in required:
        if name not in _CHECKS:
            problems.append(f"{name}: unknown service (known: {', '.join(_CHECKS)})")
            continue
        problem = _CHECKS[name]()
        if problem:
            problems.append(f"{name}: {problem}")
    if problems:
        raise pytest.UsageError("Required services are missing:\n  " + "\n  ".join(problems))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """SQLite test databases live in a file (not in memory), so that the real worker
    processes some tests start can share them (with transactional tests)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(Path(settings.VAR_DIR) / "test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    # allauth's rate limits count in the cache, which is the database in the embedded default.
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def forget_rate_limits(settings: Settings) -> Callable[[], None]:
    """Start allauth's rate-limit counts over for every test (they live in the shared cache);
    a test may call it again to start over once more.

    A fresh key prefix rather than cache.clear(): the cache may be a Redis that other
    processes share, and flushing it is not a test's business.
    """

    def forget() -> None:
        default = dict(settings.CACHES["default"])
        default["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
        settings.CACHES = {**settings.CACHES, "default": default}

    forget()
    return forget


@pytest.fixture(autouse=True)
def installation_data(request: pytest.FixtureRequest) -> None:
    """What the data migrations create in every installation (the work areas, the Online
    Desktop add-on, the access-profile templates), made again for a transactional test: a
    transactional test before it emptied every table, those rows too. (pytest-django runs the
    transactional tests last, so the others always find them.)"""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from accounts.models import AccessProfile

    services = importlib.import_module("licensing.migrations.0003_services_and_online_desktop")
    services.create(apps, None)
    AccessProfile.objects.templates()  # creates the missing ones
