"""Each work area through the REST API: list, detail, create, change and delete, all through
records.services (so every write is queued for the company database)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portal.api import RECORD_ROUTES
from records.models import OutboxEntry, SyncState
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    InvoiceFactory,
    OrderFactory,
    ProductFactory,
    api_client,
    api_member,
)
from tests.portal.api_cases import CASES, WRITABLE, Case, a_working_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return api_member()


@pytest.fixture
def client(member):
    return api_client(member)


def etag(response) -> str:
    return response["ETag"]


def test_every_record_route_has_a_case():
    assert {case.basename for case in CASES} == {name for _p, _v, name in RECORD_ROUTES}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_list_shows_the_companys_records_with_their_version_and_sync_state(
    case: Case, member, client
):
    record = case.make(member.company)

    response = client.get(case.path)

    assert response.status_code == 200
    [row] = response.data["results"]
    assert row["id"] == record.pk
    assert row["version"] == record.version
    assert row["sync_state"] == "synced"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_detail_carries_the_records_version_as_its_etag(case: Case, member, client):
    record = case.make(member.company)

    response = client.get(case.detail(record.pk))

    assert response.status_code == 200
    assert response.data["id"] == record.pk
    assert etag(response) == f'"{record.version}"'


@pytest.mark.parametrize("case", WRITABLE, ids=str)
def test_a_new_record_is_made_and_queued_for_the_company_database(case: Case, member, client):
    response = client.post(case.path, case.new(member.company), format="json")

    assert response.status_code == 201, response.data
    record = type(case.make(member.company))._default_manager.get(pk=response.data["id"])
    assert record.company_id == member.company_id
    assert record.sync_state == SyncState.PENDING
    assert response.data["sync_state"] == "pending"
    assert response["Location"] == case.detail(record.pk)
    assert etag(response) == f'"{record.version}"'
    assert OutboxEntry.objects.filter(op="I", table=record.TABLE, record_id=record.pk).exists()


@pytest.mark.parametrize("case", WRITABLE, ids=str)
def test_a_patch_changes_one_field_and_queues_the_change(case: Case, member, client):
    record = case.make(member.company)
    field, value = case.change

    response = client.patch(
        case.detail(record.pk), {field: value}, format="json", HTTP_IF_MATCH=f'"{record.version}"'
    )

    assert response.status_code == 200, response.data
    assert response.data[field] == value
    record.refresh_from_db()
    assert etag(response) == f'"{record.version}"'
    entry = OutboxEntry.objects.get(op="U", table=record.TABLE, record_id=record.pk)
    assert list(entry.values) == [field]


@pytest.mark.parametrize("case", WRITABLE, ids=str)
def test_a_put_replaces_the_record(case: Case, member, client):
    record = case.make(member.company)
    current = client.get(case.detail(record.pk))
    field, value = case.change
    body = {**case.new(member.company), field: value}

    response = client.put(case.detail(record.pk), body, format="json", HTTP_IF_MATCH=etag(current))

    assert response.status_code == 200, response.data
    assert response.data[field] == value
    assert response.data["id"] == record.pk


@pytest.mark.parametrize("case", WRITABLE, ids=str)
def test_a_delete_removes_the_record_and_queues_the_delete(case: Case, member, client):
    record = case.make(member.company)

    response = client.delete(case.detail(record.pk), HTTP_IF_MATCH=f'"{record.version}"')

    assert response.status_code == 204
    assert not type(record)._default_manager.filter(pk=record.pk).exists()
    assert OutboxEntry.objects.filter(op="D", table=record.TABLE, record_id=record.pk).exists()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_invoices_are_read_only(method, member, client):
    invoice = next(case for case in CASES if case.basename == "invoice")
    record = InvoiceFactory.create(company=member.company)
    path = invoice.path if method == "post" else invoice.detail(record.pk)

    response = getattr(client, method)(
        path, {"paid": True}, format="json", HTTP_IF_MATCH=f'"{record.version}"'
    )

    assert response.status_code == 405
    record.refresh_from_db()
    assert record.paid is False


def test_money_is_a_decimal_string_and_times_are_utc(member, client):
    product = ProductFactory.create(company=member.company, price=Decimal("1234.50"))
    activity = ActivityFactory.create(company=member.company)

    price = client.get(f"/api/v1/products/{product.pk}/").data["price"]
    starts_at = client.get(f"/api/v1/activities/{activity.pk}/").data["starts_at"]

    assert price == "1234.50"
    assert starts_at.endswith("Z")
    assert datetime.datetime.fromisoformat(starts_at) == activity.starts_at


def test_a_time_with_an_offset_is_stored_as_the_same_moment(member, client):
    response = client.post(
        "/api/v1/activities/",
        {"subject": "Bellen", "kind": "call", "starts_at": "2026-05-01T10:00:00+02:00"},
        format="json",
    )
    assert response.status_code == 201
    assert response.data["starts_at"] == "2026-05-01T08:00:00Z"


def test_missing_and_bad_fields_are_a_400_naming_each_field(client):
    response = client.post("/api/v1/products/", {"price": "twelve"}, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"sku", "name", "price"}


def test_the_models_own_checks_are_a_400_under_the_apis_field_names(member, client, monkeypatch):
    # A check the company database's rules make in the model, after the serializer's checks.
    def refuse(**kwargs):
        raise ValidationError({"employee_source_id": ["No such employee."], "__all__": ["No."]})

    monkeypatch.setattr("portal.api.create_record", refuse)
    response = client.post(
        "/api/v1/time-sheet-lines/",
        {"employee_id": 9, "work_date": a_working_day().isoformat(), "hours": "1.00"},
        format="json",
    )
    assert response.status_code == 400
    assert response.data == {"employee_id": ["No such employee."], "non_field_errors": ["No."]}


def test_a_record_of_another_company_cannot_be_referred_to(member, client):
    foreign = ContactFactory.create()
    response = client.post(
        "/api/v1/contact-persons/", {"contact": foreign.pk, "last_name": "Bos"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.data) == {"contact"}


def test_a_contact_still_used_by_orders_is_a_409(member, client):
    order = OrderFactory.create(company=member.company)
    contact = order.contact

    version = f'"{contact.version}"'
    response = client.delete(f"/api/v1/contacts/{contact.pk}/", HTTP_IF_MATCH=version)

    assert response.status_code == 409
    assert "orders" in response.data["detail"]
    assert type(contact).objects.filter(pk=contact.pk).exists()


def test_a_refused_record_shows_the_company_databases_message(member, client):
    contact = ContactFactory.create(
        company=member.company, sync_state=SyncState.REJECTED, sync_message="Naam is te lang"
    )
    data = client.get(f"/api/v1/contacts/{contact.pk}/").data
    assert (data["sync_state"], data["sync_message"]) == ("rejected", "Naam is te lang")


def test_the_licence_is_read_for_the_tokens_company(member, client):
    response = client.get("/api/v1/licence/")
    assert response.status_code == 200
    assert response.data["company"]["name"] == member.company.name


# Found by the fuzzer (tests/portal/test_api_fuzz.py): an employee id beyond 64 bits was
# stored, and the database refused it (a 500).
@pytest.mark.parametrize("path", ["/api/v1/activities/", "/api/v1/time-sheet-lines/"])
def test_an_employee_id_beyond_64_bits_is_a_400(path):
    client = api_client(api_member(employee_id=1))
    body = {
        "employee_id": 2**63,
        "subject": "Bellen",
        "kind": "call",
        "starts_at": "2026-05-01T08:00:00Z",
        "work_date": a_working_day().isoformat(),
        "hours": "1.00",
    }

    response = client.post(path, body, format="json")

    assert response.status_code == 400
    assert "employee_id" in response.data
