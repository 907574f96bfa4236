"""membership.can / may: every predefined template in every work area, limited by the plan."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AccessProfile, rights_for
from accounts.rights import AREAS, FUNCTIONS, TEMPLATES, Area, Level, Rights
from licensing.models import Service
from tests.factories import AgreementFactory, MembershipFactory, PlanFactory

pytestmark = pytest.mark.django_db

R, W = Level.READ, Level.FULL

# What each template may do per work area: (may read, may write). Written out by hand, so a
# change to a template shows up here as a deliberate change of the product.
EXPECTED = {
    "super_user": {
        "contacts": (1, 1),
        "activities": (1, 1),
        "products": (1, 1),
        "orders": (1, 1),
        "invoices": (1, 0),
        "time_sheets": (1, 1),
    },
    "sales": {
        "contacts": (1, 1),
        "activities": (1, 1),
        "products": (1, 0),
        "orders": (1, 1),
        "invoices": (1, 0),
        "time_sheets": (1, 1),
    },
    "service": {
        "contacts": (1, 0),
        "activities": (1, 1),
        "products": (1, 0),
        "orders": (1, 0),
        "invoices": (0, 0),
        "time_sheets": (1, 1),
    },
    "time_registration": {
        "contacts": (1, 0),
        "activities": (0, 0),
        "products": (0, 0),
        "orders": (0, 0),
        "invoices": (0, 0),
        "time_sheets": (1, 1),
    },
    "read_only": {
        "contacts": (1, 0),
        "activities": (1, 0),
        "products": (1, 0),
        "orders": (1, 0),
        "invoices": (1, 0),
        "time_sheets": (1, 0),
    },
}

EXPECTED_FUNCTIONS = {
    "super_user": {"contacts.delete", "orders.orders", "time_sheets.all"},
    "sales": {"orders.orders"},
    "service": set(),
    "time_registration": set(),
    "read_only": {"time_sheets.all"},
}


def test_the_matrix_covers_every_template_and_every_work_area():
    assert set(EXPECTED) == set(TEMPLATES)
    assert all(set(areas) == set(AREAS) for areas in EXPECTED.values())


@pytest.mark.parametrize("template", list(TEMPLATES))
@pytest.mark.parametrize("area", AREAS)
def test_a_template_allows_exactly_its_levels_when_the_plan_has_every_area(template, area):
    membership = MembershipFactory.create(profile=AccessProfile.objects.template(template))
    AgreementFactory.create(company=membership.company)
    may_read, may_write = EXPECTED[template][area]

    assert membership.can(area, R) is bool(may_read)
    assert membership.can(area, W) is bool(may_write)


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_a_template_holds_exactly_its_functions(template):
    membership = MembershipFactory.create(profile=AccessProfile.objects.template(template))
    AgreementFactory.create(company=membership.company)

    assert {code for code in FUNCTIONS if membership.may(code)} == EXPECTED_FUNCTIONS[template]


def test_an_area_outside_the_plan_is_unavailable_even_to_a_super_user():
    membership = MembershipFactory.create(is_super_user=True)
    plan = PlanFactory.create(services=list(Service.objects.filter(code=Area.CONTACTS)))
    AgreementFactory.create(company=membership.company, plan=plan)

    assert membership.can(Area.CONTACTS, W)
    assert not membership.can(Area.ORDERS, R)
    assert not membership.may("orders.orders")
    assert rights_for(membership).level(Area.ORDERS) == Level.NONE


def test_nothing_is_available_without_a_valid_agreement():
    membership = MembershipFactory.create(is_super_user=True)
    AgreementFactory.create(
        company=membership.company,
        valid_from=timezone.localdate() - datetime.timedelta(days=400),
        valid_to=timezone.localdate() - datetime.timedelta(days=35),
    )

    assert not any(membership.can(area, R) for area in AREAS)


def test_invoices_cannot_be_given_more_than_read():
    with pytest.raises(ValidationError, match="at most Read"):
        Rights.of({Area.INVOICES: Level.FULL})


def test_a_function_needs_the_level_it_builds_on():
    with pytest.raises(ValidationError, match="needs at least Full"):
        Rights.of({Area.CONTACTS: Level.READ}, ["contacts.delete"])
    assert Rights.of({Area.CONTACTS: Level.FULL}, ["contacts.delete"]).has("contacts.delete")


def test_unknown_areas_levels_and_functions_are_refused_together():
    with pytest.raises(ValidationError) as refused:
        Rights.from_json({"areas": {"payroll": "full", "orders": "admin"}, "functions": ["x"]})
    assert len(refused.value.messages) == 3


def test_stored_rights_survive_a_round_trip():
    rights = Rights.of(
        {Area.ORDERS: Level.FULL, Area.TIME_SHEETS: Level.READ},
        ["orders.orders", "time_sheets.all"],
    )
    assert Rights.from_json(rights.to_json()) == rights


def test_an_unknown_area_is_a_programming_error_not_a_no():
    membership = MembershipFactory.create()
    with pytest.raises(ValueError, match="Unknown work area"):
        membership.can("payroll", R)
