"""The pages' rights matrix: every access-profile template x every work area, reading (the
area's list) and writing (its page for a new record), exactly as the template's rights say."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.rights import AREAS, TEMPLATES, Level
from portal.templatetags.company import AREA_PAGES
from tests.factories import member

pytestmark = pytest.mark.django_db

# Invoices are read-only online: no page makes one.
NEW_RECORD_PAGES = {
    "contacts": "portal:contact_add",
    "products": "portal:product_add",
    "orders": "portal:order_add",
    "activities": "portal:activity_add",
    "time_sheets": "portal:time_sheet_add",
}


def test_every_work_area_has_a_page_in_the_menu() -> None:
    assert set(AREA_PAGES) == set(AREAS)
    assert set(NEW_RECORD_PAGES) == set(AREAS) - {"invoices"}


@pytest.mark.parametrize("area", AREAS)
@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_reads_and_writes_each_area_as_its_rights_say(
    template: str, area: str
) -> None:
    rights = TEMPLATES[template].rights
    client = Client()
    client.force_login(member(template=template, employee_id=1).user)

    read = client.get(reverse(AREA_PAGES[area])).status_code
    assert read == (200 if rights.allows(area, Level.READ) else 403)
    if area in NEW_RECORD_PAGES:
        write = client.get(reverse(NEW_RECORD_PAGES[area])).status_code
        assert write == (200 if rights.allows(area, Level.FULL) else 403)
