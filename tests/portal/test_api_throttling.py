"""The REST API answers 429 past its rate: counted per API token (or per signed-in ID), and per
address for calls without credentials."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import api_client, api_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/minute", "api_anonymous": "2/minute"},
    }


def statuses(client: APIClient, path: str, times: int) -> list[int]:
    return [client.get(path).status_code for _ in range(times)]


def test_a_token_past_its_rate_is_answered_429_with_retry_after(three_a_minute):
    client = api_client(api_member())

    assert statuses(client, "/api/v1/contacts/", 4) == [200, 200, 200, 429]
    assert int(client.get("/api/v1/contacts/")["Retry-After"]) > 0


def test_each_token_has_its_own_count(three_a_minute):
    member = api_member()
    first, second = api_client(member), api_client(member)
    statuses(first, "/api/v1/contacts/", 3)
    assert statuses(second, "/api/v1/contacts/", 1) == [200]
    assert statuses(first, "/api/v1/contacts/", 1) == [429]


def test_the_browsers_session_is_counted_per_id(three_a_minute):
    member = api_member()
    browser = APIClient()
    browser.force_login(member.user)
    assert statuses(browser, "/api/v1/products/", 4) == [200, 200, 200, 429]


def test_calls_without_credentials_are_counted_per_address(three_a_minute):
    visitor = APIClient()
    assert statuses(visitor, "/api/v1/schema/", 3) == [200, 200, 429]
