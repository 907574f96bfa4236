from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from portal.management.commands.demo import DEMO_EMAIL


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "account", "licensing", "syncengine", "records"}
    }


@pytest.fixture
def embedded(settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    return settings


@pytest.mark.django_db
@pytest.mark.smoke
def test_demo_data_is_created_once_however_often_it_runs(embedded, client):
    first = run_demo()
    counts = row_counts()
    second = run_demo()
    assert row_counts() == counts
    assert first == second  # the same address and the same demo sign-in
    password = first.split("password:")[1].split()[0]
    assert client.login(email=DEMO_EMAIL, password=password)


@pytest.mark.django_db
def test_demo_data_is_refused_in_production_mode(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="embedded default"):
        run_demo()
