"""Quotes and orders with their lines: the work area "orders".

Who may change what (the desktop program's rule): Full on orders creates and edits quotes;
the function "orders.orders" also creates orders, edits them and confirms a quote into an
order. Invoiced and cancelled orders are read-only online. Every header and line write goes
through records.services; each line is its own record (OrderLine).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Membership
from accounts.rights import Area, Level
from licensing.models import Company
from portal.company import area_required
from portal.desk import (
    RecordForm,
    RecordPicker,
    Sort,
    company_today,
    list_page,
    record_choice,
    record_form_page,
)
from records.models import Contact, Order, OrderLine, Product
from records.services import StaleRecord, delete_record, update_record
from records.totals import DEFAULT_VAT_RATE, Totals, amounts_of, totals, vat_rate_of

SORTS = {
    # Both directions of the (company, order date) index.
    "date": Sort(gettext_lazy("Newest first"), ("-order_date", "-pk")),
    "oldest": Sort(gettext_lazy("Oldest first"), ("order_date", "pk")),
    "number": Sort(gettext_lazy("Number"), ("number", "pk")),
}

# Up to this many active products the line form offers a plain select; beyond, a search.
SELECT_PRODUCTS_UP_TO = 100


def _status_filter(value: str) -> Q | None:
    return Q(status=value) if value in Order.Status.values else None


def may_edit(membership: Membership, order: Order) -> bool:
    """May change the order's header and lines (see the module's docstring)."""
    if not membership.can(Area.ORDERS, Level.FULL):
        return False
    if order.status == Order.Status.QUOTE:
        return True
    return order.status == Order.Status.ORDER and membership.may("orders.orders")


def may_confirm(membership: Membership, order: Order) -> bool:
    return (
        order.status == Order.Status.QUOTE
        and membership.can(Area.ORDERS, Level.FULL)
        and membership.may("orders.orders")
    )


def suggested_number(company: Company) -> str:
    """The number after the company's latest order's (same prefix and width), not taken yet;
    the member may change it. The company database refuses a number already used."""
    latest = company.orders.order_by("-order_date", "-pk").values_list("number", flat=True)
    previous = latest.first() or f"{company_today(company).year}-0000"
    match = re.fullmatch(r"(.*?)(\d+)", previous)
    prefix, digits = (match.group(1), match.group(2)) if match else (f"{previous}-", "0")
    # The next few numbers, checked in one query: without an index on the number, each check
    # reads every order of the company.
    candidates = [f"{prefix}{int(digits) + step:0{len(digits)}d}" for step in range(1, 21)]
    taken = set(company.orders.filter(number__in=candidates).values_list("number", flat=True))
    return next((number for number in candidates if number not in taken), "")


class OrderForm(RecordForm):
    contact = record_choice(
        Contact.objects.all(), lookup="portal:contact_lookup", label=gettext_lazy("Contact")
    )

    class Meta:
        model = Order
        fields = ["contact", "number", "status", "order_date", "delivery_date", "notes"]
        widgets = {
            "number": forms.TextInput(attrs={"autocomplete": "off"}),
            "order_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "delivery_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, may_create_orders: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None or not may_create_orders:
            # The status changes only by confirming; without "orders.orders", quotes only.
            del self.fields["status"]
        else:
            status = self.fields["status"]
            if isinstance(status, forms.ChoiceField):
                status.choices = [
                    (Order.Status.QUOTE, Order.Status.QUOTE.label),
                    (Order.Status.ORDER, Order.Status.ORDER.label),
                ]
                status.required = False  # none chosen: a quote

    def clean_status(self) -> str:
        return str(self.cleaned_data.get("status") or Order.Status.QUOTE)

    def clean_number(self) -> str:
        # The company database allows each number once; say so before it refuses.
        number = str(self.cleaned_data["number"]).strip()
        taken = self.company.orders.filter(number=number).exclude(pk=self.instance.pk)
        if number and taken.exists():
            raise forms.ValidationError(_("Another quote or order already has this number."))
        return number

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ordered, delivered = cleaned.get("order_date"), cleaned.get("delivery_date")
        if ordered and delivered and delivered < ordered:
            self.add_error("delivery_date", _("The delivery date cannot be before the order date."))
        return cleaned


class ProductSelect(forms.Select):
    """A select of the company's (few) products, each option carrying the values the line
    form copies into empty fields when it is chosen (static/portal/order_lines.js)."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        product = getattr(option["value"], "instance", None)
        if isinstance(product, Product):
            option["attrs"].update(
                {
                    "data-name": product.name,
                    "data-price": str(product.price),
                    "data-vat-rate": str(product.vat_rate),
                }
            )
        return option


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Product) -> str:
        return f"{obj.sku} · {obj.name}"


class OrderLineForm(RecordForm):
    product = ProductChoiceField(
        queryset=Product.objects.all(),
        required=False,
        label=gettext_lazy("Product"),
        empty_label=gettext_lazy("(none: a free line)"),
    )

    class Meta:
        model = OrderLine
        fields = ["product", "description", "quantity", "unit_price", "discount_pct"]
        localized_fields = ["quantity", "unit_price", "discount_pct"]
        widgets = {
            "description": forms.TextInput(attrs={"autocomplete": "off"}),
            "quantity": forms.TextInput(attrs={"inputmode": "decimal"}),
            "unit_price": forms.TextInput(attrs={"inputmode": "decimal"}),
            "discount_pct": forms.TextInput(attrs={"inputmode": "decimal"}),
        }
        help_texts = {
            "description": gettext_lazy("Empty: the product's name."),
            "unit_price": gettext_lazy("Excluding VAT. Empty: the product's price."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(ProductChoiceField, self.fields["product"])
        # Inactive products are not offered, except the one the line already has.
        field.queryset = self.company.products.filter(
            Q(is_active=True) | Q(pk=self.instance.product_id)
        ).order_by("name", "pk")
        few = field.queryset[: SELECT_PRODUCTS_UP_TO + 1].count() <= SELECT_PRODUCTS_UP_TO
        field.widget = ProductSelect() if few else RecordPicker(lookup="portal:product_lookup")
        field.widget.choices = field.choices
        field.widget.is_required = False
        field.widget.attrs["data-fills-line"] = ""
        self.fields["description"].required = False
        self.fields["unit_price"].required = False
        self.fields["discount_pct"].required = False
        self.fields["product"].help_text = _(
            "Its VAT rate applies; a free line is charged %(rate)s%% VAT."
        ) % {"rate": f"{DEFAULT_VAT_RATE.normalize():f}"}

    def clean_discount_pct(self) -> Decimal:
        discount: Decimal | None = self.cleaned_data["discount_pct"]
        if discount is None:
            return Decimal(0)
        if not 0 <= discount <= 100:
            raise forms.ValidationError(_("Enter a percentage from 0 to 100."))
        return discount

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "product" in self.errors:
            return cleaned  # no defaults from a product that is not valid
        product: Product | None = cleaned.get("product")
        if not str(cleaned.get("description") or "").strip():
            if product is not None:
                cleaned["description"] = product.name
            elif "description" not in self.errors:
                self.add_error("description", _("Describe a line without a product."))
        if cleaned.get("unit_price") is None and "unit_price" not in self.errors:
            if product is not None:
                cleaned["unit_price"] = product.price
            else:
                self.add_error("unit_price", _("Enter the price of a line without a product."))
        return cleaned


def _order(membership: Membership, order_id: int) -> Order:
    return get_object_or_404(membership.company.orders.select_related("contact"), pk=order_id)


def _editable_order(membership: Membership, order_id: int) -> Order:
    order = _order(membership, order_id)
    if not may_edit(membership, order):
        raise PermissionDenied
    return order


def _lines(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("product").order_by("pk"))


def order_totals(lines: list[OrderLine]) -> Totals:
    return totals(amounts_of(line) for line in lines)


@area_required(Area.ORDERS)
@require_GET
def orders(request: HttpRequest, membership: Membership) -> HttpResponse:
    listing = list_page(
        request,
        membership.company.orders.select_related("contact").prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
        ),
        search=Order.matching,
        sorts=SORTS,
        filters={"status": _status_filter},
    )
    rows = [(order, order_totals(list(order.lines.all()))) for order in listing.page]
    return render(
        request,
        "portal/orders/list.html",
        {
            "listing": listing,
            "rows": rows,
            "status": listing.params.get("status", ""),
            "statuses": Order.Status.choices,
            "may_write": membership.can(Area.ORDERS, Level.FULL),
        },
    )


@area_required(Area.ORDERS)
@require_GET
def order_detail(request: HttpRequest, membership: Membership, order_id: int) -> HttpResponse:
    order = _order(membership, order_id)
    return _detail_page(request, membership, order)


def _detail_page(
    request: HttpRequest,
    membership: Membership,
    order: Order,
    *,
    status: int = 200,
    stale: bool = False,
) -> HttpResponse:
    lines = _lines(order)
    amounts = order_totals(lines)
    return render(
        request,
        "portal/orders/detail.html",
        {
            "order": order,
            "company": membership.company,
            # (line, its quantity without trailing zeros, its net, its VAT rate)
            "lines": [
                (line, localize(line.quantity.normalize()), net, vat_rate_of(line))
                for line, net in zip(lines, amounts.nets, strict=True)
            ],
            "totals": amounts,
            "may_edit": may_edit(membership, order),
            "may_confirm": may_confirm(membership, order),
            "may_see_contact": membership.can(Area.CONTACTS),
            "stale": stale,
        },
        status=status,
    )


@area_required(Area.ORDERS, Level.FULL)
@require_http_methods(["GET", "POST"])
def order_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    """A new quote (or, with "orders.orders", an order), for the contact in `?contact=` if
    given (the contact page's "Create sales order")."""
    company = membership.company
    may_create_orders = membership.may("orders.orders")
    initial: dict[str, Any] = {}
    contact = None
    if request.GET.get("contact", "").isdigit():
        contact = get_object_or_404(company.contacts, pk=int(request.GET["contact"]))
    if request.method == "GET":
        initial = {"order_date": company_today(company), "number": suggested_number(company)}
        if contact is not None:
            initial["contact"] = contact.pk
    form = OrderForm(
        request.POST or None,
        initial=initial,
        company=company,
        fixed={} if may_create_orders else {"status": Order.Status.QUOTE},
        may_create_orders=may_create_orders,
    )
    return record_form_page(
        request,
        form,
        template="portal/orders/form.html",
        context={
            "cancel_url": reverse("portal:contact_detail", args=[contact.pk])
            if contact is not None and membership.can(Area.CONTACTS)
            else reverse("portal:orders"),
        },
        saved=lambda order: reverse("portal:order_detail", args=[order.pk]),
        message=lambda order: _("%(number)s was created; add its lines now.") % {"number": order},
    )


@area_required(Area.ORDERS, Level.FULL)
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, membership: Membership, order_id: int) -> HttpResponse:
    order = _editable_order(membership, order_id)
    form = OrderForm(request.POST or None, instance=order, company=membership.company)
    detail = reverse("portal:order_detail", args=[order.pk])
    return record_form_page(
        request,
        form,
        template="portal/orders/form.html",
        context={"order": order, "cancel_url": detail},
        saved=lambda _order: detail,
        message=lambda order: _("%(number)s was saved.") % {"number": order},
    )


@area_required(Area.ORDERS, Level.FULL)
@require_POST
def order_confirm(request: HttpRequest, membership: Membership, order_id: int) -> HttpResponse:
    """Makes a quote an order (with "orders.orders"). The quote must be as the member saw it:
    a confirmation of a quote somebody changed meanwhile shows the newer quote and asks."""
    order = _order(membership, order_id)
    if not may_confirm(membership, order):
        if order.status != Order.Status.QUOTE and membership.may("orders.orders"):
            messages.info(request, _("%(number)s is not a quote any more.") % {"number": order})
            return redirect("portal:order_detail", order.pk)
        raise PermissionDenied
    try:
        update_record(
            record=order,
            values={"status": Order.Status.ORDER},
            seen_version=request.POST.get("seen_version") or None,
        )
    except StaleRecord as stale:
        newer = _order(membership, stale.current.pk)
        return _detail_page(request, membership, newer, status=409, stale=True)
    messages.success(request, _("%(number)s is now an order.") % {"number": order})
    return redirect("portal:order_detail", order.pk)


@area_required(Area.ORDERS, Level.FULL)
@require_http_methods(["GET", "POST"])
def order_line_add(request: HttpRequest, membership: Membership, order_id: int) -> HttpResponse:
    order = _editable_order(membership, order_id)
    return _line_form(request, membership, order, OrderLine())


@area_required(Area.ORDERS, Level.FULL)
@require_http_methods(["GET", "POST"])
def order_line_edit(
    request: HttpRequest, membership: Membership, order_id: int, line_id: int
) -> HttpResponse:
    order = _editable_order(membership, order_id)
    line = get_object_or_404(order.lines.select_related("product"), pk=line_id)
    return _line_form(request, membership, order, line)


def _line_form(
    request: HttpRequest, membership: Membership, order: Order, line: OrderLine
) -> HttpResponse:
    form = OrderLineForm(
        request.POST or None,
        instance=line,
        company=membership.company,
        fixed={"order": order},
    )
    detail = reverse("portal:order_detail", args=[order.pk])
    return record_form_page(
        request,
        form,
        template="portal/orders/line_form.html",
        context={
            "order": order,
            "line": line,
            "cancel_url": detail,
        },
        saved=lambda _line: detail,
        message=lambda line: _("The line %(description)s was saved.") % {"description": line},
    )


@area_required(Area.ORDERS, Level.FULL)
@require_http_methods(["GET", "POST"])
def order_line_delete(
    request: HttpRequest, membership: Membership, order_id: int, line_id: int
) -> HttpResponse:
    order = _editable_order(membership, order_id)
    line = get_object_or_404(order.lines, pk=line_id)
    if request.method == "POST":
        delete_record(record=line)
        messages.success(
            request, _("The line %(description)s was removed.") % {"description": line}
        )
        return redirect("portal:order_detail", order.pk)
    return render(request, "portal/orders/line_delete.html", {"order": order, "line": line})
