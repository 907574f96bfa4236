from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def forget_rate_limits(db: None, settings: Settings) -> Callable[[], None]:
    """Start allauth's rate-limit counts over (they live in the shared cache).

    A fresh key prefix rather than cache.clear(): the cache may be a Redis that other
    processes share, and flushing it is not a test's business.
    """

    def forget() -> None:
        default = dict(settings.CACHES["default"])
        default["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
        settings.CACHES = {**settings.CACHES, "default": default}

    forget()
    return forget


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
