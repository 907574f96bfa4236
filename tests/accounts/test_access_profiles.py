"""Access profiles: templates are fixed, custom ones belong to a company, and nobody grants
more than they hold."""

from __future__ import annotations

import pytest

from accounts.models import (
    AccessProfile,
    Membership,
    ProfileInUse,
    RightsRefused,
    TemplateReadOnly,
)
from accounts.rights import SUPER_USER, Area, Level, Rights
from licensing.models import Company
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def custom(company: Company, name: str = "Warehouse", **areas: str) -> AccessProfile:
    profile = AccessProfile(company=company, name=name)
    profile.set_rights(Rights.of(areas or {Area.PRODUCTS: Level.FULL}))
    return profile


def test_a_template_cannot_be_edited():
    template = AccessProfile.objects.template("sales")
    template.name = "Sales (all)"
    with pytest.raises(TemplateReadOnly):
        template.save()
    with pytest.raises(TemplateReadOnly):
        template.set_rights(Rights.full())


def test_a_template_cannot_be_deleted():
    template = AccessProfile.objects.template("read_only")
    with pytest.raises(TemplateReadOnly):
        template.delete()
    assert AccessProfile.objects.filter(pk=template.pk).exists()


def test_a_custom_profile_in_use_cannot_be_deleted_and_says_why():
    company = CompanyFactory.create()
    profile = custom(company)
    MembershipFactory.create(company=company, profile=profile)

    with pytest.raises(ProfileInUse) as refused:
        profile.delete()
    assert "in use by 1 member" in str(refused.value.message)
    assert AccessProfile.objects.filter(pk=profile.pk).exists()


def test_a_custom_profile_nobody_holds_can_be_deleted():
    profile = custom(CompanyFactory.create())
    profile.delete()
    assert not AccessProfile.objects.filter(name="Warehouse").exists()


def test_deleting_a_company_takes_its_custom_profiles_and_memberships_along():
    company = CompanyFactory.create()
    MembershipFactory.create(company=company, profile=custom(company))
    MembershipFactory.create(company=company, is_super_user=True)

    company.delete()

    assert not Membership.objects.exists()
    assert not AccessProfile.objects.filter(company__isnull=False).exists()


def test_a_custom_profile_is_within_the_rights_that_cover_it():
    company = CompanyFactory.create()
    small = custom(company, "Small", products=Level.READ)
    large = custom(company, "Large", products=Level.FULL, orders=Level.READ)

    assert small.is_within(large)
    assert not large.is_within(small)


def test_nobody_grants_more_than_they_hold():
    company = CompanyFactory.create()
    granter = MembershipFactory.create(
        company=company, profile=custom(company, "Orders", orders="read")
    )

    assert granter.may_grant(custom(company, "Less", orders="read"))
    assert not granter.may_grant(custom(company, "More", orders="full"))
    assert not granter.may_grant(AccessProfile.objects.template(SUPER_USER))


def test_a_member_who_is_not_super_user_cannot_change_rights():
    company = CompanyFactory.create()
    MembershipFactory.create(company=company, is_super_user=True)
    member = MembershipFactory.create(company=company)
    plain = MembershipFactory.create(company=company)

    with pytest.raises(RightsRefused, match="Only a super user"):
        member.set_profile(AccessProfile.objects.template("read_only"), by=plain)


def test_a_super_user_may_grant_every_profile():
    company = CompanyFactory.create()
    admin = MembershipFactory.create(company=company, is_super_user=True)
    offered = list(AccessProfile.objects.offered_to(company))

    assert all(admin.may_grant(profile) for profile in offered)


def test_a_custom_profile_of_another_company_cannot_be_given():
    admin = MembershipFactory.create(is_super_user=True)
    member = MembershipFactory.create(company=admin.company)

    with pytest.raises(ValueError, match="another company"):
        member.set_profile(custom(CompanyFactory.create()), by=admin)


def test_the_templates_are_offered_first_then_the_company_s_own():
    company = CompanyFactory.create()
    custom(company, "Aardvark")
    custom(CompanyFactory.create(), "Foreign")

    names = [str(profile) for profile in AccessProfile.objects.offered_to(company)]

    assert names == [
        "Super user",
        "Sales",
        "Service",
        "Time registration",
        "Read only",
        "Aardvark",
    ]


def test_the_old_is_super_user_flag_still_reads_and_writes_the_profile():
    membership = MembershipFactory.create(is_super_user=True)
    assert membership.profile.template == SUPER_USER
    membership.is_super_user = False
    membership.save()
    membership.refresh_from_db()
    assert not membership.is_super_user
    assert membership.profile.template == "read_only"
    assert Membership.objects.super_users().count() == 0
