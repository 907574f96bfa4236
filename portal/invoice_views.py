"""Invoices: the work area "invoices", read-only online (the company database is their master)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.models import Membership
from accounts.rights import Area
from portal.company import area_required
from portal.desk import Sort, company_today, list_page
from records.models import Invoice

# Both directions of the (company, invoice date) index.
SORTS = {
    "date": Sort(gettext_lazy("Newest first"), ("-invoice_date", "-pk")),
    "oldest": Sort(gettext_lazy("Oldest first"), ("invoice_date", "pk")),
}


def _payment_filter(today: datetime.date) -> Callable[[str], Q | None]:
    """Paid, unpaid, or overdue: unpaid after its due date, the company's today."""
    conditions = {
        "paid": Q(paid=True),
        "unpaid": Q(paid=False),
        "overdue": Q(paid=False, due_date__lt=today),
    }
    return conditions.get


def _contact_filter(value: str) -> Q | None:
    # The contact page's "all invoices of this contact"; the list is the company's already.
    return Q(contact_id=int(value)) if value.isdigit() else None


@area_required(Area.INVOICES)
@require_GET
def invoices(request: HttpRequest, membership: Membership) -> HttpResponse:
    today = company_today(membership.company)
    listing = list_page(
        request,
        membership.company.invoices.select_related("contact"),
        search=Invoice.matching,
        sorts=SORTS,
        filters={"payment": _payment_filter(today), "contact": _contact_filter},
    )
    contact_id = listing.params.get("contact")
    contact = membership.company.contacts.filter(pk=contact_id).first() if contact_id else None
    return render(
        request,
        "portal/invoices/list.html",
        {
            "listing": listing,
            "payment": listing.params.get("payment", ""),
            "contact": contact,
            "today": today,
        },
    )


@area_required(Area.INVOICES)
@require_GET
def invoice_detail(request: HttpRequest, membership: Membership, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(
        membership.company.invoices.select_related("contact"), pk=invoice_id
    )
    today = company_today(membership.company)
    return render(
        request,
        "portal/invoices/detail.html",
        {
            "invoice": invoice,
            "today": today,
            "days_overdue": (today - invoice.due_date).days
            if not invoice.paid and invoice.due_date < today
            else 0,
            "may_see_contact": membership.can(Area.CONTACTS),
        },
    )
