"""The REST API answers 429 past its rate: counted per API token (or per signed-in ID), and per
address for calls without credentials."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiToken
from portal.api_auth import ApiRateThrottle
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


def test_the_count_slides_into_the_next_minute_and_retry_after_says_when_a_call_fits(
    three_a_minute, monkeypatch
):
    clock = [600.0 * 60 + 50]  # 50 s into a minute
    monkeypatch.setattr(ApiRateThrottle, "timer", staticmethod(lambda: clock[0]))
    client = api_client(api_member())
    assert statuses(client, "/api/v1/contacts/", 4) == [200, 200, 200, 429]

    clock[0] += 11  # 1 s into the next minute: the three calls were all within the last 60 s
    refused = client.get("/api/v1/contacts/")
    # The earlier minute's 3 calls count for the part of it still within 60 s: one fits again
    # once that part holds 2 of them, at 20 s into this minute.
    assert (refused.status_code, refused["Retry-After"]) == (429, "19")

    clock[0] += 19
    assert statuses(client, "/api/v1/contacts/", 2) == [200, 429]


def test_each_call_is_counted_however_many_the_rate_allows(monkeypatch):
    """No list of call times that grows with the rate: two counts in the cache per ID."""
    monkeypatch.setattr(ApiRateThrottle, "get_rate", lambda self: "1000000/minute")
    member = api_member()
    statuses(api_client(member), "/api/v1/contacts/", 6)

    token = ApiToken.objects.get(membership=member)
    key = ApiRateThrottle.cache_format % {"scope": "api", "ident": f"token-{token.pk}"}
    window = int(ApiRateThrottle.timer() // 60)
    counts = cache.get_many([f"{key}:{window}", f"{key}:{window - 1}"])
    assert sum(counts.values()) == 6
