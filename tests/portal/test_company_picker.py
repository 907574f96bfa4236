"""Several companies per ID: the picker, the default company at sign-in, the header, and the
area guard for pages of a work area."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import AccessProfile, Membership
from portal.company import area_required, current_membership
from tests.factories import DEFAULT_PASSWORD, AgreementFactory, CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two() -> tuple[Membership, Membership]:
    alfa = MembershipFactory.create(company__name="Alfa B.V.", is_super_user=True)
    bravo = MembershipFactory.create(user=alfa.user, company__name="Bravo B.V.")
    return alfa, bravo


def test_the_header_shows_the_current_company(client: Client, two):
    alfa, _bravo = two
    client.force_login(alfa.user)
    page = client.get(reverse("portal:dashboard")).text
    header = page[page.index("<header") : page.index("</header>")]
    assert "Alfa B.V." in header
    assert 'name="company"' in header  # the picker, since the ID has two companies


def test_the_header_of_an_id_with_one_company_shows_it_without_a_picker(client: Client):
    only = MembershipFactory.create(company__name="Solo B.V.")
    client.force_login(only.user)
    page = client.get(reverse("portal:dashboard")).text
    header = page[page.index("<header") : page.index("</header>")]
    assert "Solo B.V." in header
    assert 'name="company"' not in header


def test_the_picker_switches_the_current_company(client: Client, two):
    alfa, bravo = two
    client.force_login(alfa.user)

    response = client.post(reverse("portal:company_switch"), {"company": bravo.company_id})

    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).context["membership"] == bravo
    # A page of super users follows: Bravo's member is not one.
    assert client.get(reverse("portal:members")).status_code == 403


def test_the_picker_refuses_a_foreign_company_with_404(client: Client, two):
    alfa, _bravo = two
    foreign = CompanyFactory.create()
    client.force_login(alfa.user)

    response = client.post(reverse("portal:company_switch"), {"company": foreign.pk})

    assert response.status_code == 404
    assert client.get(reverse("portal:dashboard")).context["membership"] == alfa


def test_the_picker_answers_only_post(client: Client, two):
    client.force_login(two[0].user)
    assert client.get(reverse("portal:company_switch")).status_code == 405


def test_the_default_company_is_current_after_sign_in(client: Client, two):
    alfa, bravo = two
    bravo.make_default()

    response = client.post(
        reverse("account_login"), {"login": alfa.user.email, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).context["membership"] == bravo


def test_making_a_company_the_default_in_the_picker_moves_the_default(client: Client, two):
    alfa, bravo = two
    alfa.make_default()
    client.force_login(alfa.user)

    client.post(
        reverse("portal:company_switch"), {"company": bravo.company_id, "make_default": "1"}
    )

    assert list(Membership.objects.filter(is_default=True)) == [bravo]


def test_a_session_company_the_id_is_no_longer_member_of_falls_back_to_the_default(two):
    alfa, bravo = two
    bravo.make_default()
    request = RequestFactory().get("/")
    request.user = alfa.user
    request.session = SessionStore()
    request.session["company_id"] = CompanyFactory.create().pk

    assert current_membership(request) == bravo


@area_required("orders", "full")
def _orders_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return HttpResponse(membership.company.name)


def _request_of(membership: Membership) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = membership.user
    request.session = SessionStore()
    return request


def test_area_required_lets_in_a_member_with_the_right():
    member = MembershipFactory.create(profile=AccessProfile.objects.template("sales"))
    AgreementFactory.create(company=member.company)
    assert _orders_page(_request_of(member)).content == member.company.name.encode()


def test_area_required_is_403_for_a_member_without_the_right():
    member = MembershipFactory.create(profile=AccessProfile.objects.template("read_only"))
    AgreementFactory.create(company=member.company)
    with pytest.raises(PermissionDenied):
        _orders_page(_request_of(member))


def test_area_required_is_403_when_the_plan_lacks_the_area_even_for_a_super_user():
    member = MembershipFactory.create(is_super_user=True)  # no agreement at all
    with pytest.raises(PermissionDenied):
        _orders_page(_request_of(member))


def test_area_required_refuses_an_unknown_area_when_the_view_is_declared():
    with pytest.raises(ValueError, match="Unknown work area"):
        area_required("payroll")
