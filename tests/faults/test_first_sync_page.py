"""Issue #8, faults end to end: a first synchronisation started through the activation wizard,
its worker killed and started again; the status page, read over HTTP as the super user's
browser polls it, shows the progress resume (never from zero) and reach 100%, and both sides
hold the same rows."""

from __future__ import annotations

import random
import re
import time
from functools import partial
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Activation
from syncengine.companydb import connect
from syncengine.models import SyncLink, SyncRun
from tests.factories import DEFAULT_PASSWORD, UserFactory, make_activatable
from tests.faults.conftest import (
    ACTIVATOR_EMAIL,
    RECOVERY_LIMIT,
    SEED,
    Beat,
    CompanyDatabase,
    credential_file,
    wait_for,
)
from tests.faults.processes import Workers
from tests.faults.sides import assert_same_rows

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

PERCENT = re.compile(r'<progress id="sync-progress" max="100" value="(\d+)"')


def test_a_first_sync_started_in_the_wizard_resumes_on_its_status_page_after_a_worker_kill(
    client: Client,
    company_database: CompanyDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rng: random.Random,
) -> None:
    with connect(company_database.dsn) as connector:
        report = connector.report()
    made = make_activatable(user=UserFactory.create(email=ACTIVATOR_EMAIL), report=report)
    credential_file(tmp_path / "synchost.json", made.host, company_database.dsn, monkeypatch)
    workers = Workers(queues=f"default,{made.host.queue}")
    try:
        workers.start()
        client.login(email=ACTIVATOR_EMAIL, password=DEFAULT_PASSWORD)
        wizard = reverse("portal:activate", args=[made.licence_link.pk])
        client.get(wizard)
        for data in ({}, {"password": DEFAULT_PASSWORD}, {}, {"start": "now"}, {}):
            step = Activation.objects.get().step
            response = client.post(wizard, {"step": step, "next": "1", "finish": "1", **data})
            assert response.status_code == 302, response.content.decode()
        status = reverse("portal:activation_status", args=[made.licence_link.pk])
        assert response["Location"] == status

        seen: list[int] = []

        def percent() -> int:
            page = client.get(status, HTTP_HX_REQUEST="true")
            assert page.status_code == 200
            found = PERCENT.search(page.content.decode())
            seen.append(int(found[1]) if found else 0)
            return seen[-1]

        beat = Beat()
        kill_at = rng.randint(10, 60)
        # The worker runs in short slices and stands still while the page is read: the copy
        # takes about a second, less than a few polls, and must not end before the kill.
        workers.pause()
        wait_for(
            lambda: percent() >= kill_at,
            timeout=RECOVERY_LIMIT,
            beat=beat,
            step=partial(workers.step_a_slice, rng),
            what="progress",
        )
        at_kill = seen[-1]
        assert at_kill < 100, f"finished before the kill (seed {SEED})"
        workers.kill_main()
        killed = time.monotonic()
        workers.start()
        wait_for(lambda: percent() > at_kill, timeout=RECOVERY_LIMIT, beat=beat, what="resuming")
        resumed = time.monotonic() - killed
        wait_for(lambda: percent() == 100, timeout=RECOVERY_LIMIT, beat=beat, what="100%")
        # Every row is copied at 100%; the run then catches up with the changes made meanwhile.
        wait_for(
            lambda: "Connected: synchronising continuously." in client.get(status).content.decode(),
            timeout=RECOVERY_LIMIT,
            beat=beat,
            what="connected",
        )
    finally:
        workers.stop()

    print(f"killed at {at_kill}%, resumed {resumed:.1f} s later; the page showed {seen}")
    assert seen == sorted(seen), "the progress went back"
    run = SyncRun.objects.get()
    assert run.state == SyncRun.State.DONE
    page = client.get(status).content.decode()
    assert "Connected: synchronising continuously." in page
    assert_same_rows(SyncLink.objects.get(), company_database.dsn)
