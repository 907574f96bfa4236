"""The REST API fuzzed from its own OpenAPI schema (schemathesis): two companies, each calling
with its own personal API token. For every operation and every generated call: no 5xx, every
answer is one the schema documents (status, content type, headers, body), no body of one
company's call holds the other company's records (their marked names or their ids), and a
company's call changes none of the other company's records.

A fixed, derandomized example budget per operation keeps it the same in every CI run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from requests.structures import CaseInsensitiveDict
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken, Membership
from licensing.models import Company
from portal.api import RECORD_ROUTES
from records.models import Contact, Order, Product, Record
from tests.factories import api_member
from tests.portal.api_cases import CASES

pytestmark = pytest.mark.django_db

# Generated calls per operation, each made by both callers: see the module's docstring.
# Only these: schemathesis' coverage phase (run as hypothesis' explicit examples) about
# doubled the file's time, beyond what CI can spend here.
EXAMPLES_PER_OPERATION = 25

# The field of each kind of record that carries its company's marker (see `seeded`).
MARKED_FIELD: dict[str, str] = {
    "contact": "name",
    "contact-person": "last_name",
    "product": "name",
    "order": "number",
    "order-line": "description",
    "activity": "subject",
    "time-sheet-line": "description",
    "invoice": "number",
}
MODEL_OF_PREFIX: dict[str, type[Record]] = {
    prefix: view.model for prefix, view, _name in RECORD_ROUTES
}
RELATED_NAME_OF_MODEL: dict[type[Record], str] = {
    view.model: view.related_name for _prefix, view, _name in RECORD_ROUTES
}
# The fields of a body that refer to another record by id, and that record's kind.
REFERENCES: dict[str, type[Record]] = {"contact": Contact, "order": Order, "product": Product}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Caller:
    """One company, its member's token, and the marker in its records' names."""

    membership: Membership
    secret: str
    marker: str

    @property
    def company(self) -> Company:
        return self.membership.company

    def ids(self, model: type[Record]) -> list[int]:
        related = getattr(self.company, RELATED_NAME_OF_MODEL[model])
        return sorted(related.values_list("pk", flat=True))

    def versions(self) -> dict[tuple[str, int], Any]:
        """Every record of the company, with its version: what another company's call must
        leave alone (`updated_at` is what `version` is made of)."""
        return {
            (model.__name__, pk): written
            for model in RELATED_NAME_OF_MODEL
            for pk, written in getattr(self.company, RELATED_NAME_OF_MODEL[model]).values_list(
                "pk", "updated_at"
            )
        }


def seeded(marker: str) -> Caller:
    """A company with two records of every work area (and those they refer to), every record's
    name field holding `marker`, and a super user's token."""
    membership = api_member(employee_id=1)
    for case in CASES:
        case.make(membership.company)
        case.make(membership.company)
    for case in CASES:
        view = next(view for _p, view, name in RECORD_ROUTES if name == case.basename)
        records = getattr(membership.company, view.related_name)
        for pk in records.values_list("pk", flat=True):
            records.filter(pk=pk).update(**{MARKED_FIELD[case.basename]: f"{marker}-{pk}"})
    _token, secret = ApiToken.issue(membership=membership, name="fuzz")
    return Caller(membership=membership, secret=secret, marker=marker)


@pytest.fixture(autouse=True)
def connection_kept_open() -> Iterator[None]:
    """The app is called as WSGI, whose end of a request closes the database connection: that
    would end the test's transaction. Django's test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def companies(settings: Any) -> tuple[Caller, Caller]:
    # The throttle would answer 429 to the fuzzer's hundreds of calls a minute: not what is
    # tested here (tests/portal/test_api_throttling.py is).
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}
    return seeded("ALFA7Q"), seeded("BRAVO7Q")


def the_served_schema() -> dict[str, Any]:
    """The schema /api/v1/schema/ serves, made the same way without a request: the tests are
    made from it while pytest collects them, before there is a database."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(the_served_schema())
schema.app = get_wsgi_application()


def test_the_fuzzed_schema_is_the_served_one(client: Any) -> None:
    response = client.get("/api/v1/schema/", {"format": "json"})

    assert response.json() == schema.raw_schema


def _pick(pool: list[Any], generated: Any) -> Any:
    """A member of `pool` chosen by a generated value, so that the choice shrinks and replays
    with it."""
    index = generated if isinstance(generated, int) else len(str(generated))
    return pool[abs(index) % len(pool)]


def _aim(case: schemathesis.Case, caller: Caller, other: Caller) -> Record | None:
    """Point the generated call at real records: an id in the path or a reference in the body
    becomes one of the caller's records, one of the other company's, or none; and If-Match is
    left out, wrong, "*" or the record's ETag. Returns the record the path names, if any."""
    prefix = case.path.split("/")[3]
    model = MODEL_OF_PREFIX.get(prefix)
    record: Record | None = None
    if model is not None and "id" in (case.path_parameters or {}):
        generated = case.path_parameters["id"]
        if isinstance(generated, int):
            pk = _pick([*caller.ids(model), *other.ids(model), 2_000_000_000], generated)
            case.path_parameters["id"] = pk
            record = model._default_manager.filter(pk=pk).first()
    if isinstance(case.body, dict):
        for field, target in REFERENCES.items():
            if isinstance(case.body.get(field), int):
                pool = [*caller.ids(target), *other.ids(target), 2_000_000_000]
                case.body[field] = _pick(pool, case.body[field])
    headers = CaseInsensitiveDict(case.headers or {})
    if "If-Match" in headers:
        generated = headers.pop("If-Match")
        choice = _pick(["absent", "as generated", "*", "current"], generated)
        if choice == "as generated":
            headers["If-Match"] = generated
        elif choice == "*":
            headers["If-Match"] = "*"
        elif choice == "current" and record is not None:
            headers["If-Match"] = f'"{record.version}"'
    headers["Authorization"] = f"Bearer {caller.secret}"
    case.headers = headers
    return record


def _walk(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _walk(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


def _assert_nothing_of(other: Caller, response: Any, path: str) -> None:
    """No marker of the other company in the body, and no id of its records where the body
    names a record of that kind."""
    text = (response.content or b"").decode()
    assert other.marker not in text, f"{path} answered with another company's record: {text}"
    if not text or "json" not in response.headers.get("content-type", [""])[0]:
        return
    model = MODEL_OF_PREFIX.get(path.split("/")[3])
    kinds = dict(REFERENCES)
    if model is not None:
        kinds["id"] = model
    for key, value in _walk(response.json()):
        if key in kinds and isinstance(value, int):
            assert value not in other.ids(kinds[key]), (
                f"{path} answered with another company's {key} {value}: {text}"
            )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema_and_each_company_to_its_own(
    case: schemathesis.Case, companies: tuple[Caller, Caller]
) -> None:
    first, second = companies
    for caller, other in ((first, second), (second, first)):
        call = case.derive()
        _aim(call, caller, other)
        untouched = other.versions()

        response = call.call()

        call.validate_response(response, checks=CHECKS)
        _assert_nothing_of(other, response, call.formatted_path)
        assert other.versions() == untouched, f"{call.method} {call.formatted_path} wrote"
