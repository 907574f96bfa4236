"""The prerequisites of activating Online Desktop, each red and green, read from the sync
host's report and the portal's rows."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessProfile
from accounts.rights import READ_ONLY
from licensing.models import Agreement, CompanyDatabase
from portal.activation import check_requirements
from syncengine.models import SyncHost
from tests.factories import DEFAULT_PASSWORD, Activatable, make_activatable

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup() -> Activatable:
    return make_activatable()


def requirement(setup: Activatable, code: str) -> Any:
    setup.database.refresh_from_db()
    setup.membership.refresh_from_db()
    checked = check_requirements(
        licence_link=setup.licence_link, membership=setup.membership, immediate=True
    )
    [found] = [item for item in checked if item.code == code]
    return found


def edit_report(setup: Activatable, change: Callable[[dict[str, Any]], None]) -> None:
    report = setup.database.report
    change(report)
    CompanyDatabase.objects.filter(pk=setup.database.pk).update(report=report)


def test_a_complete_setup_meets_every_requirement(setup: Activatable) -> None:
    checked = check_requirements(
        licence_link=setup.licence_link, membership=setup.membership, immediate=True
    )
    assert checked.all_met
    assert [item.code for item in checked] == [
        "agreement",
        "database",
        "super_user",
        "desktop_super_user",
        "company_details",
        "host",
        "sessions",
        "api_clients",
        "open_transactions",
    ]


@pytest.mark.parametrize(
    ("change", "advice"),
    [
        ({"status": Agreement.Status.SUSPENDED}, "not valid today"),
        ({"valid_from": datetime.date(1999, 1, 1), "valid_to": datetime.date(2000, 1, 1)}, "valid"),
        ({"is_evaluation": True}, "evaluation"),
    ],
)
def test_an_agreement_that_is_not_valid_or_an_evaluation_is_red(
    setup: Activatable, change: dict[str, Any], advice: str
) -> None:
    assert requirement(setup, "agreement").met
    Agreement.objects.filter(pk=setup.licence_link.agreement_id).update(**change)

    found = requirement(setup, "agreement")

    assert not found.met
    assert advice in found.advice


def test_an_agreement_without_online_desktop_is_red(setup: Activatable) -> None:
    setup.licence_link.agreement.granted_add_ons.all().delete()

    found = requirement(setup, "agreement")

    assert not found.met
    assert "does not include" in found.advice


def test_a_sample_database_is_red_and_says_so(setup: Activatable) -> None:
    assert requirement(setup, "database").met
    CompanyDatabase.objects.filter(pk=setup.database.pk).update(kind="sample")

    found = requirement(setup, "database")

    assert not found.met
    assert "sample database" in found.advice


def test_an_evaluation_edition_is_red(setup: Activatable) -> None:
    CompanyDatabase.objects.filter(pk=setup.database.pk).update(edition="evaluation")

    found = requirement(setup, "database")

    assert not found.met
    assert "evaluation edition" in found.advice


def test_a_member_who_is_not_super_user_is_red(setup: Activatable) -> None:
    assert requirement(setup, "super_user").met
    setup.membership.profile = AccessProfile.objects.template(READ_ONLY)
    setup.membership.save()

    assert not requirement(setup, "super_user").met


def test_an_id_whose_email_is_no_desktop_super_users_employee_is_red(setup: Activatable) -> None:
    assert requirement(setup, "desktop_super_user").met

    def make_ordinary(report: dict[str, Any]) -> None:
        report["users"][0]["is_super_user"] = False

    edit_report(setup, make_ordinary)
    found = requirement(setup, "desktop_super_user")

    assert not found.met
    assert setup.user.email in found.advice
    assert "not the desktop program's login" in found.advice


def test_the_email_of_a_desktop_super_user_matches_without_regard_to_case(
    setup: Activatable,
) -> None:
    edit_report(setup, lambda r: r["employees"][0].update(email=setup.user.email.upper()))

    assert requirement(setup, "desktop_super_user").met


def test_an_employee_email_linked_to_an_ordinary_desktop_user_is_red(setup: Activatable) -> None:
    edit_report(setup, lambda r: r["employees"][1].update(email=setup.user.email))
    edit_report(setup, lambda r: r["employees"][0].update(email="other@example.nl"))

    assert not requirement(setup, "desktop_super_user").met


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("name", "Name"),
        ("org_number", "Registration number"),
        ("street", "Street"),
        ("postcode", "Postcode"),
        ("city", "City"),
        ("country", "Country"),
        ("phone", "Phone"),
        ("email", "E-mail"),
        ("licence_contact_name", "Licence contact name"),
        ("licence_contact_phone", "Licence contact phone"),
    ],
)
def test_each_missing_company_detail_is_red_and_named(
    setup: Activatable, key: str, label: str
) -> None:
    assert requirement(setup, "company_details").met
    edit_report(setup, lambda r: r["settings"].update({key: "  "}))

    found = requirement(setup, "company_details")

    assert not found.met
    assert found.names == (label,)
    assert label in found.advice


def test_an_offline_sync_host_is_red_and_named(setup: Activatable) -> None:
    assert requirement(setup, "host").met
    SyncHost.objects.filter(pk=setup.host.pk).update(
        last_heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )

    found = requirement(setup, "host")

    assert not found.met
    assert setup.host.name in found.advice


def test_no_sync_host_reaching_the_database_is_red(setup: Activatable) -> None:
    SyncHost.objects.filter(pk=setup.host.pk).update(removed_at=timezone.now())

    found = requirement(setup, "host")

    assert not found.met
    assert "No sync host" in found.advice


def test_logged_in_desktop_users_are_red_and_named(setup: Activatable) -> None:
    assert requirement(setup, "sessions").met
    edit_report(
        setup,
        lambda r: r["sessions"].extend(
            [{"user_id": 2, "username": "piet", "host": "PC-2"}, {"user_id": 1, "username": "demi"}]
        ),
    )

    found = requirement(setup, "sessions")

    assert not found.met
    assert found.names == ("demi", "piet")
    assert "demi, piet" in found.advice


def test_enabled_api_clients_are_red_and_named(setup: Activatable) -> None:
    assert requirement(setup, "api_clients").met
    edit_report(setup, lambda r: r["api_clients"][0].update(is_enabled=True))

    found = requirement(setup, "api_clients")

    assert not found.met
    assert found.names == ("Webshop",)


def test_a_desktop_transaction_left_open_is_red_and_named(setup: Activatable) -> None:
    assert requirement(setup, "open_transactions").met
    edit_report(
        setup,
        lambda r: r.__setitem__(
            "open_transactions", [{"pid": 4242, "user": "desk", "application": "Kassa"}]
        ),
    )

    found = requirement(setup, "open_transactions")

    assert not found.met
    assert found.names == ("Kassa (process 4242)",)
    assert "Kassa (process 4242)" in found.advice


def test_a_scheduled_start_leaves_sessions_and_api_clients_to_its_time(
    setup: Activatable,
) -> None:
    edit_report(setup, lambda r: r["api_clients"][0].update(is_enabled=True))
    setup.database.refresh_from_db()

    checked = check_requirements(
        licence_link=setup.licence_link, membership=setup.membership, immediate=False
    )

    assert checked.all_met
    assert "api_clients" not in [item.code for item in checked]


def test_the_page_shows_an_unmet_requirement_in_red_with_what_to_do(
    client: Client, setup: Activatable
) -> None:
    CompanyDatabase.objects.filter(pk=setup.database.pk).update(kind="sample")
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)

    response = client.get(reverse("portal:activation_requirements", args=[setup.licence_link.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "requirement--unmet" in page
    assert "is a sample database: only a production database can be activated" in page
    assert reverse("portal:activate", args=[setup.licence_link.pk]) not in page


def test_the_page_offers_to_continue_when_every_requirement_is_met(
    client: Client, setup: Activatable
) -> None:
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)

    response = client.get(reverse("portal:activation_requirements", args=[setup.licence_link.pk]))

    page = response.content.decode()
    assert "requirement--unmet" not in page
    assert reverse("portal:activate", args=[setup.licence_link.pk]) in page


def test_check_again_asks_the_sync_host_for_a_fresh_report_on_its_queue(
    client: Client,
    setup: Activatable,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from syncengine import tasks

    sent: list[tuple[list[int], str]] = []
    monkeypatch.setattr(
        tasks.refresh_host_report,
        "apply_async",
        lambda args, queue, expires: sent.append((args, queue)),
    )
    client.login(email=setup.user.email, password=DEFAULT_PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:activation_requirements", args=[setup.licence_link.pk])
        )

    assert response.status_code == 302
    assert sent == [([setup.host.pk], setup.host.queue)]
