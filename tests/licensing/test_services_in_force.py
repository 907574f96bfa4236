"""The work areas in force are kept in the cache between requests, and forgotten the moment an
agreement of the company or the services of its plan change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing.models import KEPT_SERVICES, Agreement, Company, Service
from tests.factories import AgreementFactory, PlanFactory, member, signed_in

pytestmark = pytest.mark.django_db

ALL_AREAS = {"contacts", "activities", "products", "orders", "invoices", "time_sheets"}


def test_the_second_read_asks_the_cache_not_the_database() -> None:
    company = AgreementFactory.create().company
    assert Company.objects.get(pk=company.pk).services_in_force() == ALL_AREAS

    with CaptureQueriesContext(connection) as queries:
        assert Company.objects.get(pk=company.pk).services_in_force() == ALL_AREAS

    assert [query["sql"] for query in queries if "licensing_service" in query["sql"]] == []


def test_a_suspended_agreement_closes_the_work_areas_at_the_next_request() -> None:
    boss = member()
    client = signed_in(boss)
    assert client.get("/contacts/").status_code == 200

    agreement = Agreement.objects.get(company=boss.company)
    agreement.status = Agreement.Status.SUSPENDED
    agreement.save()

    assert client.get("/contacts/").status_code == 403


def test_a_new_agreement_with_a_smaller_plan_applies_at_once() -> None:
    boss = member()
    client = signed_in(boss)
    assert client.get("/orders/").status_code == 200

    AgreementFactory.create(
        company=boss.company, plan=PlanFactory.create(services=[contacts()]), add_ons=[]
    )

    assert (client.get("/contacts/").status_code, client.get("/orders/").status_code) == (200, 403)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda plan: plan.services.remove(orders()), id="plan.services.remove"),
        pytest.param(lambda plan: orders().plans.remove(plan), id="service.plans.remove"),
        pytest.param(lambda plan: plan.services.set([contacts()]), id="plan.services.set"),
        pytest.param(lambda plan: plan.services.clear(), id="plan.services.clear"),
        pytest.param(lambda plan: orders().plans.clear(), id="service.plans.clear"),
    ],
)
def test_a_plan_losing_a_service_closes_its_area_for_every_company_on_it(
    change: Callable[[Any], None],
) -> None:
    plan = PlanFactory.create()
    first = member(company=AgreementFactory.create(plan=plan).company)
    second = member(company=AgreementFactory.create(plan=plan).company)
    clients = [signed_in(first), signed_in(second)]
    assert [client.get("/orders/").status_code for client in clients] == [200, 200]

    change(plan)

    assert [client.get("/orders/").status_code for client in clients] == [403, 403]


def test_what_a_request_read_before_the_change_committed_is_forgotten_at_the_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    agreement = AgreementFactory.create()
    company = Company.objects.get(pk=agreement.company_id)
    assert company.services_in_force() == ALL_AREAS

    with django_capture_on_commit_callbacks(execute=True):
        agreement.status = Agreement.Status.CANCELLED
        agreement.save()
        # Another request, which still saw the old rows, keeps its answer before the commit:
        cache.set(KEPT_SERVICES.key(company.pk), frozenset(ALL_AREAS))

    assert Company.objects.get(pk=company.pk).services_in_force() == frozenset()


def contacts() -> Service:
    return Service.objects.get(code=Service.Code.CONTACTS)


def orders() -> Service:
    return Service.objects.get(code=Service.Code.ORDERS)
