"""Company settings -> Members and Access profiles, leaving a company."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AccessProfile, Membership
from accounts.rights import READ_ONLY, Area, Level, Rights
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> Membership:
    return MembershipFactory.create(is_super_user=True, company__name="De Vries B.V.")


def signed_in(client: Client, membership: Membership) -> Client:
    client.force_login(membership.user)
    return client


def custom(membership: Membership, name: str = "Warehouse") -> AccessProfile:
    profile = AccessProfile(company=membership.company, name=name)
    profile.set_rights(Rights.of({Area.PRODUCTS: Level.FULL}))
    return profile


ADMIN_PAGES = [
    ("portal:members", False),
    ("portal:member_edit", True),
    ("portal:member_remove", True),
    ("portal:profiles", False),
    ("portal:profile_add", False),
]


@pytest.mark.parametrize(("name", "takes_member"), ADMIN_PAGES)
def test_settings_pages_are_403_for_a_member_who_is_not_super_user(
    client, admin, name, takes_member
):
    member = MembershipFactory.create(company=admin.company)
    args = [admin.pk] if takes_member else []
    assert signed_in(client, member).get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse(name, args=args)).status_code == 403


def test_a_member_of_another_company_is_a_404(client, admin):
    foreign = MembershipFactory.create()
    for name in ("portal:member_edit", "portal:member_remove"):
        assert signed_in(client, admin).get(reverse(name, args=[foreign.pk])).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_the_members_page_lists_members_with_their_profile(client, admin):
    MembershipFactory.create(company=admin.company, user__name="Piet Jansen")
    page = signed_in(client, admin).get(reverse("portal:members")).text
    assert "Piet Jansen" in page
    assert "Read only" in page
    assert "one super user" in page


def test_a_super_user_gives_a_member_another_profile(client, admin):
    member = MembershipFactory.create(company=admin.company)
    sales = AccessProfile.objects.template("sales")

    response = signed_in(client, admin).post(
        reverse("portal:member_edit", args=[member.pk]), {"profile": sales.pk}
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.profile == sales


def test_a_custom_profile_of_another_company_is_not_offered(client, admin):
    member = MembershipFactory.create(company=admin.company)
    foreign = custom(MembershipFactory.create(is_super_user=True), "Foreign")

    response = signed_in(client, admin).post(
        reverse("portal:member_edit", args=[member.pk]), {"profile": foreign.pk}
    )

    assert response.status_code == 400
    member.refresh_from_db()
    assert member.profile.template == READ_ONLY


def test_the_last_super_user_rule_is_explained_and_enforced_on_the_page(client, admin):
    url = reverse("portal:member_edit", args=[admin.pk])
    assert "only super user" in signed_in(client, admin).get(url).text

    response = client.post(url, {"profile": AccessProfile.objects.template(READ_ONLY).pk})

    assert response.status_code == 409
    assert "always keeps at least one super user" in response.text
    admin.refresh_from_db()
    assert admin.is_super_user


def test_a_super_user_removes_a_member_after_confirming(client, admin):
    member = MembershipFactory.create(company=admin.company)
    url = reverse("portal:member_remove", args=[member.pk])
    assert signed_in(client, admin).get(url).status_code == 200
    assert Membership.objects.filter(pk=member.pk).exists()

    assert client.post(url).status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_the_last_super_user_cannot_be_removed_on_the_page(client, admin):
    response = signed_in(client, admin).post(reverse("portal:member_remove", args=[admin.pk]))
    assert response.status_code == 409
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_any_member_may_leave_the_company(client, admin):
    member = MembershipFactory.create(company=admin.company)
    response = signed_in(client, member).post(reverse("portal:leave"))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_the_last_super_user_is_told_why_they_cannot_leave(client, admin):
    page = signed_in(client, admin).get(reverse("portal:leave"))
    assert "cannot leave" in page.text
    assert client.post(reverse("portal:leave")).status_code == 409
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_the_profiles_page_shows_templates_and_the_company_s_own(client, admin):
    custom(admin)
    custom(MembershipFactory.create(is_super_user=True), "Foreign")
    page = signed_in(client, admin).get(reverse("portal:profiles")).text
    assert "Time registration" in page
    assert "Warehouse" in page
    assert "Foreign" not in page


def test_a_super_user_creates_a_custom_profile(client, admin):
    data = {f"area_{area}": "none" for area in Area.values}
    data |= {"name": "Orders desk", "area_orders": "full", "function_orders__orders": "on"}

    response = signed_in(client, admin).post(reverse("portal:profile_add"), data)

    assert response.status_code == 302
    profile = AccessProfile.objects.get(company=admin.company, name="Orders desk")
    assert profile.rights == Rights.of({Area.ORDERS: Level.FULL}, ["orders.orders"])


def test_a_custom_profile_cannot_give_full_rights_on_invoices(client, admin):
    data = {f"area_{area}": "none" for area in Area.values}
    data |= {"name": "Bookkeeping", "area_invoices": "full"}

    response = signed_in(client, admin).post(reverse("portal:profile_add"), data)

    assert response.status_code == 400
    assert not AccessProfile.objects.filter(name="Bookkeeping").exists()


def test_a_function_without_its_level_is_refused_with_the_reason(client, admin):
    data = {f"area_{area}": "none" for area in Area.values}
    data |= {"name": "Cleaner", "area_contacts": "read", "function_contacts__delete": "on"}

    response = signed_in(client, admin).post(reverse("portal:profile_add"), data)

    assert response.status_code == 400
    assert "needs at least Full rights on Contacts" in response.text


def test_a_super_user_edits_a_custom_profile(client, admin):
    profile = custom(admin)
    data = {f"area_{area}": "read" for area in Area.values}
    data["name"] = "Warehouse (read)"

    response = signed_in(client, admin).post(
        reverse("portal:profile_edit", args=[profile.pk]), data
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.name == "Warehouse (read)"
    assert profile.rights.level(Area.PRODUCTS) == Level.READ


def test_templates_have_no_edit_or_delete_page(client, admin):
    template = AccessProfile.objects.template("sales")
    signed_in(client, admin)
    for name in ("portal:profile_edit", "portal:profile_delete"):
        assert client.get(reverse(name, args=[template.pk])).status_code == 404
        assert client.post(reverse(name, args=[template.pk]), {"name": "x"}).status_code == 404
    assert AccessProfile.objects.filter(pk=template.pk).exists()


def test_another_company_s_custom_profile_is_a_404(client, admin):
    foreign = custom(MembershipFactory.create(is_super_user=True), "Foreign")
    signed_in(client, admin)
    assert client.post(reverse("portal:profile_delete", args=[foreign.pk])).status_code == 404
    assert AccessProfile.objects.filter(pk=foreign.pk).exists()


def test_deleting_a_profile_in_use_is_refused_with_the_reason(client, admin):
    profile = custom(admin)
    MembershipFactory.create(company=admin.company, profile=profile, user__name="Piet Jansen")
    url = reverse("portal:profile_delete", args=[profile.pk])

    page = signed_in(client, admin).get(url).text
    assert "cannot be deleted while members hold it" in page
    assert "Piet Jansen" in page
    response = client.post(url)

    assert response.status_code == 409
    assert "in use by 1 member" in response.text
    assert AccessProfile.objects.filter(pk=profile.pk).exists()


def test_deleting_a_profile_nobody_holds_works(client, admin):
    profile = custom(admin)
    response = signed_in(client, admin).post(reverse("portal:profile_delete", args=[profile.pk]))
    assert response.status_code == 302
    assert not AccessProfile.objects.filter(pk=profile.pk).exists()


def test_the_pages_use_no_inline_style_or_script(client, admin):
    profile = custom(admin)
    signed_in(client, admin)
    for url in (
        reverse("portal:members"),
        reverse("portal:member_edit", args=[admin.pk]),
        reverse("portal:profiles"),
        reverse("portal:profile_add"),
        reverse("portal:profile_edit", args=[profile.pk]),
        reverse("portal:leave"),
        reverse("portal:dashboard"),
    ):
        page = client.get(url).text
        assert " style=" not in page, url
        assert "<script>" not in page, url
        assert " onclick" not in page, url


def test_company_id_is_never_taken_from_a_company_the_id_left(client, admin):
    member = MembershipFactory.create(company=admin.company)
    other = MembershipFactory.create(user=member.user, company=CompanyFactory.create(name="Zeta"))
    signed_in(client, member).post(reverse("portal:leave"))
    assert client.get(reverse("portal:dashboard")).context["membership"] == other
