"""gunicorn's settings for the portal: gunicorn reads this file from the directory it starts in
(`gunicorn portal.wsgi` in the project's root, as the web benchmark runs it)."""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Loads every view before the first request, then puts everything loaded so far out of the
    garbage collector's reach (gc.freeze). Those objects live as long as the worker, yet each
    full collection would walk all of them again: about 65 ms on a 2-core machine instead of 6,
    a pause that falls on whichever requests are waiting at that moment."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports the URLconf, hence every view)
    gc.collect()
    gc.freeze()
