"""Company settings -> API tokens: a member makes, lists and revokes their own personal API
tokens for the current company. A token acts with the member's own rights."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import ApiToken, ApiTokenLimitReached, Membership
from portal.company import member_required


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. the webshop or a report."),
    )


def _page(
    request: HttpRequest,
    membership: Membership,
    form: ApiTokenForm,
    *,
    made: ApiToken | None = None,
    secret: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "portal/api_tokens.html",
        {
            "company": membership.company,
            "form": form,
            "tokens": membership.api_tokens.all(),
            "made": made,
            "secret": secret,
            "limit": ApiToken.MAX_ACTIVE_PER_MEMBERSHIP,
        },
        status=status,
    )


@member_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest, membership: Membership) -> HttpResponse:
    """GET lists the member's tokens; POST makes one and shows its secret in this response
    only: it is kept nowhere, not even in the session."""
    if request.method != "POST":
        return _page(request, membership, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, membership, form, status=400)
    try:
        token, secret = ApiToken.issue(membership=membership, name=form.cleaned_data["name"])
    except ApiTokenLimitReached:
        form.add_error(
            None,
            _("You have %(limit)d active tokens, the most there can be. Revoke one first.")
            % {"limit": ApiToken.MAX_ACTIVE_PER_MEMBERSHIP},
        )
        return _page(request, membership, form, status=409)
    response = _page(request, membership, ApiTokenForm(), made=token, secret=secret, status=201)
    # The secret is on this page only: no cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


@member_required
@require_POST
def api_token_revoke(request: HttpRequest, membership: Membership, token_id: int) -> HttpResponse:
    # Only the member's own tokens of this company: anybody else's is a 404.
    token = get_object_or_404(membership.api_tokens, pk=token_id)
    token.revoke()
    messages.success(
        request,
        _("The token %(name)s is revoked: it opens nothing any more.") % {"name": token.name},
    )
    return redirect("portal:api_tokens")
