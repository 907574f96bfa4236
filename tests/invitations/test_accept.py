from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, User
from invitations.models import Invitation, InvitationEvent
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.invitations.conftest import Office, invite, path_of, template

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def test_the_link_shows_who_invites_to_which_company(office: Office) -> None:
    link = invite(office, 1, message="Tot maandag!")

    page = Client().get(path_of(link))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Sanne" in text
    assert "Bakkerij Jansen B.V." in text
    assert "Tot maandag!" in text
    assert "anna@example.nl" in text
    assert "Sales" in text
    # Opening the link (a mail scanner does) joins nobody and creates nothing.
    assert not User.objects.filter(email="anna@example.nl").exists()
    assert Invitation.objects.get().is_open()


def test_a_person_without_an_id_creates_one_and_lands_on_the_companys_dashboard(
    office: Office,
) -> None:
    link = invite(office, 1, profile="sales")
    anna = Client()

    response = anna.post(
        path_of(link),
        {"name": "Anna de Vries", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="anna@example.nl")
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.filter(user=user, verified=True, primary=True).count() == 1
    membership = Membership.objects.get(user=user)
    assert membership.company == office.company
    assert membership.profile == template("sales")
    assert membership.employee_id == 1  # the invited employee: their own hours are these
    dashboard = anna.get("/")
    assert dashboard.status_code == 200
    assert dashboard.context["membership"] == membership
    assert "Bakkerij Jansen B.V." in dashboard.content.decode()
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user
    assert invitation.events.filter(kind=InvitationEvent.Kind.ACCEPTED, by=user).exists()


def test_the_new_id_takes_the_invited_address_whatever_is_posted(office: Office) -> None:
    link = invite(office, 1)

    Client().post(
        path_of(link),
        {
            "name": "Anna",
            "email": "someone-else@example.nl",
            "username": "someone-else@example.nl",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert User.objects.filter(email="anna@example.nl").exists()
    assert not User.objects.filter(email="someone-else@example.nl").exists()


def test_a_weak_password_is_refused_and_nothing_is_created(office: Office) -> None:
    link = invite(office, 1)

    response = Client().post(path_of(link), {"name": "Anna", "password1": "1", "password2": "1"})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not User.objects.filter(email="anna@example.nl").exists()
    assert Invitation.objects.get().is_open()


def test_a_person_with_an_id_signs_in_comes_back_and_is_added(office: Office) -> None:
    anna = UserFactory.create(email="anna@example.nl")
    link = invite(office, 1, profile="service")
    browser = Client()

    page = browser.get(path_of(link))
    assert page.status_code == 200
    assert page.context["mode"] == "sign_in"
    signed_in = browser.post(
        "/accounts/login/",
        {"login": "anna@example.nl", "password": DEFAULT_PASSWORD, "next": path_of(link)},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == path_of(link)
    assert browser.get(path_of(link)).context["is_invited_id"] is True
    joined = browser.post(path_of(link), {"action": "join"})

    assert joined.status_code == 302
    assert joined["Location"] == "/"
    assert User.objects.filter(email="anna@example.nl").count() == 1
    membership = Membership.objects.get(user=anna, company=office.company)
    assert membership.profile == template("service")
    assert browser.get("/").context["membership"] == membership


def test_a_different_id_is_asked_which_id_should_join_and_nothing_happens_until_it_chooses(
    office: Office,
) -> None:
    link = invite(office, 1)
    someone = UserFactory.create(email="someone@example.nl")
    browser = Client()
    browser.force_login(someone)

    page = browser.get(path_of(link))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Which ID should join?" in text
    assert "someone@example.nl" in text
    assert "anna@example.nl" in text
    assert 'action="/accounts/logout/"' in text
    assert not Membership.objects.filter(user=someone).exists()
    assert Invitation.objects.get().is_open()


def test_the_different_id_joins_when_it_chooses_to(office: Office) -> None:
    link = invite(office, 1)
    someone = UserFactory.create(email="someone@example.nl")
    browser = Client()
    browser.force_login(someone)

    browser.post(path_of(link), {"action": "join"})

    assert Membership.objects.get(user=someone).company == office.company
    assert not User.objects.filter(email="anna@example.nl").exists()


def test_signing_out_from_the_question_comes_back_to_the_invitation(office: Office) -> None:
    link = invite(office, 1)
    browser = Client()
    browser.force_login(UserFactory.create(email="someone@example.nl"))

    response = browser.post("/accounts/logout/", {"next": path_of(link)})

    assert response.status_code == 302
    assert response["Location"] == path_of(link)
    assert browser.get(path_of(link)).context["mode"] == "new_id"


def test_accepting_twice_makes_one_membership(office: Office) -> None:
    anna = UserFactory.create(email="anna@example.nl")
    link = invite(office, 1)
    first, second = Client(), Client()
    first.force_login(anna)
    second.force_login(anna)

    assert first.post(path_of(link), {"action": "join"}).status_code == 302
    again = second.post(path_of(link), {"action": "join"})

    assert again.status_code == 410
    assert Membership.objects.filter(user=anna, company=office.company).count() == 1


def test_a_double_submit_of_the_new_id_form_makes_one_id_and_one_membership(
    office: Office,
) -> None:
    link = invite(office, 1)
    data = {"name": "Anna", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

    Client().post(path_of(link), data)
    again = Client().post(path_of(link), data)

    assert again.status_code == 410
    assert User.objects.filter(email="anna@example.nl").count() == 1
    assert Membership.objects.filter(company=office.company).count() == 2  # admin and Anna


def test_a_member_who_accepts_keeps_the_profile_they_have(office: Office) -> None:
    anna = MembershipFactory.create(
        company=office.company, user__email="anna@example.nl", profile=template("read_only")
    )
    # Anna is listed as Active by her address; an invitation made before she joined:
    invitation, token = Invitation.issue(
        company=office.company,
        database=office.database,
        person_id=1,
        name="Anna de Vries",
        email="anna@example.nl",
        message="",
        profile=template("sales"),
        by=office.admin.user,
        kind=InvitationEvent.Kind.INVITED,
    )
    browser = Client()
    browser.force_login(anna.user)

    browser.post(f"/invitation/{token}/", {"action": "join"})

    anna.refresh_from_db()
    assert anna.profile == template("read_only")
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_an_expired_link_is_410_and_names_whom_to_ask(office: Office) -> None:
    link = invite(office, 1)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = Client().get(path_of(link))

    assert response.status_code == 410
    text = response.content.decode()
    assert "has expired" in text
    assert "ask Sanne" in text


def test_a_used_link_is_410(office: Office) -> None:
    link = invite(office, 1)
    Client().post(
        path_of(link), {"name": "Anna", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    response = Client().get(path_of(link))

    assert response.status_code == 410
    assert "already been accepted" in response.content.decode()


def test_an_unknown_token_is_404() -> None:
    assert Client().get("/invitation/not-a-token/").status_code == 404


def test_the_accept_endpoint_is_rate_limited(office: Office) -> None:
    link = invite(office, 1)
    browser = Client()
    data = {"name": "Anna", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

    statuses = [browser.post(f"/invitation/guess-{n}/", data).status_code for n in range(30)]
    limited = browser.post(path_of(link), data)

    assert set(statuses) == {404}
    assert limited.status_code == 429
    assert "Too many" in limited.content.decode()
    assert not User.objects.filter(email="anna@example.nl").exists()
    assert Invitation.objects.get().is_open()


def test_the_rate_limit_also_stops_joining_with_an_id(office: Office) -> None:
    link = invite(office, 1)
    anna = UserFactory.create(email="anna@example.nl")
    browser = Client()
    browser.force_login(anna)
    for n in range(30):
        browser.post(f"/invitation/guess-{n}/", {"action": "join"})

    response = browser.post(path_of(link), {"action": "join"})

    assert response.status_code == 429
    assert not Membership.objects.filter(user=anna).exists()
