"""After Finish: the status page follows a real first synchronisation of a kit company
database (driven by the sync engine's own tasks) to 100%, and a first sync that the engine
refuses at its time is reported on the page and by e-mail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from portal import tasks as portal_tasks
from portal.models import Activation
from syncengine import tasks
from syncengine.companydb import connect
from syncengine.companydb.generator import create_company_database
from syncengine.host import CREDENTIAL_FILE_VARIABLE, HostCredentials
from syncengine.models import SyncLink, SyncRun
from tests.factories import DEFAULT_PASSWORD, Activatable, UserFactory, make_activatable
from tests.syncengine.companydb.conftest import Desktop

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_dsn(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path}/company.db"


@pytest.fixture
def desktop(company_dsn: str) -> Iterator[Desktop]:
    opened = Desktop(company_dsn)
    yield opened
    opened.close()


@pytest.fixture
def setup(
    company_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> Activatable:
    """A kit database whose desktop super user is the ID's employee, reported by a host whose
    credential file names it; steps of one chunk of 10 rows, so progress can be seen."""
    user = UserFactory.create()
    create_company_database(company_dsn, contacts=30, seed=7, super_user_email=user.email)
    desktop = Desktop(company_dsn)
    desktop.execute("DELETE FROM desktop_sessions")
    desktop.execute("UPDATE api_clients SET is_enabled = ?", [False])
    desktop.close()
    with connect(company_dsn) as connector:
        report = connector.report()
    made = make_activatable(user=user, report=report)
    path = tmp_path / "synchost.json"
    HostCredentials(
        host_id=made.host.pk, queue=made.host.queue, credential="x", databases=[company_dsn]
    ).save(path)
    monkeypatch.setenv(CREDENTIAL_FILE_VARIABLE, str(path))
    monkeypatch.setattr(tasks.run_sync, "apply_async", lambda args, queue: None)
    settings.SYNC_STEP_SECONDS = 0
    settings.SYNC_BATCH_CHUNK = 10
    return made


def activate(client: Client, setup: Activatable, **start: str) -> SyncRun:
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)
    wizard = reverse("portal:activate", args=[setup.licence_link.pk])
    client.get(wizard)
    for data in ({}, {"password": DEFAULT_PASSWORD}, {}, start or {"start": "now"}, {}):
        step = Activation.objects.get().step
        response = client.post(wizard, {"step": step, "next": "1", "finish": "1", **data})
        assert response.status_code == 302, response.content.decode()
    return SyncRun.objects.get()


def fragment(client: Client, setup: Activatable) -> str:
    response = client.get(
        reverse("portal:activation_status", args=[setup.licence_link.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    return response.content.decode()


def test_the_status_page_shows_the_first_sync_live_until_it_is_connected(
    client: Client, setup: Activatable
) -> None:
    run = activate(client, setup)
    tasks.start_due_runs()
    tasks.run_sync(run.pk)  # prepares and copies one chunk

    during = fragment(client, setup)
    percent = int(re.search(r'<progress id="sync-progress" max="100" value="(\d+)"', during)[1])  # type: ignore[index]
    assert 0 < percent < 100
    assert f"{percent}%" in during  # the text equivalent of the bar
    assert "Contacts" in during
    assert re.search(r"About \d+ (seconds?|minutes) left", during)
    assert 'hx-trigger="every 2s"' in during

    for _attempt in range(500):
        run.refresh_from_db()
        if run.state != SyncRun.State.QUEUED:
            break
        tasks.run_sync(run.pk)
    run.refresh_from_db()
    assert run.state == SyncRun.State.DONE, run.error

    after = fragment(client, setup)
    assert 'value="100"' in after
    assert "Connected: synchronising continuously." in after
    assert "hx-trigger" not in after  # the page stops polling
    page = client.get(reverse("portal:activation_status", args=[setup.licence_link.pk]))
    assert "Connected: synchronising continuously." in page.content.decode()
    assert "Refresh" in page.content.decode()


def test_a_first_sync_refused_at_its_time_is_reported_on_the_page_and_by_email(
    client: Client, setup: Activatable, desktop: Desktop
) -> None:
    run = activate(client, setup)
    now = desktop.connector._to_db("timestamp", datetime.now(UTC))
    desktop.execute(
        "INSERT INTO desktop_sessions (user_id, host, started_at, last_seen_at) "
        "VALUES (1, 'PC-1', ?, ?)",
        [now, now],
    )
    tasks.start_due_runs()
    tasks.run_sync(run.pk)
    run.refresh_from_db()
    assert run.state == SyncRun.State.FAILED

    page = fragment(client, setup)
    assert "did not complete" in page
    assert "Desktop users are still working" in page
    assert 'role="alert"' in page
    assert "hx-trigger" not in page

    # The mail speaks the administrator's language (else the company's, here Dutch).
    type(setup.user).objects.filter(pk=setup.user.pk).update(language="en")
    portal_tasks.notify_failed_first_syncs()
    portal_tasks.notify_failed_first_syncs()  # told once

    [message] = mail.outbox
    assert message.to == [setup.user.email]
    assert "did not start" in message.subject
    assert "Desktop users are still working" in message.body
    assert reverse("portal:activation_status", args=[setup.licence_link.pk]) in message.body
    assert SyncLink.objects.get().state == SyncLink.State.FAILED
