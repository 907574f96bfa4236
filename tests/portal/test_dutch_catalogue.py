"""The product speaks Dutch: every user-visible string has a Dutch translation."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

BASE_DIR = Path(__file__).resolve().parents[2]
CATALOGUE = BASE_DIR / "locale" / "nl" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
NOT_SOURCES = (".git", ".venv", "var", "node_modules", "locale", "tests", "benchmarks")


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory) -> polib.POFile:
    """The catalogue as `make messages` would leave it after extracting today's sources."""
    copy = tmp_path_factory.mktemp("project") / "project"
    shutil.copytree(BASE_DIR, copy, ignore=shutil.ignore_patterns(*NOT_SOURCES, "__pycache__"))
    shutil.copytree(BASE_DIR / "locale", copy / "locale")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "nl", "--no-obsolete"],
        cwd=copy,
        env={"PATH": "/usr/bin:/bin", "VAR_DIR": str(copy / "var")},
        check=True,
        capture_output=True,
    )
    return polib.pofile(str(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po"))


def test_every_string_of_the_sources_is_translated(fresh_catalogue):
    missing = [entry.msgid for entry in fresh_catalogue.untranslated_entries()]
    assert missing == [], "Run `make messages` and translate these"


def test_no_translation_is_fuzzy(fresh_catalogue):
    fuzzy = [entry.msgid for entry in fresh_catalogue.fuzzy_entries()]
    assert fuzzy == [], "Check these translations and remove their fuzzy flag"


def test_the_committed_catalogue_holds_no_stale_string(fresh_catalogue):
    current = {(entry.msgctxt, entry.msgid) for entry in fresh_catalogue}
    committed = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(CATALOGUE))}
    assert committed - current == set(), "Run `make messages` to drop strings no longer used"


def test_the_compiled_catalogue_matches_its_source():
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in polib.mofile(str(COMPILED))}
    for entry in polib.pofile(str(CATALOGUE)).translated_entries():
        if entry.msgid_plural:
            continue
        assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, (
            f"Run `make messages`: {entry.msgid!r} is not compiled"
        )


def test_pages_are_translated_at_run_time():
    with translation.override("nl"):
        assert translation.gettext("Sign out") == "Afmelden"
