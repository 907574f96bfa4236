from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db: None) -> Iterator[None]:
    # allauth counts its rate limits in the shared cache: one test's attempts must not
    # throttle the next.
    cache.clear()
    yield
    cache.clear()


def link_in_last_mail(pattern: str = r"http://testserver/accounts/signup/confirm/[\w-]+/") -> str:
    """The first link in the last e-mail's text body that matches `pattern`."""
    body = str(mail.outbox[-1].body)
    match = re.search(pattern, body)
    assert match, body
    return match.group(0)


def html_body(message: mail.EmailMessage) -> str:
    assert isinstance(message, mail.EmailMultiAlternatives)
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(content)


def sign_up(client: Client, *, name: str = "Anna de Vries", email: str, **extra: str) -> None:
    response = client.post("/accounts/signup/", {"name": name, "email": email, **extra})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/accounts/signup/sent/"
