"""Creating an ID: name and e-mail -> a link by e-mail -> choose a password -> signed in.

allauth's own signup verifies an address only in the session that signed up; these views let
the link be opened on any device, and create no User until the password is chosen.
"""

from __future__ import annotations

from allauth.account.utils import perform_login
from allauth.core import ratelimit
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import ChoosePasswordForm, NewLinkForm, SignupForm
from accounts.models import SignupLinkClosed, SignupRequest, User

SENT_TO_SESSION_KEY = "accounts_signup_sent_to"


def safe_next_url(request: HttpRequest, url: str | None) -> str:
    """`url` if it stays on this site, else the empty string."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not ratelimit.consume(request, action="signup"):
            form.add_error(None, _("Too many attempts from your network. Try again in a minute."))
            status = 429
        elif form.is_valid():
            services.request_signup(
                request=request,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                next_url=next_url,
            )
            request.session[SENT_TO_SESSION_KEY] = form.cleaned_data["email"]
            return redirect("account_signup_sent")
    return render(
        request, "accounts/signup.html", {"form": form, "next_url": next_url}, status=status
    )


@never_cache
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/signup_sent.html",
        {
            "email": request.session.get(SENT_TO_SESSION_KEY, ""),
            "max_age_hours": settings.SIGNUP_LINK_MAX_AGE_HOURS,
        },
    )


@never_cache
@sensitive_post_parameters("password1", "password2")
@csrf_protect
@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows the form: mail scanners open links before people do, and must not use
    # them up.
    signup_request = SignupRequest.objects.for_token(token).first()
    if signup_request is None or not signup_request.is_open():
        return _link_closed(request, signup_request)
    new_user = User(email=signup_request.email, name=signup_request.name)
    form = ChoosePasswordForm(request.POST if request.method == "POST" else None, user=new_user)
    if request.method == "POST" and form.is_valid():
        try:
            user = signup_request.complete(password=form.cleaned_data["password1"])
        except SignupLinkClosed:
            return _link_closed(request, signup_request)
        next_url = safe_next_url(request, signup_request.next_url)
        return perform_login(
            request, user, redirect_url=next_url or resolve_url(settings.LOGIN_REDIRECT_URL)
        )
    return render(
        request,
        "accounts/signup_confirm.html",
        {"form": form, "signup_request": signup_request},
    )


@never_cache
@require_POST
def signup_new_link(request: HttpRequest) -> HttpResponse:
    form = NewLinkForm(request.POST)
    if not ratelimit.consume(request, action="signup"):
        form.add_error(None, _("Too many attempts from your network. Try again in a minute."))
        return render(request, "accounts/signup_link_closed.html", {"form": form}, status=429)
    if not form.is_valid():
        return render(request, "accounts/signup_link_closed.html", {"form": form}, status=400)
    services.send_new_signup_link(request=request, email=form.cleaned_data["email"])
    request.session[SENT_TO_SESSION_KEY] = form.cleaned_data["email"]
    return redirect("account_signup_sent")


def _link_closed(request: HttpRequest, signup_request: SignupRequest | None) -> HttpResponse:
    # The e-mail of an expired or used link is shown back only to whoever holds that link,
    # who received it at that address.
    initial = {"email": signup_request.email} if signup_request else {}
    return render(
        request,
        "accounts/signup_link_closed.html",
        {"form": NewLinkForm(initial=initial), "signup_request": signup_request},
        status=410,
    )
