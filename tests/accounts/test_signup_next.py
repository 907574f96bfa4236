"""The `next` location survives creating an ID, kept on the server and never in the link."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import SignupRequest
from tests.accounts.conftest import link_in_last_mail, sign_up

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"
WIZARD_STEP = "/activate/3/?database=7"


def test_next_from_the_sign_in_page_survives_the_whole_journey(client: Client) -> None:
    login_page = client.get("/accounts/login/", {"next": WIZARD_STEP})
    signup_url = login_page.context["signup_url"]
    assert "next=" in signup_url
    assert f'href="{signup_url}"' in login_page.content.decode().replace("&amp;", "&")

    signup_page = client.get(signup_url)
    assert f'value="{WIZARD_STEP}"' in signup_page.content.decode().replace("&amp;", "&")
    sign_up(client, email="anna@example.nl", next=WIZARD_STEP)
    link = link_in_last_mail()
    assert "activate" not in link

    response = Client().post(link, {"password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == WIZARD_STEP


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_next_to_another_site_is_dropped(client: Client, next_url: str) -> None:
    sign_up(client, email="anna@example.nl", next=next_url)

    assert SignupRequest.objects.get().next_url == ""
    response = Client().post(link_in_last_mail(), {"password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == "/"
