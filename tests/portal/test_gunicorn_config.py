"""gunicorn, started in the project's root, reads gunicorn.conf.py: each worker loads every view
before its first request and freezes what it loaded out of the garbage collector's reach."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_gunicorn_started_in_the_root_reads_the_projects_config() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "portal.wsgi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    assert "config                             = ./gunicorn.conf.py" in printed
    assert "post_worker_init                   = <post_worker_init()>" in printed


def test_a_worker_loads_every_view_then_freezes_what_it_loaded() -> None:
    script = """
import gc, json, runpy, sys
import django
django.setup()
before = "portal.contact_views" in sys.modules
runpy.run_path("gunicorn.conf.py")["post_worker_init"](None)
print(json.dumps([before, "portal.contact_views" in sys.modules, gc.get_freeze_count()]))
"""
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    loaded_before, loaded_after, frozen = json.loads(found.splitlines()[-1])

    assert (loaded_before, loaded_after) == (False, True)
    assert frozen > 50_000
