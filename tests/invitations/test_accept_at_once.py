"""Two tabs, or a double click: two accepts of one invitation at the same moment, each in its
own connection, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Membership, User
from invitations.models import IdExists, Invitation, InvitationClosed, InvitationEvent
from tests.concurrency import at_the_same_moment
from tests.factories import UserFactory
from tests.invitations.conftest import invite, make_office

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_accepts_by_one_id_at_once_make_one_membership() -> None:
    office = make_office(Client())
    invite(office, 1)
    anna = UserFactory.create(email="anna@example.nl")
    in_tab_one = Invitation.objects.get()
    in_tab_two = Invitation.objects.get()

    outcomes = at_the_same_moment(
        lambda: in_tab_one.accept(user=anna), lambda: in_tab_two.accept(user=anna)
    )

    assert outcomes[0] is None
    assert isinstance(outcomes[1], InvitationClosed)
    assert Membership.objects.filter(user=anna, company=office.company).count() == 1
    assert InvitationEvent.objects.filter(kind="accepted").count() == 1


def test_two_new_id_submits_at_once_make_one_id_and_one_membership() -> None:
    office = make_office(Client())
    invite(office, 1)
    in_tab_one = Invitation.objects.get()
    in_tab_two = Invitation.objects.get()

    def create_in(invitation: Invitation) -> Callable[[], object]:
        return lambda: invitation.accept_with_new_id(
            name="Anna", password="een-lang-wachtwoord-77", language="nl"
        )

    outcomes = at_the_same_moment(create_in(in_tab_one), create_in(in_tab_two))

    assert outcomes[0] is None
    assert isinstance(outcomes[1], (IdExists, InvitationClosed))
    assert User.objects.filter(email="anna@example.nl").count() == 1
    assert Membership.objects.filter(company=office.company).count() == 2  # admin and Anna
