"""Creating an ID: the e-mails that carry its links (the outside world of this app)."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from accounts.models import SignupRequest, User, normalise_email


def request_signup(*, request: HttpRequest, name: str, email: str, next_url: str = "") -> None:
    """Start creating an ID for `email`, or tell its owner that they already have one.

    The person who asked sees the same page either way (ACCOUNT_PREVENT_ENUMERATION): only
    the owner of the mailbox learns whether the address already has an ID.
    """
    email = normalise_email(email)
    if not _may_mail(request, email):
        return
    holder = User.objects.holding(email)
    if holder is not None:
        _send_existing_id_mail(request=request, user=holder, email=email)
        return
    signup_request, token = SignupRequest.start(
        name=name, email=email, language=translation.get_language() or "", next_url=next_url
    )
    _send_signup_link(request=request, signup_request=signup_request, token=token)


def send_new_signup_link(*, request: HttpRequest, email: str) -> None:
    """A fresh link for the latest request of `email` (after the old one expired or was used).

    An address with an ID gets the "you already have an ID" mail instead; an address that
    never asked for one gets nothing (the page it was asked from suggests starting again).
    """
    email = normalise_email(email)
    if not _may_mail(request, email):
        return
    holder = User.objects.holding(email)
    if holder is not None:
        _send_existing_id_mail(request=request, user=holder, email=email)
        return
    previous = SignupRequest.objects.for_email(email).order_by("-created_at").first()
    if previous is None:
        return
    signup_request, token = previous.restart()
    _send_signup_link(request=request, signup_request=signup_request, token=token)


def _may_mail(request: HttpRequest, email: str) -> bool:
    # Against using the form to flood someone's mailbox: allauth's cooldown per address
    # (ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN), counted in the shared cache.
    return ratelimit.consume(request, action="confirm_email", key=email)


def _send_signup_link(*, request: HttpRequest, signup_request: SignupRequest, token: str) -> None:
    link = request.build_absolute_uri(reverse("account_signup_confirm", args=[token]))
    with translation.override(signup_request.language or settings.LANGUAGE_CODE):
        get_adapter(request).send_mail(
            "accounts/email/signup_link",
            signup_request.email,
            {
                "name": signup_request.name,
                "link": link,
                "max_age_hours": settings.SIGNUP_LINK_MAX_AGE_HOURS,
            },
        )


def _send_existing_id_mail(*, request: HttpRequest, user: User, email: str) -> None:
    with translation.override(user.language or translation.get_language()):
        get_adapter(request).send_mail(
            "accounts/email/existing_id",
            email,
            {
                "name": user.name,
                "login_url": request.build_absolute_uri(reverse("account_login")),
                "password_reset_url": request.build_absolute_uri(reverse("account_reset_password")),
            },
        )
