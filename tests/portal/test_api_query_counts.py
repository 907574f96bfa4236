"""No N+1 in the REST API: a list page costs as many queries with many rows as with a few, and
a detail a small fixed number."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import api_client, api_member
from tests.portal.api_cases import CASES, Case

pytestmark = pytest.mark.django_db


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_list_costs_the_same_queries_for_3_rows_as_for_40(case: Case):
    member = api_member(employee_id=1)
    client = api_client(member)
    for _ in range(3):
        case.make(member.company)
    client.get(case.path)  # the first call notes the token's use: a write the next ones skip
    few = queries_of(client, case.path)

    for _ in range(37):
        case.make(member.company)
    many = queries_of(client, case.path)

    assert len(client.get(case.path).data["results"]) == 40
    assert many == few


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_detail_costs_a_few_queries(case: Case):
    member = api_member(employee_id=1)
    client = api_client(member)
    record = case.make(member.company)
    client.get(case.detail(record.pk))

    # The token with its membership, the agreement, the plan's work areas, the record, and the
    # throttle's count (six queries in the database cache of the embedded default; none on
    # Redis).
    assert queries_of(client, case.detail(record.pk)) <= 10
