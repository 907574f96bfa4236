"""Every page that takes an object id, walked with the ids of another company's objects: each
answers 404 (a method a page does not take may answer 405), never the object, never a 403
that would tell it exists. A new route with an argument nobody knows fails here until a maker
for its objects is added below."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import AccessProfile, ApiToken
from invitations.models import Invitation
from licensing.models import LicenceLink
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    ContactPersonFactory,
    InvoiceFactory,
    OrderFactory,
    ProductFactory,
    TimesheetLineFactory,
    make_host,
    member,
)
from tests.invitations.conftest import Office, invite, make_office
from tests.urlwalk import Route, routes

pytestmark = pytest.mark.django_db

# Routes whose argument is not an object of ours (tokens are looked up by hash, admin is
# staff); the API's routes have their own walk, with every method, in test_api_isolation.py.
NOT_COMPANY_OBJECTS = ("admin/", "accounts/signup/confirm/", "invitation/", "api/")


def _objects_of(theirs: Office) -> dict[str, Callable[[], int]]:
    """Argument name -> a maker of one of `theirs`' objects, returning its id."""
    company = theirs.company
    contact = ContactFactory.create(company=company)
    return {
        "link_id": lambda: LicenceLink.objects.get(database=theirs.database).pk,
        "member_id": lambda: member(company=company, template="sales").pk,
        "profile_id": lambda: (
            AccessProfile.objects.create(
                company=company, name="Theirs", rights_json={"areas": {"contacts": "read"}}
            ).pk
        ),
        "invitation_id": lambda: _invitation_of(theirs),
        "host_id": lambda: make_host(company=company, database=theirs.database).pk,
        "contact_id": lambda: contact.pk,
        "person_id": lambda: ContactPersonFactory.create(company=company, contact=contact).pk,
        "activity_id": lambda: ActivityFactory.create(company=company, contact=contact).pk,
        "line_id": lambda: TimesheetLineFactory.create(company=company).pk,
        # Products, orders, invoices (an order line's own walk: tests/portal/test_orders.py).
        "product_id": lambda: ProductFactory.create(company=company).pk,
        "order_id": lambda: OrderFactory.create(company=company, contact=contact).pk,
        "token_id": lambda: ApiToken.issue(membership=theirs.admin, name="Theirs")[0].pk,
        "invoice_id": lambda: InvoiceFactory.create(company=company, contact=contact).pk,
    }


def _invitation_of(theirs: Office) -> int:
    invite(theirs, 1)
    return Invitation.objects.get(company=theirs.company).pk


def _routes_with_ids() -> list[Route]:
    return [
        route
        for route in routes()
        if route.arguments and not route.pattern.startswith(NOT_COMPANY_OBJECTS)
    ]


def test_every_page_with_an_id_answers_404_for_another_companys_object() -> None:
    ours = make_office(Client(), name="Ons B.V.")
    theirs = make_office(Client(), name="Hun B.V.")
    makers = _objects_of(theirs)
    unknown = {a for r in _routes_with_ids() for a in r.arguments if a not in makers}
    assert not unknown, f"add a maker of another company's object for: {unknown}"

    # One object per kind, made when a route first needs it. The people of the user
    # administration are employees in the host's report: theirs has one ours lacks.
    theirs.database.report["employees"].append(
        {"id": 77, "first_name": "Vera", "last_name": "Vreemd", "email": "vera@hun.nl"}
    )
    theirs.database.save()
    ids: dict[str, int] = {}
    answers = {}
    for route in _routes_with_ids():
        for argument in route.arguments:
            if argument not in ids:
                ids[argument] = makers[argument]()
        values = {argument: ids[argument] for argument in route.arguments}
        if route.name == "user_detail":
            values["person_id"] = 77
        path = route.path(**values)
        answers[path] = (ours.client.get(path).status_code, ours.client.post(path).status_code)

    # 405 answers a method a page does not take before anything is looked up; one of the two
    # methods must reach the lookup and find nothing.
    wrong = {
        path: statuses
        for path, statuses in answers.items()
        if not set(statuses) <= {404, 405} or 404 not in statuses
    }
    assert not wrong, wrong
    assert len(answers) >= 25  # the walk really walked
