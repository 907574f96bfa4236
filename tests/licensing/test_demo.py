"""The demo command's licensing part: company, plan, add-ons, agreement and super user."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import Membership
from licensing.models import AddOnProduct, Agreement, Company

pytestmark = pytest.mark.django_db


def test_demo_creates_the_licensed_demo_company_once(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path

    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())

    company = Company.objects.get()
    assert (company.name, company.time_zone, company.language) == (
        "De Vries Installatietechniek B.V.",
        "Europe/Amsterdam",
        "nl",
    )
    agreement = Agreement.objects.get()
    assert agreement.company == company
    assert agreement.is_valid()
    assert agreement.plan.seats == 10
    assert agreement.plan.services.count() == 6
    assert agreement.grants(AddOnProduct.objects.get(code=AddOnProduct.ONLINE_DESKTOP))
    assert agreement.grants(AddOnProduct.objects.get(code="webshop-connector"))
    membership = Membership.objects.get()
    assert membership.company == company
    assert membership.is_super_user
    assert membership.user.email == agreement.holder_email
