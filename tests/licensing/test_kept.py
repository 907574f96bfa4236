"""Answers kept in the cache: forgotten at once and again at the commit, where a cache lost in
between does not fail the change that has been made."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
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
