from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from invitations import services
from invitations.models import Invitation
from tests.factories import UserFactory
from tests.invitations.conftest import Office, invite, make_office, template

pytestmark = pytest.mark.django_db


def _html(message: mail.EmailMessage) -> str:
    assert isinstance(message, mail.EmailMultiAlternatives)
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(content)


def test_the_mail_says_who_invites_to_which_company_with_message_link_and_expiry(
    client: Client,
) -> None:
    office = make_office(client)
    office.company.language = "en"
    office.company.save()

    link = invite(office, 1, message="Tot maandag, <Anna>!")

    message = mail.outbox[-1]
    invitation = Invitation.objects.get()
    assert message.subject == "Online Desktop: Sanne invites you to Bakkerij Jansen B.V."
    expiry = timezone.localtime(invitation.expires_at, timezone=None)
    for body in (str(message.body), _html(message)):
        assert "Anna de Vries" in body
        assert "Sanne" in body
        assert "Bakkerij Jansen B.V." in body
        assert "Sales" in body
        assert link in body
        assert str(expiry.year) in body
    assert "Tot maandag, <Anna>!" in str(message.body)
    # The personal message is text, never markup, in the HTML part.
    assert "Tot maandag, &lt;Anna&gt;!" in _html(message)
    assert f'href="{link}"' in _html(message)


def test_the_mail_is_in_the_companys_language_when_the_address_has_no_id(
    client: Client,
) -> None:
    office = make_office(client)  # the company's language defaults to Dutch
    invite(office, 1)

    assert '<html lang="nl">' in _html(mail.outbox[-1])


def test_the_mail_is_in_the_language_of_the_id_of_the_address(client: Client) -> None:
    office = make_office(client)
    UserFactory.create(email="anna@example.nl", language="en")

    invite(office, 1)

    assert '<html lang="en">' in _html(mail.outbox[-1])


def test_without_a_request_the_link_uses_the_site_url(office: Office, settings: Settings) -> None:
    settings.SITE_URL = "https://desktop.example.nl"

    services.invite(
        by=office.admin,
        person_id=1,
        email="anna@example.nl",
        message="",
        profile=template("read_only"),
    )

    assert "https://desktop.example.nl/invitation/" in str(mail.outbox[-1].body)
