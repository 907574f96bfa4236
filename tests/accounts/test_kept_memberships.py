"""An ID's memberships are kept in the cache between requests, and forgotten the moment one of
them, its company or its access profile changes: rights taken away are gone at the next
request."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import KEPT_MEMBERSHIPS, AccessProfile, Membership, User
from accounts.rights import Area, Level, Rights
from portal.employees import link_employee
from tests.factories import (
    CompanyFactory,
    LicenceLinkFactory,
    MembershipFactory,
    employees_report,
    member,
    queries_of,
    signed_in,
)

pytestmark = pytest.mark.django_db


def test_the_second_request_asks_the_cache_not_the_database() -> None:
    client = signed_in(member())

    queries = queries_of(client, "/contacts/")

    assert [sql for sql in queries if "accounts_membership" in sql] == []


def test_a_demoted_super_user_loses_the_members_page_at_the_next_request() -> None:
    boss = member()
    other = member(company=boss.company)
    client = signed_in(boss)
    assert client.get("/company/members/").status_code == 200

    boss.set_profile(AccessProfile.objects.template("read_only"), by=other)

    assert client.get("/company/members/").status_code == 403


def test_a_custom_profile_losing_an_area_closes_it_for_every_member_holding_it() -> None:
    boss = member()
    warehouse = AccessProfile(company=boss.company, name="Warehouse")
    warehouse.set_rights(Rights.of({Area.PRODUCTS: Level.FULL, Area.CONTACTS: Level.READ}))
    holders = [MembershipFactory.create(company=boss.company, profile=warehouse) for _ in range(2)]
    clients = [signed_in(holder) for holder in holders]
    assert [client.get("/contacts/").status_code for client in clients] == [200, 200]

    warehouse.set_rights(Rights.of({Area.PRODUCTS: Level.FULL}))

    assert [client.get("/contacts/").status_code for client in clients] == [403, 403]


def test_a_removed_member_finds_the_company_gone_at_the_next_request() -> None:
    boss = member()
    leaver = member(company=boss.company, template="sales")
    client = signed_in(leaver)
    assert client.get("/contacts/").status_code == 200

    leaver.remove(by=boss)

    assert client.get("/contacts/").status_code == 404


def test_a_renamed_company_shows_its_new_name_at_the_next_request() -> None:
    boss = member(company=CompanyFactory.create(name="Bakkerij Jansen"))
    client = signed_in(boss)
    assert "Bakkerij Jansen" in client.get("/").content.decode()

    company = boss.company
    company.name = "Jansen Brood & Banket"
    company.save()

    page = client.get("/").content.decode()
    assert "Jansen Brood &amp; Banket" in page
    assert "Bakkerij Jansen" not in page


def test_a_new_default_company_is_the_one_the_id_opens_at_its_next_sign_in() -> None:
    first = member(company=CompanyFactory.create(name="Alfa"), is_default=True)
    second = member(company=CompanyFactory.create(name="Beta"), user=first.user)
    assert "selected>Alfa</option>" in signed_in(first).get("/").content.decode()

    second.make_default()

    assert "selected>Beta</option>" in signed_in(first).get("/").content.decode()


def test_a_bare_update_of_a_membership_applies_at_the_next_request() -> None:
    boss = member()
    other = member(company=boss.company)
    client = signed_in(boss)
    assert client.get("/company/members/").status_code == 200

    Membership.objects.filter(pk=boss.pk).update(
        profile=AccessProfile.objects.template("read_only")
    )

    assert client.get("/company/members/").status_code == 403
    assert other.user.memberships_by_name()[0].is_super_user


def test_an_employee_learned_for_a_member_is_kept_from_then_on() -> None:
    newcomer = member(user__email="piet@example.nl")
    LicenceLinkFactory.create(
        agreement=newcomer.company.current_agreement(),
        database__report=employees_report((2, "Piet", "Bakker", "piet@example.nl")),
    )
    assert newcomer.user.memberships_by_name()[0].employee_id is None

    assert link_employee(newcomer) == 2

    assert User.objects.get(pk=newcomer.user_id).memberships_by_name()[0].employee_id == 2


def test_what_a_request_read_before_the_change_committed_is_forgotten_at_the_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    boss = member()
    leaver = member(company=boss.company, template="sales")
    user = User.objects.get(pk=leaver.user_id)
    kept = user.memberships_by_name()

    with django_capture_on_commit_callbacks(execute=True):
        leaver.remove(by=boss)
        # Another request, which still saw the old rows, keeps its answer before the commit:
        cache.set(KEPT_MEMBERSHIPS.key(user.pk), kept)

    assert user.memberships_by_name() == []
    assert not Membership.objects.filter(pk=leaver.pk).exists()


def test_the_list_is_read_from_the_database_once_it_is_forgotten() -> None:
    boss = member()
    user = User.objects.get(pk=boss.user_id)
    assert len(user.memberships_by_name()) == 1
    with CaptureQueriesContext(connection) as kept:
        user.memberships_by_name()
    KEPT_MEMBERSHIPS.forget([user.pk])
    with CaptureQueriesContext(connection) as read:
        user.memberships_by_name()

    assert (memberships_read(kept), memberships_read(read)) == (0, 1)


def memberships_read(queries: CaptureQueriesContext) -> int:
    """How many of `queries` read memberships (the embedded default's cache is the database:
    its own queries do not count)."""
    return sum("accounts_membership" in query["sql"] for query in queries)
