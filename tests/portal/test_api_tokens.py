"""Personal API tokens: made and revoked on Company settings -> API tokens, each acting as one
membership (one company, that member's rights as they are now), stored only as a hash."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AccessProfile, ApiToken
from accounts.rights import Area, Level, Rights
from tests.factories import (
    ContactFactory,
    MembershipFactory,
    UserFactory,
    api_client,
    api_member,
)

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def make_token(client, membership, name="Webshop"):
    client.force_login(membership.user)
    return client.post(reverse("portal:api_tokens"), {"name": name})


# --- the page ---------------------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(client):
    member = api_member()

    response = make_token(client, member)

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("od_")
    assert len(secret) >= 40
    assert secret in response.text
    token = ApiToken.objects.get()
    assert token.membership == member
    assert token.name == "Webshop"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret[:11] == token.prefix
    stored = " ".join(str(value) for value in ApiToken.objects.values().get().values())
    assert secret not in stored
    # Shown once: the list shows the prefix, never the secret again.
    again = client.get(reverse("portal:api_tokens"))
    assert token.prefix in again.text
    assert secret not in again.text


def test_the_secret_is_not_kept_in_the_session(client):
    member = api_member()
    secret = make_token(client, member).context["secret"]
    assert secret not in str(dict(client.session))


def test_the_page_lists_only_the_members_own_tokens_of_the_current_company(client):
    member = api_member()
    colleague = MembershipFactory.create(company=member.company)
    elsewhere = MembershipFactory.create(user=member.user)
    ApiToken.issue(membership=member, name="Mine")
    ApiToken.issue(membership=colleague, name="Colleague's")
    ApiToken.issue(membership=elsewhere, name="Other company's")

    client.force_login(member.user)
    session = client.session
    session["company_id"] = member.company_id
    session.save()
    page = client.get(reverse("portal:api_tokens")).text

    assert "Mine" in page
    assert "Colleague&#x27;s" not in page
    assert "Other company&#x27;s" not in page


def test_a_token_without_a_name_is_refused(client):
    member = api_member()
    response = make_token(client, member, name="  ")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_a_member_cannot_hold_more_than_the_limit_of_active_tokens(client):
    member = api_member()
    for number in range(ApiToken.MAX_ACTIVE_PER_MEMBERSHIP):
        ApiToken.issue(membership=member, name=f"Token {number}")

    response = make_token(client, member)

    assert response.status_code == 409
    assert ApiToken.objects.count() == ApiToken.MAX_ACTIVE_PER_MEMBERSHIP


def test_the_page_needs_a_signed_in_member(client):
    assert client.get(reverse("portal:api_tokens")).status_code == 302
    client.force_login(UserFactory.create())
    assert client.get(reverse("portal:api_tokens")).status_code == 404


# --- revoking ---------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_with_401(client):
    member = api_member()
    token, secret = ApiToken.issue(membership=member, name="Webshop")
    assert bearer(secret).get(CONTACTS).status_code == 200

    client.force_login(member.user)
    response = client.post(reverse("portal:api_token_revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    answer = bearer(secret).get(CONTACTS)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer")


def test_another_members_token_cannot_be_revoked(client):
    member = api_member()
    colleague = MembershipFactory.create(company=member.company)
    token, _secret = ApiToken.issue(membership=colleague, name="Theirs")

    client.force_login(member.user)
    response = client.post(reverse("portal:api_token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_post(client):
    member = api_member()
    token, _secret = ApiToken.issue(membership=member, name="Webshop")
    client.force_login(member.user)
    assert client.get(reverse("portal:api_token_revoke", args=[token.pk])).status_code == 405


# --- what a token opens -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["Bearer od_not-a-token", "Bearer not-even-our-scheme", "Bearer", "Bearer a b"],
)
def test_an_unknown_or_malformed_token_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(CONTACTS).status_code == 401


def test_no_credentials_at_all_is_401_with_a_bearer_challenge():
    response = APIClient().get(CONTACTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_of_a_deactivated_id_is_401():
    member = api_member()
    client = api_client(member)
    member.user.is_active = False
    member.user.save()
    assert client.get(CONTACTS).status_code == 401


def test_a_token_acts_for_its_own_company_whatever_the_ids_default_company():
    member = api_member()
    other = api_member(user=member.user, is_default=True)
    ContactFactory.create(company=member.company, name="Ours")
    ContactFactory.create(company=other.company, name="Theirs")

    names = [row["name"] for row in api_client(member).get(CONTACTS).data["results"]]

    assert names == ["Ours"]


def test_another_companys_record_is_a_404_through_a_token():
    member = api_member()
    foreign = ContactFactory.create()
    response = api_client(member).get(f"{CONTACTS}{foreign.pk}/")
    assert response.status_code == 404


def test_rights_taken_away_are_gone_from_the_token_at_once():
    member = api_member("read_only")
    profile = AccessProfile(company=member.company, name="Contacts")
    profile.set_rights(Rights.of({Area.CONTACTS: Level.READ}))
    member.profile = profile
    member.save()
    client = api_client(member)
    assert client.get(CONTACTS).status_code == 200

    profile.set_rights(Rights.of({Area.PRODUCTS: Level.READ}))

    assert client.get(CONTACTS).status_code == 403


def test_a_removed_membership_takes_its_tokens_with_it():
    member = api_member("read_only")
    client = api_client(member)
    member.delete()
    assert client.get(CONTACTS).status_code == 401
    assert not ApiToken.objects.exists()


def test_a_token_needs_no_csrf_token_but_the_session_does():
    member = api_member()
    values = {"name": "Nieuw B.V."}
    assert api_client(member).post(CONTACTS, values, format="json").status_code == 201

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(member.user)
    assert browser.post(CONTACTS, values, format="json").status_code == 403


def test_the_time_of_last_use_is_noted():
    member = api_member()
    token, secret = ApiToken.issue(membership=member, name="Webshop")
    assert token.last_used_at is None
    bearer(secret).get(CONTACTS)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_my_id_pages_link_to_the_tokens_of_a_member_only(client):
    member = api_member()
    client.force_login(member.user)
    assert reverse("portal:api_tokens") in client.get(reverse("account_email")).text

    client.force_login(UserFactory.create(password=None))
    assert reverse("portal:api_tokens") not in client.get(reverse("account_email")).text


def test_staff_revoke_a_leaked_token_in_the_administration(client):
    member = api_member()
    token, secret = ApiToken.issue(membership=member, name="Webshop")
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True, password=None))

    listed = client.get("/admin/accounts/apitoken/")
    response = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )

    assert token.prefix in listed.text
    assert token.token_hash not in client.get(f"/admin/accounts/apitoken/{token.pk}/change/").text
    assert response.status_code == 302
    assert bearer(secret).get(CONTACTS).status_code == 401
