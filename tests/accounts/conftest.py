from __future__ import annotations

import re

from django.core import mail
from django.test import Client


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
