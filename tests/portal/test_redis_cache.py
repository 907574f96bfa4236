"""The site's Redis cache keeps one Redis client and still answers after its connections
were lost."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from pytest_django.fixtures import Settings


@pytest.fixture
def redis_cache(settings: Settings) -> Iterator[Any]:
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set (the embedded default caches in the database)")
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.redis_cache.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # a run cut short leaves nothing in the way
        }
    }
    cache = caches["default"]
    yield cache
    cache.delete_many(["greeting", "count"])


def test_every_call_shares_one_client(redis_cache: Any) -> None:
    client = redis_cache._cache.get_client()

    redis_cache.set("greeting", {"nl": "hallo"}, 30)
    assert redis_cache.get("greeting") == {"nl": "hallo"}
    assert redis_cache.add("count", 1)
    assert redis_cache.incr("count") == 2
    assert redis_cache.get_many(["greeting", "count"]) == {"greeting": {"nl": "hallo"}, "count": 2}
    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache.get_client() is client


def test_the_kept_client_reconnects_after_its_connections_were_lost(redis_cache: Any) -> None:
    redis_cache.set("greeting", "hallo", 30)
    client = redis_cache._cache.get_client()
    client.connection_pool.disconnect()  # as a Redis restart would have closed them

    assert redis_cache.get("greeting") == "hallo"
    assert redis_cache._cache.get_client() is client
