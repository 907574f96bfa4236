"""Contacts and their contact persons: the work area "contacts"."""

from __future__ import annotations

from urllib.parse import urlencode

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
from portal.desk import (
    RecordForm,
    Sort,
    company_today,
    list_page,
    record_form_page,
)
from records.models import Contact, ContactPerson
from records.services import RecordInUse, delete_record

SORTS = {
    "name": Sort(gettext_lazy("Name"), ("name", "pk")),
    "city": Sort(gettext_lazy("City"), ("city", "name", "pk")),
    "changed": Sort(gettext_lazy("Recently changed"), ("-updated_at", "-pk")),
}

KINDS = {
    "customers": Q(is_customer=True),
    "suppliers": Q(is_supplier=True),
}


class ContactForm(RecordForm):
    class Meta:
        model = Contact
        fields = [
            "name",
            "is_customer",
            "is_supplier",
            "org_number",
            "street",
            "postcode",
            "city",
            "country",
            "phone",
            "email",
            "website",
            "notes",
        ]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "org_number": forms.TextInput,
            "street": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postcode": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "country": forms.TextInput(attrs={"autocomplete": "country", "maxlength": 2}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "website": forms.URLInput(attrs={"autocomplete": "url"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_country(self) -> str:
        country = str(self.cleaned_data["country"]).strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise forms.ValidationError(_("Enter the two-letter country code, e.g. NL or BE."))
        return country

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip()
        if email:
            forms.EmailField().clean(email)
        return email

    def clean_website(self) -> str:
        website = str(self.cleaned_data["website"]).strip()
        if website and "://" not in website:
            website = f"https://{website}"
        if website:
            forms.URLField(assume_scheme="https").clean(website)
        return website


class ContactPersonForm(RecordForm):
    class Meta:
        model = ContactPerson
        fields = ["first_name", "last_name", "position", "email", "phone"]
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "position": forms.TextInput,
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip()
        if email:
            forms.EmailField().clean(email)
        return email


def map_url(contact: Contact) -> str | None:
    """OpenStreetMap's search for the contact's address (no key, no tracking script)."""
    address = ", ".join(
        part for part in (contact.street, f"{contact.postcode} {contact.city}".strip()) if part
    )
    if not address:
        return None
    return "https://www.openstreetmap.org/search?" + urlencode(
        {"query": f"{address}, {contact.country}"}
    )


def _contact(membership: Membership, contact_id: int) -> Contact:
    return get_object_or_404(membership.company.contacts, pk=contact_id)


@area_required(Area.CONTACTS)
@require_GET
def contacts(request: HttpRequest, membership: Membership) -> HttpResponse:
    listing = list_page(
        request,
        membership.company.contacts.all(),
        search=Contact.matching,
        sorts=SORTS,
        filters={"kind": KINDS.get},
    )
    return render(
        request,
        "portal/contacts/list.html",
        {
            "listing": listing,
            "kind": listing.params.get("kind", ""),
            "may_write": membership.can(Area.CONTACTS, Level.FULL),
        },
    )


@area_required(Area.CONTACTS)
@require_GET
def contact_detail(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    contact = _contact(membership, contact_id)
    return render(
        request,
        "portal/contacts/detail.html",
        {
            "contact": contact,
            "persons": contact.persons.all(),
            "map_url": map_url(contact),
            "may_write": membership.can(Area.CONTACTS, Level.FULL),
            "may_delete": membership.may("contacts.delete"),
            # The orders and invoices areas on the contact's page.
            "may_create_order": membership.can(Area.ORDERS, Level.FULL),
            "invoices": contact.invoices.order_by("-invoice_date", "-pk")[:5]
            if membership.can(Area.INVOICES)
            else None,
            "today": company_today(membership.company),
        },
    )


@area_required(Area.CONTACTS, Level.FULL)
@require_http_methods(["GET", "POST"])
def contact_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ContactForm(request.POST or None, company=membership.company)
    return record_form_page(
        request,
        form,
        template="portal/contacts/form.html",
        context={"cancel_url": reverse("portal:contacts")},
        saved=lambda contact: reverse("portal:contact_detail", args=[contact.pk]),
        message=lambda contact: _("The contact %(name)s was created.") % {"name": contact},
    )


@area_required(Area.CONTACTS, Level.FULL)
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    contact = _contact(membership, contact_id)
    form = ContactForm(request.POST or None, instance=contact, company=membership.company)
    detail = reverse("portal:contact_detail", args=[contact.pk])
    return record_form_page(
        request,
        form,
        template="portal/contacts/form.html",
        context={"contact": contact, "cancel_url": detail},
        saved=lambda _contact: detail,
        message=lambda contact: _("The contact %(name)s was saved.") % {"name": contact},
    )


@area_required(Area.CONTACTS, Level.FULL)
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (with the function "may delete contacts")."""
    if not membership.may("contacts.delete"):
        raise PermissionDenied
    contact = _contact(membership, contact_id)
    error = None
    if request.method == "POST":
        try:
            delete_record(record=contact)
        except RecordInUse as in_use:
            error = str(in_use)
        else:
            messages.success(request, _("The contact %(name)s was deleted.") % {"name": contact})
            return redirect("portal:contacts")
    return render(
        request,
        "portal/contacts/delete.html",
        {"contact": contact, "error": error},
        status=409 if error else 200,
    )


@area_required(Area.CONTACTS, Level.FULL)
@require_http_methods(["GET", "POST"])
def person_add(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    contact = _contact(membership, contact_id)
    return _person_form(request, membership, contact, ContactPerson())


@area_required(Area.CONTACTS, Level.FULL)
@require_http_methods(["GET", "POST"])
def person_edit(
    request: HttpRequest, membership: Membership, contact_id: int, person_id: int
) -> HttpResponse:
    contact = _contact(membership, contact_id)
    person = get_object_or_404(contact.persons, pk=person_id)
    return _person_form(request, membership, contact, person)


def _person_form(
    request: HttpRequest, membership: Membership, contact: Contact, person: ContactPerson
) -> HttpResponse:
    form = ContactPersonForm(
        request.POST or None,
        instance=person,
        company=membership.company,
        fixed={"contact": contact},
    )
    detail = reverse("portal:contact_detail", args=[contact.pk])
    return record_form_page(
        request,
        form,
        template="portal/contacts/person_form.html",
        context={
            "contact": contact,
            "person": person,
            "cancel_url": detail,
        },
        saved=lambda _person: detail,
        message=lambda person: _("The contact person %(name)s was saved.") % {"name": person},
    )


@area_required(Area.CONTACTS, Level.FULL)
@require_http_methods(["GET", "POST"])
def person_delete(
    request: HttpRequest, membership: Membership, contact_id: int, person_id: int
) -> HttpResponse:
    contact = _contact(membership, contact_id)
    person = get_object_or_404(contact.persons, pk=person_id)
    if request.method == "POST":
        delete_record(record=person)
        messages.success(request, _("The contact person %(name)s was deleted.") % {"name": person})
        return redirect("portal:contact_detail", contact.pk)
    return render(
        request, "portal/contacts/person_delete.html", {"contact": contact, "person": person}
    )


# The work areas whose forms choose a contact: who may use one may look contacts up by name.
LOOKUP_AREAS = (Area.CONTACTS, Area.ORDERS, Area.ACTIVITIES, Area.TIME_SHEETS)


@require_GET
def contact_lookup(request: HttpRequest) -> HttpResponse:
    """Up to 20 of the company's contacts matching `q`, as <option>s for a RecordPicker."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    membership = current_membership(request)
    if not any(membership.can(area) for area in LOOKUP_AREAS):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:200]
    records = (
        membership.company.contacts.filter(Contact.matching(query)).order_by("name", "pk")[:20]
        if query
        else []
    )
    return render(
        request,
        "portal/desk/lookup_options.html",
        {
            "records": records,
            "required": request.GET.get("required") == "1",
        },
    )
