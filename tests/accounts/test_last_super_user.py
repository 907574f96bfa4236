"""A company always keeps at least one super user: not demoted, removed or leaving, not even
when two super users act at the same moment."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from accounts.models import AccessProfile, LastSuperUser, Membership, RightsRefused
from accounts.rights import READ_ONLY
from tests.factories import CompanyFactory, MembershipFactory


def read_only() -> AccessProfile:
    return AccessProfile.objects.template(READ_ONLY)


@pytest.fixture
def admin(db: None) -> Membership:
    return MembershipFactory.create(is_super_user=True)


def test_the_last_super_user_cannot_demote_themselves(admin):
    with pytest.raises(LastSuperUser):
        admin.set_profile(read_only(), by=admin)
    admin.refresh_from_db()
    assert admin.is_super_user


def test_the_last_super_user_cannot_be_removed(admin):
    with pytest.raises(LastSuperUser):
        admin.remove(by=admin)
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_the_last_super_user_cannot_leave(admin):
    with pytest.raises(LastSuperUser):
        admin.leave()
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_with_a_second_super_user_one_may_be_demoted(admin):
    other = MembershipFactory.create(company=admin.company, is_super_user=True)

    other.set_profile(read_only(), by=admin)

    assert not other.is_super_user
    assert list(Membership.objects.super_users()) == [admin]


def test_a_super_user_of_another_company_does_not_count(admin):
    MembershipFactory.create(company=CompanyFactory.create(), is_super_user=True)
    with pytest.raises(LastSuperUser):
        admin.leave()


def test_a_plain_member_may_leave(admin):
    member = MembershipFactory.create(company=admin.company)
    member.leave()
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_a_demoted_super_user_can_no_longer_change_rights(admin):
    other = MembershipFactory.create(company=admin.company, is_super_user=True)
    member = MembershipFactory.create(company=admin.company)
    stale = Membership.objects.get(pk=other.pk)  # read before the demotion
    other.set_profile(read_only(), by=admin)

    with pytest.raises(RightsRefused, match="Only a super user"):
        member.remove(by=stale)


def _at_the_same_moment(
    first: Callable[[], None], second: Callable[[], None]
) -> list[BaseException | None]:
    """Runs `first` in a transaction that stays open a moment after it acted, and `second` in
    another connection while it is open; returns what each raised (None: it succeeded)."""
    first_acted = threading.Event()
    outcomes: list[BaseException | None] = [None, None]

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                first_acted.set()
                time.sleep(0.5)  # the other one arrives now, while this is not committed
        except BaseException as error:
            outcomes[0] = error
        finally:
            first_acted.set()
            connection.close()

    def run_second() -> None:
        first_acted.wait(timeout=10)
        try:
            second()
        except BaseException as error:
            outcomes[1] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_super_users_demoting_each_other_at_once_leave_one_super_user():
    company = CompanyFactory.create()
    alice = MembershipFactory.create(company=company, is_super_user=True)
    bob = MembershipFactory.create(company=company, is_super_user=True)
    profile = read_only()

    outcomes = _at_the_same_moment(
        lambda: bob.set_profile(profile, by=alice),
        lambda: alice.set_profile(profile, by=bob),
    )

    assert outcomes[0] is None
    assert isinstance(outcomes[1], RightsRefused)
    assert list(Membership.objects.filter(company=company).super_users()) == [alice]


@pytest.mark.django_db(transaction=True)
def test_two_super_users_leaving_at_once_leave_one_super_user():
    company = CompanyFactory.create()
    alice = MembershipFactory.create(company=company, is_super_user=True)
    bob = MembershipFactory.create(company=company, is_super_user=True)

    outcomes = _at_the_same_moment(alice.leave, bob.leave)

    assert outcomes[0] is None
    assert isinstance(outcomes[1], LastSuperUser)
    assert list(Membership.objects.filter(company=company).super_users()) == [bob]
