"""The site in production mode (DJANGO_DEBUG=0), started as a separate process."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "desktop.example.nl"}


def test_check_deploy_reports_no_issue_in_production_mode(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "DEBUG",
        env={**PRODUCTION, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)},
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage("check", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_mode_refuses_to_start_without_allowed_hosts(tmp_path):
    result = manage(
        "check",
        env={"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)},
        tmp_path=tmp_path,
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root:s3cret-pw@localhost/desktop"),
        ("DJANGO_DEBUG", "perhaps"),
        ("DJANGO_HSTS_SECONDS", "a year"),
        ("REDIS_URL", "localhost:6379"),
    ],
)
def test_a_bad_value_stops_the_site_with_a_message_naming_the_variable(tmp_path, variable, value):
    result = manage("check", env={variable: value}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert variable in result.stderr
    assert "s3cret-pw" not in result.stderr


def test_static_files_are_served_by_whitenoise_in_production_mode(tmp_path):
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    collected = manage("collectstatic", "--noinput", env=env, tmp_path=tmp_path)
    assert collected.returncode == 0, collected.stderr
    script = (
        "from django.test import Client; from django.templatetags.static import static;"
        "url = static('portal/site.css'); response = Client().get(url, secure=True,"
        " HTTP_HOST='desktop.example.nl'); print(url, response.status_code,"
        " response.headers.get('Cache-Control'))"
    )
    served = manage("shell", "-c", script, env=env, tmp_path=tmp_path)
    assert served.returncode == 0, served.stderr
    url, status, cache_control = served.stdout.strip().splitlines()[-1].split(maxsplit=2)
    # A hashed name, served with a far-future cache lifetime: the manifest storage is in use.
    assert url.startswith("/static/portal/site.")
    assert url != "/static/portal/site.css"
    assert status == "200"
    assert "max-age=315360000" in cache_control
