"""The OpenAPI 3 schema describes every route and validates; Swagger UI is served from our own
static files, under the site's CSP."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.portal.api_cases import CASES
from tests.portal.test_content_security_policy import script_sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid schema


def test_the_schema_has_every_work_area_with_its_writes(schema):
    for case in CASES:
        detail = schema["paths"][f"{case.path}{{id}}/"]
        assert "get" in schema["paths"][case.path]
        if case.writable:
            assert {"get", "put", "patch", "delete"} <= set(detail)
            if_match = [p for p in detail["patch"]["parameters"] if p["name"] == "If-Match"]
            assert if_match == [if_match[0] | {"in": "header", "required": True}]
        else:
            assert set(detail) == {"get"}
            assert "post" not in schema["paths"][case.path]


def test_the_schema_names_the_bearer_token(schema):
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "od_...",
    }


def test_the_docs_page_loads_swagger_ui_from_our_static_files_without_inline_code(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    sources = [
        source
        for source in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
        if "?script" not in source  # the set-up script, from this view: see below
    ]
    assert sources
    assert all(source.startswith(settings.STATIC_URL) for source in sources)  # no CDN
    assert all(finders.find(source.removeprefix(settings.STATIC_URL)) for source in sources)
    assert "swagger-ui-bundle.js" in page
    assert "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # every script is a file
    assert " style=" not in page
    assert "'unsafe-inline'" not in script_sources(response)


def test_the_docs_set_up_script_is_served_as_a_script_of_our_own(client):
    page = client.get("/api/v1/docs/").content.decode()
    [script_url] = [url for url in re.findall(r'src="([^"]+)"', page) if "script" in url]

    response = client.get(script_url.replace("&amp;", "&"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in response.content.decode()
    assert "/api/v1/schema/" in response.content.decode()


def test_a_change_documents_the_record_it_answers_and_every_refusal(schema):
    operations = schema["paths"]["/api/v1/contacts/{id}/"]
    for method in ("put", "patch"):
        answers = operations[method]["responses"]
        assert answers["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Contact"
        }
        assert {"400", "401", "403", "404", "409", "412", "428", "429"} <= set(answers)
    assert {"204", "404", "409", "412", "428"} <= set(operations["delete"]["responses"])
    assert {"400", "401", "404"} <= set(schema["paths"]["/api/v1/contacts/"]["get"]["responses"])


# Found by the fuzzer (tests/portal/test_api_fuzz.py): the site's HTML page answered.
@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/contacts/abc/", "/api/v1/activities/a%0Ab/"])
def test_a_path_under_the_api_that_is_no_route_is_a_json_404(method, path):
    response = getattr(APIClient(), method)(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
