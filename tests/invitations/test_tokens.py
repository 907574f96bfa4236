from __future__ import annotations

import pytest
from django.core import serializers
from django.db import connection

from invitations.models import Invitation, InvitationEvent
from tests.invitations.conftest import Office, invite, last_link

pytestmark = pytest.mark.django_db


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def test_a_token_has_at_least_128_random_bits(office: Office) -> None:
    token = _token(invite(office, 1))

    # token_urlsafe(32): 32 random bytes, 43 characters of base64.
    assert len(token) >= 43


def test_tokens_are_never_stored_in_clear(office: Office) -> None:
    first = _token(invite(office, 1))
    second = _token(invite(office, 2))
    resent = Invitation.objects.get(person_id=2)
    office.client.post(f"/company/invitations/{resent.pk}/resend/")
    third = _token(invite(office, 3))
    tokens = [first, second, third, _token(last_link())]
    dump = serializers.serialize(
        "json", [*Invitation.objects.all(), *InvitationEvent.objects.all()]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM invitations_invitation")
        raw = repr(cursor.fetchall())

    assert Invitation.objects.count() == 4
    for token in tokens:
        assert token not in dump
        assert token not in raw


def test_two_invitations_get_different_tokens(office: Office) -> None:
    assert _token(invite(office, 1)) != _token(invite(office, 2))
