"""Answers kept in the cache: forgotten at once and, inside a transaction, again at the commit,
where a cache lost in between does not fail the change that has been made."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache, caches
from django.db import transaction
from pytest_django.fixtures import Settings

from licensing.kept import Kept

pytestmark = pytest.mark.django_db


def test_an_answer_kept_again_before_the_commit_is_forgotten_at_the_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    kept = Kept[str]("test:kept", seconds=60)
    assert kept.get(1, lambda: "old") == "old"

    with django_capture_on_commit_callbacks(execute=True):
        kept.forget([1])
        cache.set(kept.key(1), "old")  # a request that read the old rows before the commit

    assert kept.get(1, lambda: "new") == "new"


def test_a_cache_lost_before_the_commit_does_not_fail_the_change(
    django_capture_on_commit_callbacks: Any, settings: Settings
) -> None:
    kept = Kept[str]("test:kept", seconds=60)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        kept.forget([1])
        settings.CACHES = {
            "default": {
                "BACKEND": "portal.redis_cache.RedisCache",
                "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            }
        }

    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_a_change_outside_a_transaction_forgets_once_inside_one_again_at_the_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = Kept[str]("test:kept", seconds=60)
    deletes: list[list[str]] = []
    backend = caches["default"]
    delete_many = backend.delete_many

    def counted(keys: list[str]) -> None:
        deletes.append(keys)
        delete_many(keys)

    monkeypatch.setattr(backend, "delete_many", counted)

    kept.forget([1])  # autocommit: the change has committed already
    assert deletes == [[kept.key(1)]]

    deletes.clear()
    with transaction.atomic():
        kept.forget([2])
        assert deletes == [[kept.key(2)]]
    assert deletes == [[kept.key(2)], [kept.key(2)]]
