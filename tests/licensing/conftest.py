from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache(db: None) -> None:
    # The claim page's rate limit counts in the cache, which outlives a test's transaction.
    cache.clear()
