"""allauth's pages render in the site's layout, with accessible forms and no inline script."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SKIP_LINK = 'class="skip-link" href="#main"'
SCRIPT_TAG = re.compile(r"<script\b[^>]*>")


def inline_scripts(page: str) -> list[str]:
    """Script tags that carry code instead of loading a static file."""
    return [tag for tag in SCRIPT_TAG.findall(page) if " src=" not in tag]


@pytest.mark.parametrize(
    "url",
    ["/accounts/login/", "/accounts/password/reset/", "/accounts/signup/"],
)
def test_entrance_pages_render_in_the_site_layout(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert SKIP_LINK in page
    assert inline_scripts(page) == []
    assert ' style="' not in page


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/password/change/",
        "/accounts/email/",
        "/accounts/2fa/",
        "/accounts/logout/",
    ],
)
def test_my_id_pages_render_in_the_site_layout_with_the_sub_navigation(
    client: Client, url: str
) -> None:
    client.force_login(UserFactory.create())

    response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert SKIP_LINK in page
    assert inline_scripts(page) == []
    assert ' style="' not in page
    assert 'class="subnav" aria-label="My ID"' in page


def test_sign_in_form_labels_its_inputs_and_says_the_id_is_not_the_desktop_login(
    client: Client,
) -> None:
    page = client.get("/accounts/login/").content.decode()

    assert '<label for="id_login">' in page
    assert 'id="id_login"' in page
    assert '<label for="id_password">' in page
    assert "not the user name you use in the desktop program" in page
    assert 'href="/accounts/signup/"' in page


def test_sign_in_error_is_announced_and_linked(client: Client) -> None:
    page = client.post(
        "/accounts/login/", {"login": "not-an-email", "password": "x"}
    ).content.decode()

    assert 'role="alert"' in page
    assert 'aria-invalid="true"' in page


def test_current_my_id_page_is_marked_in_the_sub_navigation(client: Client) -> None:
    client.force_login(UserFactory.create())

    page = client.get("/accounts/password/change/").content.decode()

    assert 'href="/accounts/password/change/" aria-current="page"' in page
    assert 'href="/accounts/email/" aria-current="page"' not in page


def test_authenticator_app_activation_renders_in_the_site_layout(client: Client) -> None:
    client.force_login(UserFactory.create())
    # Activating two-factor asks for the password again first.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    reauthenticate_page = client.get(asked["Location"])
    assert SKIP_LINK in reauthenticate_page.content.decode()
    client.post(asked["Location"], {"password": DEFAULT_PASSWORD})

    response = client.get("/accounts/2fa/totp/activate/")

    assert response.status_code == 200
    page = response.content.decode()
    assert SKIP_LINK in page
    assert 'src="data:image/svg+xml' in page
    assert '<label for="id_code">' in page
    assert inline_scripts(page) == []
