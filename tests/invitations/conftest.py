from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AccessProfile, Membership
from licensing.models import Company, CompanyDatabase
from tests.factories import (
    AgreementFactory,
    LicenceLinkFactory,
    MembershipFactory,
    PlanFactory,
    employees_report,
)

ANNA = (1, "Anna", "de Vries", "anna@example.nl")
BART = (2, "Bart", "Jansen", "bart@example.nl")
CEES = (3, "Cees", "Bakker", "cees@example.nl")
ACCEPT_LINK = r"http://testserver/invitation/[\w-]+/"


@dataclass
class Office:
    """A company whose Online Desktop licence is linked to a database with three employees,
    and its super user, signed in on `client`."""

    company: Company
    database: CompanyDatabase
    admin: Membership
    client: Client


def make_office(client: Client, *, seats: int = 10, name: str = "Bakkerij Jansen B.V.") -> Office:
    agreement = AgreementFactory.create(plan=PlanFactory.create(seats=seats), company__name=name)
    link = LicenceLinkFactory.create(
        agreement=agreement, database__report=employees_report(ANNA, BART, CEES)
    )
    admin = MembershipFactory.create(
        company=agreement.company, is_super_user=True, user__name="Sanne"
    )
    client.force_login(admin.user)
    return Office(company=agreement.company, database=link.database, admin=admin, client=client)


@pytest.fixture
def office(client: Client) -> Office:
    return make_office(client)


def template(key: str) -> AccessProfile:
    return AccessProfile.objects.template(key)


def invite(
    office: Office, person_id: int = 1, *, email: str = "", profile: str = "sales", **extra: str
) -> str:
    """Invites a person through the page; returns the link from the e-mail."""
    response = office.client.post(
        f"/company/users/{person_id}/",
        {
            "email": email or {1: ANNA, 2: BART, 3: CEES}[person_id][3],
            "message": extra.get("message", "Welkom!"),
            "profile": str(template(profile).pk),
        },
    )
    assert response.status_code == 302, response.content.decode()
    return last_link()


def last_link() -> str:
    body = str(mail.outbox[-1].body)
    match = re.search(ACCEPT_LINK, body)
    assert match, body
    return match.group(0)


def path_of(link: str) -> str:
    return link.removeprefix("http://testserver")
