"""Company settings -> Online Desktop: the connection and its requirements, the sync host and
conflict policy, the conflict log, the history and the trace download."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from licensing.models import CompanyDatabase
from syncengine.models import Conflict, SyncLink, SyncRun
from tests.factories import DEFAULT_PASSWORD, Activatable, connect, make_activatable, make_host

pytestmark = pytest.mark.django_db

PAGE = "/company/online-desktop/"


@pytest.fixture
def setup(client: Client) -> Activatable:
    made = make_activatable()
    client.login(email=made.user.email, password=DEFAULT_PASSWORD)
    return made


def test_a_database_not_connected_is_shown_with_connect_and_its_requirements(
    client: Client, setup: Activatable
) -> None:
    CompanyDatabase.objects.filter(pk=setup.database.pk).update(edition="evaluation")

    page = client.get(PAGE).content.decode()

    assert "Not connected" in page
    assert reverse("portal:activation_requirements", args=[setup.licence_link.pk]) in page
    assert "requirement--unmet" in page
    assert "evaluation edition" in page


def test_a_connected_database_shows_its_state_and_who_connected_it(
    client: Client, setup: Activatable
) -> None:
    connect(setup)

    page = client.get(PAGE).content.decode()

    assert "synchronising continuously" in page
    assert f"Connected by {setup.user.name}" in page


def test_the_conflict_log_shows_both_values_and_the_rule_applied(
    client: Client, setup: Activatable
) -> None:
    link = connect(setup)
    Conflict.objects.create(
        link=link,
        table="contacts",
        source_id=42,
        field="city",
        company_value="Utrecht",
        online_value="Amersfoort",
        base_value="Zeist",
        rule="company_wins",
        winner=Conflict.Winner.COMPANY,
    )

    page = client.get(PAGE).content.decode()

    assert "contacts #42" in page
    assert "Utrecht" in page
    assert "Amersfoort" in page
    assert "The company database wins" in page
    assert "Company database won" in page


def test_the_history_lists_the_runs_with_their_errors(client: Client, setup: Activatable) -> None:
    link = connect(setup)
    SyncRun.objects.create(
        link=link, kind=SyncRun.Kind.INITIAL, state=SyncRun.State.FAILED, error="Piet is working"
    )

    page = client.get(PAGE).content.decode()

    assert "First synchronisation" in page
    assert "Failed" in page
    assert "Piet is working" in page


def test_the_trace_downloads_as_text_oldest_line_first(client: Client, setup: Activatable) -> None:
    link = connect(setup)
    link.trace("first line")
    link.trace("second line", level="warning")

    response = client.get(reverse("portal:online_desktop_trace", args=[setup.licence_link.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert body.index("info first line") < body.index("warning second line")


def test_the_conflict_policy_and_the_sync_host_can_be_changed(
    client: Client, setup: Activatable
) -> None:
    link = connect(setup)
    other = make_host(company=setup.database.company, database=setup.database)

    response = client.post(
        reverse("portal:online_desktop_sync_settings", args=[setup.licence_link.pk]),
        {"host": other.pk, "conflict_policy": SyncLink.Policy.ONLINE_WINS},
    )

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.conflict_policy == SyncLink.Policy.ONLINE_WINS
    assert link.host == other
    assert link.trace_lines.filter(message__contains="Conflict policy").exists()


def test_the_sync_host_does_not_change_under_a_running_synchronisation(
    client: Client, setup: Activatable
) -> None:
    link = connect(setup)
    SyncRun.objects.create(link=link, kind=SyncRun.Kind.INITIAL, state=SyncRun.State.RUNNING)
    other = make_host(company=setup.database.company, database=setup.database)

    client.post(
        reverse("portal:online_desktop_sync_settings", args=[setup.licence_link.pk]),
        {"host": other.pk, "conflict_policy": SyncLink.Policy.COMPANY_WINS},
    )

    link.refresh_from_db()
    assert link.host == setup.host


def test_a_host_of_another_company_cannot_be_chosen(client: Client, setup: Activatable) -> None:
    link = connect(setup)
    stranger = make_activatable()

    client.post(
        reverse("portal:online_desktop_sync_settings", args=[setup.licence_link.pk]),
        {"host": stranger.host.pk, "conflict_policy": SyncLink.Policy.COMPANY_WINS},
    )

    link.refresh_from_db()
    assert link.host == setup.host


def test_the_host_on_the_databases_own_computer_is_recommended_and_listed_first(
    client: Client, setup: Activatable
) -> None:
    from syncengine.models import HostDatabase

    connect(setup)
    local = make_host(company=setup.database.company, database=setup.database)
    HostDatabase.objects.filter(host=local).update(is_local=True)

    page = client.get(PAGE).content.decode()

    recommended = "recommended: on the database&#x27;s own computer"
    assert page.count(recommended) == 1
    assert page.index(local.name) < page.index(setup.host.name)
    assert page.index(recommended) > page.index(local.name)
    assert page.index(recommended) < page.index(setup.host.name)
