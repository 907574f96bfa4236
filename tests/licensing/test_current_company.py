"""portal.company.current_membership: which company a request is about."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import Http404, HttpRequest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from portal.company import current_membership
from tests.factories import AgreementFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _request(user: User, company_id: int | None = None) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    if company_id is not None:
        request.session["company_id"] = company_id
    return request


def test_the_session_company_is_current_when_the_id_is_a_member_of_it() -> None:
    first = MembershipFactory.create(company__name="Alfa")
    second = MembershipFactory.create(user=first.user, company__name="Bravo")

    assert current_membership(_request(first.user)) == first
    assert current_membership(_request(first.user, second.company_id)) == second


def test_an_id_without_membership_is_404() -> None:
    with pytest.raises(Http404):
        current_membership(_request(UserFactory.create()))


def test_licence_page_follows_the_company_in_the_session(client: Client) -> None:
    first = MembershipFactory.create(company__name="Alfa", is_super_user=True)
    second = MembershipFactory.create(user=first.user, company__name="Bravo", is_super_user=True)
    AgreementFactory.create(company=first.company, number="ALFA-1")
    AgreementFactory.create(company=second.company, number="BRAVO-1")
    client.force_login(first.user)
    session = client.session
    session["company_id"] = second.company_id
    session.save()

    content = client.get(reverse("portal:licence")).content.decode()

    assert "BRAVO-1" in content
    assert "ALFA-1" not in content
