"""The REST API keeps the pages' rights: every predefined template x every work area x read
and write, the functions inside an area, and the plan's work areas."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import AccessProfile
from accounts.rights import TEMPLATES, Area, Level, Rights
from licensing.models import Service
from records.models import Order, TimesheetLine
from tests.factories import (
    AgreementFactory,
    ContactFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    PlanFactory,
    TimesheetLineFactory,
    UserFactory,
    api_client,
    api_member,
)
from tests.portal.api_cases import CASES, Case, a_working_day

pytestmark = pytest.mark.django_db

# (may read, may write) per template and work area, written out by hand (as in
# tests/accounts/test_rights_matrix.py), so the API is checked against the product's rule and
# not against the code it runs.
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

MATRIX = [(template, case) for template in TEMPLATES for case in CASES]


def test_the_matrix_covers_every_template_and_work_area():
    assert set(EXPECTED) == set(TEMPLATES)
    assert all(set(areas) == set(Area.values) for areas in EXPECTED.values())


def member(template: str):
    # Linked to employee 1, whose hours the time-sheet cases make.
    return api_member(template, employee_id=1)


@pytest.mark.parametrize(("template", "case"), MATRIX, ids=lambda value: str(value))
def test_reading_a_work_area(template: str, case: Case):
    membership = member(template)
    record = case.make(membership.company)
    client = api_client(membership)
    may_read = EXPECTED[template][case.area][0]

    listed = client.get(case.path)
    detail = client.get(case.detail(record.pk))

    assert listed.status_code == (200 if may_read else 403)
    assert detail.status_code == (200 if may_read else 403)


@pytest.mark.parametrize(("template", "case"), MATRIX, ids=lambda value: str(value))
def test_writing_a_work_area(template: str, case: Case):
    membership = member(template)
    record = case.make(membership.company)
    client = api_client(membership)
    may_write = EXPECTED[template][case.area][1]
    field, value = case.change

    created = client.post(case.path, case.new(membership.company), format="json")
    changed = client.patch(
        case.detail(record.pk), {field: value}, format="json", HTTP_IF_MATCH=f'"{record.version}"'
    )

    if not case.writable:  # invoices: read-only for everyone
        assert (created.status_code, changed.status_code) == (405, 405)
    elif may_write:
        assert (created.status_code, changed.status_code) == (201, 200)
    else:
        assert (created.status_code, changed.status_code) == (403, 403)
        assert not type(record)._default_manager.exclude(pk=record.pk).exists()


# --- functions inside a work area -------------------------------------------------------------


def custom_member(areas: dict[str, str], functions: tuple[str, ...] = (), **fields):
    membership = api_member("read_only", **fields)
    profile = AccessProfile(company=membership.company, name="Custom")
    profile.set_rights(Rights.of(areas, functions))
    membership.profile = profile
    membership.save()
    return membership


def test_deleting_a_contact_needs_the_delete_function():
    sales = member("sales")  # Full on contacts, without "May delete contacts"
    contact = ContactFactory.create(company=sales.company)
    version = f'"{contact.version}"'

    refused = api_client(sales).delete(f"/api/v1/contacts/{contact.pk}/", HTTP_IF_MATCH=version)
    boss = MembershipFactory.create(company=sales.company, is_super_user=True)
    allowed = api_client(boss).delete(f"/api/v1/contacts/{contact.pk}/", HTTP_IF_MATCH=version)

    assert (refused.status_code, allowed.status_code) == (403, 204)


@pytest.fixture
def quotes_only():
    return custom_member({Area.CONTACTS: Level.READ, Area.ORDERS: Level.FULL})


def test_without_the_orders_function_a_quote_is_made_but_an_order_is_not(quotes_only):
    client = api_client(quotes_only)
    contact = ContactFactory.create(company=quotes_only.company)
    new = {"number": "O-9", "contact": contact.pk, "order_date": "2026-05-01"}

    quote = client.post("/api/v1/orders/", {**new, "status": "quote"}, format="json")
    order = client.post("/api/v1/orders/", {**new, "status": "order"}, format="json")

    assert (quote.status_code, order.status_code) == (201, 403)
    assert list(Order.objects.values_list("status", flat=True)) == ["quote"]


def test_without_the_orders_function_a_quote_is_not_made_an_order(quotes_only):
    quote = OrderFactory.create(company=quotes_only.company, status="quote")
    response = api_client(quotes_only).patch(
        f"/api/v1/orders/{quote.pk}/",
        {"status": "order"},
        format="json",
        HTTP_IF_MATCH=f'"{quote.version}"',
    )
    assert response.status_code == 403
    quote.refresh_from_db()
    assert quote.status == "quote"


@pytest.mark.parametrize(("status", "expected"), [("quote", 200), ("order", 403)])
def test_without_the_orders_function_only_a_quotes_lines_change(quotes_only, status, expected):
    line = OrderLineFactory.create(company=quotes_only.company, order__status=status)
    client = api_client(quotes_only)

    changed = client.patch(
        f"/api/v1/order-lines/{line.pk}/",
        {"quantity": "5.000"},
        format="json",
        HTTP_IF_MATCH=f'"{line.version}"',
    )
    added = client.post(
        "/api/v1/order-lines/",
        {"order": line.order_id, "description": "Extra", "unit_price": "1.00"},
        format="json",
    )
    line.refresh_from_db()
    deleted = client.delete(f"/api/v1/order-lines/{line.pk}/", HTTP_IF_MATCH=f'"{line.version}"')

    assert changed.status_code == expected
    assert added.status_code == (201 if expected == 200 else 403)
    assert deleted.status_code == (204 if expected == 200 else 403)


def test_with_the_orders_function_an_order_is_changed():
    sales = member("sales")
    order = OrderFactory.create(company=sales.company, status="order")
    response = api_client(sales).patch(
        f"/api/v1/orders/{order.pk}/",
        {"notes": "Spoed"},
        format="json",
        HTTP_IF_MATCH=f'"{order.version}"',
    )
    assert response.status_code == 200


# --- own hours ----------------------------------------------------------------------------------


def test_without_everyones_hours_a_member_sees_only_their_own():
    member_ = member("time_registration")  # employee 1
    own = TimesheetLineFactory.create(company=member_.company, employee_source_id=1)
    theirs = TimesheetLineFactory.create(company=member_.company, employee_source_id=2)
    client = api_client(member_)

    listed = [row["id"] for row in client.get("/api/v1/time-sheet-lines/").data["results"]]

    assert listed == [own.pk]
    assert client.get(f"/api/v1/time-sheet-lines/{theirs.pk}/").status_code == 404
    response = client.patch(
        f"/api/v1/time-sheet-lines/{theirs.pk}/",
        {"hours": "1.00"},
        format="json",
        HTTP_IF_MATCH=f'"{theirs.version}"',
    )
    assert response.status_code == 404


def test_without_everyones_hours_a_member_writes_only_their_own():
    member_ = member("time_registration")
    client = api_client(member_)
    day = {"work_date": a_working_day().isoformat(), "hours": "4.00"}

    own = client.post("/api/v1/time-sheet-lines/", day, format="json")
    theirs = client.post("/api/v1/time-sheet-lines/", {**day, "employee_id": 2}, format="json")

    assert (own.status_code, theirs.status_code) == (201, 403)
    assert own.data["employee_id"] == 1
    assert list(TimesheetLine.objects.values_list("employee_source_id", flat=True)) == [1]

    line = TimesheetLine.objects.get()
    moved = client.patch(
        f"/api/v1/time-sheet-lines/{line.pk}/",
        {"employee_id": 2},
        format="json",
        HTTP_IF_MATCH=f'"{line.version}"',
    )
    assert moved.status_code == 403


def test_a_member_linked_to_no_employee_has_no_hours_without_everyones_hours():
    member_ = api_member("time_registration")  # employee_id None
    TimesheetLineFactory.create(company=member_.company, employee_source_id=1)
    client = api_client(member_)

    assert client.get("/api/v1/time-sheet-lines/").data["results"] == []
    response = client.post(
        "/api/v1/time-sheet-lines/",
        {"work_date": a_working_day().isoformat(), "hours": "4.00", "employee_id": 1},
        format="json",
    )
    assert response.status_code == 403


def test_with_everyones_hours_a_member_sees_everyones():
    auditor = member("read_only")  # has "Everyone's hours"
    for employee in (1, 2):
        TimesheetLineFactory.create(company=auditor.company, employee_source_id=employee)
    rows = api_client(auditor).get("/api/v1/time-sheet-lines/").data["results"]
    assert sorted(row["employee_id"] for row in rows) == [1, 2]


# --- the plan -----------------------------------------------------------------------------------


def test_a_work_area_outside_the_plan_is_403_even_for_a_super_user():
    plan = PlanFactory.create(services=list(Service.objects.exclude(code=Area.PRODUCTS)))
    agreement = AgreementFactory.create(plan=plan)
    boss = MembershipFactory.create(company=agreement.company, is_super_user=True)
    client = api_client(boss)
    assert client.get("/api/v1/products/").status_code == 403
    assert client.get("/api/v1/contacts/").status_code == 200


def test_a_session_without_a_membership_is_404():
    client = APIClient()
    client.force_login(UserFactory.create(password=None))
    assert client.get("/api/v1/contacts/").status_code == 404
