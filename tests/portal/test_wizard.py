"""The activation wizard through the test client: its five steps, kept on the server, and
Finish that activates once."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from licensing.models import CompanyDatabase
from portal.models import Activation
from records.models import Contact
from syncengine.models import SyncLink, SyncRun
from tests.factories import DEFAULT_PASSWORD, Activatable, make_activatable

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup() -> Activatable:
    return make_activatable()


@pytest.fixture
def signed_in(client: Client, setup: Activatable) -> Client:
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)
    return client


def url(setup: Activatable, name: str = "portal:activate") -> str:
    return reverse(name, args=[setup.licence_link.pk])


def step(setup: Activatable) -> int:
    return Activation.objects.get(licence_link=setup.licence_link).step


def post(client: Client, setup: Activatable, **data: Any) -> Any:
    return client.post(url(setup), {"step": step(setup), **data})


def walk_to_step_5(client: Client, setup: Activatable, **start: str) -> None:
    client.get(url(setup))
    assert post(client, setup, next="1").status_code == 302
    assert post(client, setup, next="1", password=DEFAULT_PASSWORD).status_code == 302
    assert post(client, setup, next="1").status_code == 302
    response = post(client, setup, next="1", **(start or {"start": "now"}))
    assert response.status_code == 302, response.content.decode()
    assert step(setup) == 5


def test_the_whole_wizard_activates_and_schedules_the_first_sync_now(
    signed_in: Client, setup: Activatable
) -> None:
    page = signed_in.get(url(setup))
    assert page.status_code == 200
    assert 'aria-current="step"' in page.content.decode()
    assert "Step 1 of 5: Activate" in page.content.decode()

    post(signed_in, setup, next="1")
    page = signed_in.get(url(setup))
    assert "Step 2 of 5" in page.content.decode()
    assert setup.user.email in page.content.decode()
    assert "not the desktop program's login" in page.content.decode()

    wrong = post(signed_in, setup, next="1", password="not-my-password")
    assert wrong.status_code == 400
    assert "This is not the password of your ID." in wrong.content.decode()
    assert step(setup) == 2

    post(signed_in, setup, next="1", password=DEFAULT_PASSWORD)
    page = signed_in.get(url(setup))
    assert "Step 3 of 5" in page.content.decode()
    assert "12345678" in page.content.decode()  # the registration number from the report
    assert "Dorpsstraat 1" in page.content.decode()

    post(signed_in, setup, next="1")
    page = signed_in.get(url(setup))
    assert "Step 4 of 5" in page.content.decode()
    assert "cannot be used while the first synchronisation runs" in page.content.decode()
    assert "must stay switched on" in page.content.decode()

    post(signed_in, setup, next="1", start="now")
    assert "Step 5 of 5" in signed_in.get(url(setup)).content.decode()

    finished = post(signed_in, setup, finish="1")

    assert finished.status_code == 302
    assert finished["Location"] == url(setup, "portal:activation_status")
    link = SyncLink.objects.get(database=setup.database)
    assert link.state == SyncLink.State.SCHEDULED
    assert link.connected_by == setup.user
    assert link.host == setup.host
    [run] = link.runs.all()
    assert run.kind == SyncRun.Kind.INITIAL
    assert run.scheduled_for <= timezone.now()
    status = signed_in.get(finished["Location"])
    assert "Activated." in status.content.decode()
    assert 'hx-trigger="every 2s"' in status.content.decode()


def test_a_double_submitted_finish_activates_once(signed_in: Client, setup: Activatable) -> None:
    walk_to_step_5(signed_in, setup)

    first = signed_in.post(url(setup), {"step": 5, "finish": "1"})
    second = signed_in.post(url(setup), {"step": 5, "finish": "1"})

    assert first.status_code == 302
    assert second.status_code == 302
    assert second["Location"] == url(setup, "portal:activation_status")
    assert SyncLink.objects.count() == 1
    assert SyncRun.objects.count() == 1


def test_back_goes_one_step_back_without_losing_the_state(
    signed_in: Client, setup: Activatable
) -> None:
    walk_to_step_5(signed_in, setup)

    post(signed_in, setup, back="1")

    assert step(setup) == 4
    activation = Activation.objects.get()
    assert activation.confirmed_by == setup.user
    assert activation.start == "now"


def test_a_form_from_another_tab_only_shows_the_current_step(
    signed_in: Client, setup: Activatable
) -> None:
    walk_to_step_5(signed_in, setup)

    stale = signed_in.post(url(setup), {"step": 1, "next": "1"})

    assert stale.status_code == 302
    assert step(setup) == 5
    assert SyncRun.objects.count() == 0


def test_a_reload_shows_the_same_step(signed_in: Client, setup: Activatable) -> None:
    signed_in.get(url(setup))
    post(signed_in, setup, next="1")

    assert "Step 2 of 5" in signed_in.get(url(setup)).content.decode()
    assert "Step 2 of 5" in signed_in.get(url(setup)).content.decode()


def test_finish_skipping_the_password_step_is_not_possible(
    signed_in: Client, setup: Activatable
) -> None:
    signed_in.get(url(setup))
    Activation.objects.update(step=5, start="now")

    response = signed_in.post(url(setup), {"step": 5, "finish": "1"})

    assert response.status_code == 302
    assert SyncLink.objects.count() == 0


def test_a_scheduled_start_is_a_row_at_the_time_in_the_companys_time_zone(
    signed_in: Client, setup: Activatable
) -> None:
    company = setup.database.company
    company.time_zone = "America/New_York"
    company.save()
    zone = zoneinfo.ZoneInfo("America/New_York")
    tomorrow = timezone.now().astimezone(zone).date() + datetime.timedelta(days=1)
    walk_to_step_5(signed_in, setup, start="later", at=f"{tomorrow:%Y-%m-%d}T22:30")

    page = signed_in.get(url(setup)).content.decode()
    assert "America/New_York" in page
    post(signed_in, setup, back="1")
    assert f'value="{tomorrow:%Y-%m-%d}T22:30"' in signed_in.get(url(setup)).content.decode()
    post(signed_in, setup, next="1", start="later", at=f"{tomorrow:%Y-%m-%d}T22:30")
    post(signed_in, setup, finish="1")

    run = SyncRun.objects.get()
    expected = datetime.datetime.combine(tomorrow, datetime.time(22, 30), tzinfo=zone)
    assert run.scheduled_for == expected
    assert run.state == SyncRun.State.SCHEDULED
    status = signed_in.get(url(setup, "portal:activation_status")).content.decode()
    assert "22:30" in status
    assert "Keep the sync host switched on" in status


def test_a_scheduled_start_in_the_past_is_refused(signed_in: Client, setup: Activatable) -> None:
    signed_in.get(url(setup))
    Activation.objects.update(step=4, confirmed_by=setup.user)
    yesterday = timezone.now() - datetime.timedelta(days=1)

    response = post(signed_in, setup, next="1", start="later", at=f"{yesterday:%Y-%m-%dT%H:%M}")

    assert response.status_code == 400
    assert "Choose a date and time in the future." in response.content.decode()
    assert step(setup) == 4


def test_a_scheduled_start_needs_a_time(signed_in: Client, setup: Activatable) -> None:
    signed_in.get(url(setup))
    Activation.objects.update(step=4, confirmed_by=setup.user)

    response = post(signed_in, setup, next="1", start="later", at="")

    assert response.status_code == 400
    assert "Choose the date and time" in response.content.decode()


def test_a_scheduled_start_whose_time_passed_on_the_last_step_goes_back_to_step_4(
    signed_in: Client, setup: Activatable
) -> None:
    walk_to_step_5(signed_in, setup)
    Activation.objects.update(start="later", scheduled_for=timezone.now())

    post(signed_in, setup, finish="1")

    assert step(setup) == 4
    assert SyncLink.objects.count() == 0


def test_a_scheduled_start_may_finish_while_desktop_users_are_logged_in(
    signed_in: Client, setup: Activatable
) -> None:
    later = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Amsterdam")) + datetime.timedelta(
        days=1
    )
    walk_to_step_5(signed_in, setup, start="later", at=f"{later:%Y-%m-%dT%H:%M}")
    report = setup.database.report
    report["sessions"] = [{"user_id": 2, "username": "piet"}]
    CompanyDatabase.objects.filter(pk=setup.database.pk).update(report=report)

    post(signed_in, setup, finish="1")

    assert SyncRun.objects.get().state == SyncRun.State.SCHEDULED


def test_finish_now_is_refused_while_desktop_users_are_logged_in_and_names_them(
    signed_in: Client, setup: Activatable
) -> None:
    walk_to_step_5(signed_in, setup)
    report = setup.database.report
    report["sessions"] = [{"user_id": 2, "username": "piet", "host": "PC-2"}]
    CompanyDatabase.objects.filter(pk=setup.database.pk).update(report=report)

    response = post(signed_in, setup, finish="1")

    assert response.status_code == 409
    assert "piet" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert SyncLink.objects.count() == 0


def test_the_wizard_cannot_go_on_while_a_requirement_is_unmet(
    signed_in: Client, setup: Activatable
) -> None:
    CompanyDatabase.objects.filter(pk=setup.database.pk).update(kind="sample")

    response = signed_in.get(url(setup))

    assert response.status_code == 302
    assert response["Location"] == url(setup, "portal:activation_requirements")


def test_a_second_activation_of_a_connected_database_is_refused_with_the_reason(
    client: Client, signed_in: Client, setup: Activatable
) -> None:
    walk_to_step_5(signed_in, setup)
    post(signed_in, setup, finish="1")
    SyncLink.objects.update(state=SyncLink.State.CONNECTED)
    # A wizard started afresh (no row of the finished activation) meets the connected link.
    Activation.objects.all().delete()

    page = signed_in.get(url(setup))
    posted = signed_in.post(url(setup), {"step": 1, "next": "1"})

    assert page.status_code == 200
    assert "is already connected to Online Desktop (Connected)" in page.content.decode()
    assert posted.status_code == 409
    assert SyncRun.objects.count() == 1


def test_a_failed_first_sync_may_be_activated_again_from_an_empty_online_copy(
    signed_in: Client, setup: Activatable
) -> None:
    walk_to_step_5(signed_in, setup)
    post(signed_in, setup, finish="1")
    SyncRun.objects.update(state=SyncRun.State.FAILED, error="The host lost the database")
    SyncLink.objects.get().set_state(SyncLink.State.FAILED, "The host lost the database")
    # The copy had got half-way.
    Contact.objects.create(company=setup.database.company, name="Jansen", source_id=1)

    page = signed_in.get(url(setup))
    assert "Step 1 of 5" in page.content.decode()
    walk_to_step_5(signed_in, setup)
    post(signed_in, setup, finish="1")

    assert SyncLink.objects.get().state == SyncLink.State.SCHEDULED
    assert SyncRun.objects.count() == 2
    assert not Contact.objects.exists()


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_and_back(
    client: Client, setup: Activatable
) -> None:
    response = client.get(url(setup))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url(setup)}"


def test_guessing_the_password_is_limited_like_allauths_re_authentication(
    signed_in: Client, setup: Activatable
) -> None:
    signed_in.get(url(setup))
    Activation.objects.update(step=2)
    for _attempt in range(10):
        assert post(signed_in, setup, next="1", password="guess").status_code == 400

    limited = post(signed_in, setup, next="1", password=DEFAULT_PASSWORD)

    assert "Too many attempts" in limited.content.decode()
    assert step(setup) == 2
