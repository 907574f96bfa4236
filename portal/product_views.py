"""Products: the work area "products", and the product lookup of the order-line form."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Membership
from accounts.rights import Area, Level
from portal.company import area_required, current_membership
from portal.desk import RecordForm, Sort, list_page, record_form_page
from records.models import Product
from records.services import RecordInUse, delete_record

SORTS = {
    "name": Sort(gettext_lazy("Name"), ("name", "pk")),
    "sku": Sort(gettext_lazy("Article number"), ("sku", "pk")),
}

ACTIVITY = {
    "active": Q(is_active=True),
    "inactive": Q(is_active=False),
}


class ProductForm(RecordForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "unit", "price", "vat_rate", "is_active"]
        localized_fields = ["price", "vat_rate"]
        widgets = {
            "sku": forms.TextInput(attrs={"autocomplete": "off"}),
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "unit": forms.TextInput(attrs={"autocomplete": "off"}),
            "price": forms.TextInput(attrs={"inputmode": "decimal"}),
            "vat_rate": forms.TextInput(attrs={"inputmode": "decimal"}),
        }
        help_texts = {
            "unit": gettext_lazy("How the product is counted, e.g. stuk, doos, kg or uur."),
            "vat_rate": gettext_lazy("In percent, e.g. 21, 9 or 0."),
        }

    def clean_sku(self) -> str:
        # The company database allows one product per article number; say so before it does.
        sku = str(self.cleaned_data["sku"]).strip()
        taken = self.company.products.filter(sku=sku).exclude(pk=self.instance.pk)
        if sku and taken.exists():
            raise forms.ValidationError(_("Another product already has this article number."))
        return sku

    def clean_price(self) -> Decimal:
        price: Decimal = self.cleaned_data["price"]
        if price < 0:
            raise forms.ValidationError(_("A price cannot be negative."))
        return price

    def clean_vat_rate(self) -> Decimal:
        rate: Decimal = self.cleaned_data["vat_rate"]
        if not 0 <= rate <= 100:
            raise forms.ValidationError(_("Enter a percentage from 0 to 100."))
        return rate


def _product(membership: Membership, product_id: int) -> Product:
    return get_object_or_404(membership.company.products, pk=product_id)


@area_required(Area.PRODUCTS)
@require_GET
def products(request: HttpRequest, membership: Membership) -> HttpResponse:
    listing = list_page(
        request,
        membership.company.products.all(),
        search=Product.matching,
        sorts=SORTS,
        filters={"show": ACTIVITY.get},
    )
    return render(
        request,
        "portal/products/list.html",
        {
            "listing": listing,
            "show": listing.params.get("show", ""),
            "may_write": membership.can(Area.PRODUCTS, Level.FULL),
        },
    )


@area_required(Area.PRODUCTS)
@require_GET
def product_detail(request: HttpRequest, membership: Membership, product_id: int) -> HttpResponse:
    product = _product(membership, product_id)
    return render(
        request,
        "portal/products/detail.html",
        {
            "product": product,
            "company": membership.company,
            "may_write": membership.can(Area.PRODUCTS, Level.FULL),
        },
    )


@area_required(Area.PRODUCTS, Level.FULL)
@require_http_methods(["GET", "POST"])
def product_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ProductForm(request.POST or None, company=membership.company)
    return record_form_page(
        request,
        form,
        template="portal/products/form.html",
        context={"cancel_url": reverse("portal:products")},
        saved=lambda product: reverse("portal:product_detail", args=[product.pk]),
        message=lambda product: _("The product %(name)s was created.") % {"name": product},
    )


@area_required(Area.PRODUCTS, Level.FULL)
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, membership: Membership, product_id: int) -> HttpResponse:
    product = _product(membership, product_id)
    form = ProductForm(request.POST or None, instance=product, company=membership.company)
    detail = reverse("portal:product_detail", args=[product.pk])
    return record_form_page(
        request,
        form,
        template="portal/products/form.html",
        context={"product": product, "cancel_url": detail},
        saved=lambda _product: detail,
        message=lambda product: _("The product %(name)s was saved.") % {"name": product},
    )


@area_required(Area.PRODUCTS, Level.FULL)
@require_http_methods(["GET", "POST"])
def product_delete(request: HttpRequest, membership: Membership, product_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes, unless order lines still use the product (the
    company database would refuse it too): then the page says so (409)."""
    product = _product(membership, product_id)
    error = None
    if request.method == "POST":
        try:
            delete_record(record=product)
        except RecordInUse as in_use:
            error = str(in_use)
        else:
            messages.success(request, _("The product %(name)s was deleted.") % {"name": product})
            return redirect("portal:products")
    return render(
        request,
        "portal/products/delete.html",
        {"product": product, "error": error},
        status=409 if error else 200,
    )


# The work areas whose forms choose a product.
LOOKUP_AREAS = (Area.PRODUCTS, Area.ORDERS)


@require_GET
def product_lookup(request: HttpRequest) -> HttpResponse:
    """Up to 20 of the company's active products matching `q` (article number or name), as
    <option>s for a RecordPicker; each carries its price, VAT rate and name, which the order
    line form copies into empty fields."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    membership = current_membership(request)
    if not any(membership.can(area) for area in LOOKUP_AREAS):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:200]
    records = (
        membership.company.products.filter(Product.matching(query), is_active=True).order_by(
            "name", "pk"
        )[:20]
        if query
        else []
    )
    return render(
        request,
        "portal/products/lookup_options.html",
        {"records": records, "required": request.GET.get("required") == "1"},
    )
