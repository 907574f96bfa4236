"""A company always keeps at least one super user: not demoted, removed or leaving, not even
when two super users act at the same moment."""

from __future__ import annotations

import pytest

from accounts.models import AccessProfile, LastSuperUser, Membership, RightsRefused
from accounts.rights import READ_ONLY
from tests.concurrency import at_the_same_moment
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


@pytest.mark.django_db(transaction=True)
def test_two_super_users_demoting_each_other_at_once_leave_one_super_user():
    company = CompanyFactory.create()
    alice = MembershipFactory.create(company=company, is_super_user=True)
    bob = MembershipFactory.create(company=company, is_super_user=True)
    profile = read_only()

    outcomes = at_the_same_moment(
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

    outcomes = at_the_same_moment(alice.leave, bob.leave)

    assert outcomes[0] is None
    assert isinstance(outcomes[1], LastSuperUser)
    assert list(Membership.objects.filter(company=company).super_users()) == [bob]
