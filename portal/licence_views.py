"""Manage licence information: the agreement, its additional products and the licence link;
and the claim page by which an agreement's holder becomes the company's first super user."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.claims import ClaimRefused, claim_agreement
from accounts.models import Membership
from licensing.forms import ClaimForm
from licensing.models import AddOnProduct, LicenceLink, Refusal
from licensing.services import LicenceRefused, link_database, move_licence
from portal.company import set_current_company, super_user_required


@super_user_required
def licence(request: HttpRequest, membership: Membership) -> HttpResponse:
    company = membership.company
    agreement = company.current_agreement()
    context: dict[str, Any] = {"company": company, "agreement": agreement}
    if agreement is not None:
        links = agreement.company_links().select_related("database", "product", "linked_by")
        context |= {
            "agreement_valid": agreement.is_valid(),
            "services": agreement.plan.services.all(),
            "grants": [
                {
                    "product": grant.product,
                    "allowance": grant.allowance,
                    "links": [link for link in links if link.product_id == grant.product_id],
                }
                for grant in agreement.granted_add_ons.select_related("product").order_by(
                    "product__name"
                )
            ],
        }
    return render(request, "licensing/licence.html", context)


@super_user_required
@require_http_methods(["GET", "POST"])
def licence_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    """ "Add" on an additional product: shows the company's databases; OK links the chosen one."""
    company = membership.company
    addon_id = request.POST.get("addon") or request.GET.get("addon")
    if not addon_id or not addon_id.isdigit():
        messages.error(request, _("Choose an additional product first."))
        return redirect("portal:licence")
    addon = get_object_or_404(AddOnProduct, pk=addon_id)
    agreement = company.current_agreement()
    refusal = Refusal.NO_AGREEMENT if agreement is None else agreement.refusal_to_add(addon)
    error = None
    if request.method == "POST" and agreement is not None and refusal is None:
        database_id = request.POST.get("database", "")
        if not database_id.isdigit():
            error = _("Choose a company database.")
        else:
            # Another company's database is a 404, never a refusal that would confirm it.
            database = get_object_or_404(company.databases, pk=database_id)
            try:
                link_database(
                    agreement=agreement, addon=addon, database=database, by=membership.user
                )
            except LicenceRefused as refused:
                error = str(refused.message)
            else:
                messages.success(
                    request,
                    _("%(product)s is now linked to the company database %(database)s.")
                    % {"product": addon.name, "database": database.name},
                )
                return redirect("portal:licence")
    return _choose_database(
        request,
        company=company,
        addon=addon,
        refusal=refusal,
        error=error,
        databases=company.databases.eligible_for(addon),
        heading=_("Link %(product)s to a company database") % {"product": addon.name},
    )


@super_user_required
@require_http_methods(["GET", "POST"])
def licence_move(request: HttpRequest, membership: Membership, link_id: int) -> HttpResponse:
    """Moves a licence link to another database, only while the linked one is not connected."""
    company = membership.company
    link = get_object_or_404(
        LicenceLink.objects.select_related("database", "product", "agreement"),
        pk=link_id,
        agreement__company=company,
    )
    refusal = Refusal.CONNECTED if link.is_connected() else None
    error = None
    if request.method == "POST" and refusal is None:
        database_id = request.POST.get("database", "")
        if not database_id.isdigit():
            error = _("Choose a company database.")
        else:
            database = get_object_or_404(company.databases, pk=database_id)
            try:
                move_licence(link=link, database=database, by=membership.user)
            except LicenceRefused as refused:
                error = str(refused.message)
            else:
                messages.success(
                    request,
                    _("%(product)s is now linked to the company database %(database)s.")
                    % {"product": link.product.name, "database": database.name},
                )
                return redirect("portal:licence")
    return _choose_database(
        request,
        company=company,
        addon=link.product,
        refusal=refusal,
        error=error,
        databases=company.databases.exclude(pk=link.database_id).eligible_for(link.product),
        heading=_("Move %(product)s from %(database)s to another company database")
        % {"product": link.product.name, "database": link.database.name},
    )


def _choose_database(
    request: HttpRequest,
    *,
    company: Any,
    addon: AddOnProduct,
    refusal: Refusal | None,
    error: str | None,
    databases: Any,
    heading: str,
) -> HttpResponse:
    status = HTTPStatus.OK if error is None else HTTPStatus.BAD_REQUEST
    return render(
        request,
        "licensing/choose_database.html",
        {
            "company": company,
            "addon": addon,
            "refusal": refusal.label if refusal is not None else None,
            "error": error,
            "databases": databases,
            "heading": heading,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def licence_claim(request: HttpRequest) -> HttpResponse:
    """An agreement's holder claims it by its number plus the customer number."""
    form = ClaimForm(request.POST or None)
    error = None
    status = HTTPStatus.OK
    if request.method == "POST":
        # Limits in settings.ACCOUNT_RATE_LIMITS, counted in the shared cache by allauth.
        if not ratelimit.consume(request, action="claim_agreement"):
            error = _("Too many attempts. Please wait a quarter of an hour and try again.")
            status = HTTPStatus.TOO_MANY_REQUESTS
        elif form.is_valid():
            try:
                membership = claim_agreement(
                    user=request.user,  # type: ignore[arg-type]
                    number=form.cleaned_data["number"],
                    customer_number=form.cleaned_data["customer_number"],
                )
            except ClaimRefused as refused:
                error = str(refused.message)
                status = HTTPStatus.BAD_REQUEST
            else:
                set_current_company(request, membership)
                messages.success(
                    request,
                    _("You are now the super user of %(company)s.")
                    % {"company": membership.company.name},
                )
                return redirect("portal:licence")
        else:
            status = HTTPStatus.BAD_REQUEST
    return render(request, "licensing/claim.html", {"form": form, "error": error}, status=status)
