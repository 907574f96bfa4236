"""Two Finish requests at the same moment (a double click, two tabs), each in its own thread
and database connection: the activation row's lock lets one through, the other sees it done."""

from __future__ import annotations

import threading

import pytest
from celery import current_app
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal.models import Activation
from syncengine.models import SyncLink, SyncRun
from tests.factories import DEFAULT_PASSWORD, make_activatable

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_finish_requests_at_once_activate_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(current_app, "send_task", lambda *args, **kwargs: None)
    setup = make_activatable()
    Activation.objects.create(
        licence_link=setup.licence_link, step=5, confirmed_by=setup.user, start="now"
    )
    wizard = reverse("portal:activate", args=[setup.licence_link.pk])
    clients = [Client(), Client()]
    for client in clients:
        client.login(email=setup.user.email, password=DEFAULT_PASSWORD)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def finish(client: Client) -> None:
        try:
            barrier.wait()
            statuses.append(client.post(wizard, {"step": 5, "finish": "1"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=finish, args=[client]) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [302, 302]
    assert SyncLink.objects.count() == 1
    assert SyncRun.objects.count() == 1
