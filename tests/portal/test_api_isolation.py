"""Two companies through the REST API: every API route taking an id answers 404 for the other
company's records, whatever the method, and no list shows the other company's rows."""

from __future__ import annotations

import pytest

from tests.factories import api_client, api_member
from tests.portal.api_cases import CASES, Case
from tests.urlwalk import routes

pytestmark = pytest.mark.django_db

API_ROUTES_WITH_AN_ID = sorted(
    (route for route in routes() if route.pattern.startswith("api/") and route.arguments),
    key=lambda route: route.pattern,
)


def case_of(pattern: str) -> Case:
    return next(case for case in CASES if pattern == f"{case.path.lstrip('/')}<int:pk>/")


def test_the_walk_finds_every_record_route_and_each_has_a_case():
    assert len(API_ROUTES_WITH_AN_ID) == len(CASES)
    for route in API_ROUTES_WITH_AN_ID:
        assert route.arguments == ("pk",)
        case_of(route.pattern)  # raises StopIteration for a route without a case


@pytest.fixture
def ours():
    return api_member(employee_id=1)


@pytest.fixture
def theirs():
    return api_member(employee_id=1)


@pytest.mark.parametrize("route", API_ROUTES_WITH_AN_ID, ids=lambda route: route.pattern)
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_another_companys_record_is_a_404(route, method, ours, theirs):
    case = case_of(route.pattern)
    foreign = case.make(theirs.company)
    client = api_client(ours)

    response = getattr(client, method)(
        route.path(pk=foreign.pk),
        case.new(ours.company) if method in ("put", "patch") else None,
        format="json",
        HTTP_IF_MATCH=f'"{foreign.version}"',
    )

    expected = 404 if case.writable or method == "get" else 405
    assert response.status_code == expected
    assert type(foreign)._default_manager.get(pk=foreign.pk).version == foreign.version


@pytest.mark.parametrize("case", CASES, ids=str)
def test_no_list_shows_another_companys_rows(case: Case, ours, theirs):
    mine = case.make(ours.company)
    case.make(theirs.company)

    rows = api_client(ours).get(case.path).data["results"]

    assert [row["id"] for row in rows] == [mine.pk]
