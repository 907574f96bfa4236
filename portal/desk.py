"""What every work-area page shares.

- Lists stay fast on a company of 100,000 contacts: a search, sorting only on the orders the
  list offers (each backed by an index of the records app, and ending on the primary key so
  that pages never overlap), and pages of PAGE_SIZE rows. A page never counts the whole list
  (a COUNT of 100,000 rows costs more than the rest of the page): it counts up to
  COUNT_LIMIT rows and says "more than" beyond.
- Forms write through records.services only, so that every online edit reaches the company
  database. An edit remembers the version of the record it was opened on; when somebody else
  (online or in the desktop program) changed the record meanwhile, the form comes back with
  the newer values beside the editor's own and asks, instead of silently overwriting them.
- The company picker for records (a contact of an order, say) offers the chosen record and a
  search, never a select of every contact.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, overload
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _

from accounts.models import Membership
from licensing.models import Company
from records.models import Record
from records.services import StaleRecord, create_record, update_record

PAGE_SIZE = 50
COUNT_LIMIT = 1000


# --- time ------------------------------------------------------------------------------------


def in_company_time(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Runs a work-area view `(request, membership, ...)` in the company's time zone (put it
    under `area_required`): its forms read and show times as the company's local times, and
    its pages show them so, whichever zone the server or the browser is in. Stored times stay
    UTC."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, membership: Membership, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        with timezone.override(membership.company.time_zone):
            return view(request, membership, *args, **kwargs)

    return wrapper


# --- lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sort:
    label: Any
    order_by: tuple[str, ...]


@dataclass(frozen=True)
class SortLink:
    key: str
    label: Any
    url: str
    current: bool


@dataclass(frozen=True)
class Page(Sequence[Any]):
    """Rows `first`..`last` (counted from 1) of a list, and how many the list holds: `total`,
    or None when that is more than COUNT_LIMIT."""

    rows: list[Any]
    number: int
    total: int | None
    has_next: bool

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self.rows[index]

    @property
    def first(self) -> int:
        return _offset(self.number) + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return _offset(self.number) + len(self.rows)

    @property
    def pages(self) -> int | None:
        """How many pages the list has, when its total is known."""
        return None if self.total is None else max(1, _pages(self.total))

    @property
    def count_limit(self) -> int:
        return COUNT_LIMIT


def page_of(queryset: QuerySet[Any], requested: str | None) -> Page:
    """Page `requested` (a number from the query string; the first page when it is not one,
    the last when it lies past the end) of the ordered `queryset`: one query for the rows and
    one COUNT of at most COUNT_LIMIT + 1 rows, none when the first page holds the whole list."""
    try:
        number = max(1, int(requested or 1))
    except ValueError:
        number = 1
    number = min(number, 10**9)  # an OFFSET the database can take

    def rows_of(number: int) -> list[Any]:  # one more than a page: is there a next one?
        return list(queryset[_offset(number) : _offset(number) + PAGE_SIZE + 1])

    rows = rows_of(number)
    if number == 1 and len(rows) <= PAGE_SIZE:
        return Page(rows, 1, len(rows), has_next=False)
    counted = queryset.order_by()[: COUNT_LIMIT + 1].count()
    if not rows:  # past the end: the last page, as far as it is known
        number = max(1, _pages(min(counted, COUNT_LIMIT)))
        rows = rows_of(number)
    total = counted if counted <= COUNT_LIMIT else None
    return Page(rows[:PAGE_SIZE], number, total, has_next=len(rows) > PAGE_SIZE)


def _offset(number: int) -> int:
    """How many rows come before page `number`."""
    return (number - 1) * PAGE_SIZE


def _pages(count: int) -> int:
    """How many pages `count` rows fill."""
    return -(-count // PAGE_SIZE)


@dataclass
class Listing:
    """One page of a work area's list and what the page needs to offer the others."""

    page: Page
    query: str
    sort: str
    sort_links: list[SortLink]
    previous_url: str | None
    next_url: str | None
    params: dict[str, str]


def list_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    search: Callable[[str], Q] | None = None,
    sorts: Mapping[str, Sort],
    filters: Mapping[str, Callable[[str], Q | None]] | None = None,
) -> Listing:
    """The page of `queryset` that the request's `q`, filters, `sort` and `page` ask for.

    `filters` maps a query parameter to a function of its value giving the condition (None for
    a value that does not filter). The first of `sorts` is the default; an unknown sort, page
    or filter value falls back to the default instead of failing.
    """
    query = request.GET.get("q", "").strip()[:200]
    params: dict[str, str] = {"q": query} if query else {}
    if query and search is not None:
        queryset = queryset.filter(search(query))
    for name, condition_of in (filters or {}).items():
        value = request.GET.get(name, "")
        condition = condition_of(value) if value else None
        if condition is not None:
            queryset = queryset.filter(condition)
            params[name] = value
    default = next(iter(sorts))
    sort = request.GET.get("sort", default)
    if sort not in sorts:
        sort = default
    queryset = queryset.order_by(*sorts[sort].order_by)
    if sort != default:
        params["sort"] = sort
    page = page_of(queryset, request.GET.get("page"))

    def url(**changes: Any) -> str:
        merged = {**params, **{k: str(v) for k, v in changes.items() if v is not None}}
        merged = {k: v for k, v in merged.items() if v and not (k == "page" and v == "1")}
        return "?" + urlencode(merged) if merged else "?"

    return Listing(
        page=page,
        query=query,
        sort=sort,
        sort_links=[
            SortLink(key, option.label, url(sort=key, page=None), key == sort)
            for key, option in sorts.items()
        ],
        previous_url=url(page=page.number - 1) if page.number > 1 else None,
        next_url=url(page=page.number + 1) if page.has_next else None,
        params=params,
    )


# --- forms -----------------------------------------------------------------------------------


def display(record: Model, name: str) -> str:
    """A field's value as a person reads it (choice labels, Yes/No, localised numbers)."""
    field = record._meta.get_field(name)
    if getattr(field, "choices", None):
        return str(getattr(record, f"get_{name}_display")())
    value = getattr(record, name)
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)  # as the form shows it: in the company's zone
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(localize(value))


class RecordPicker(forms.Select):
    """A select holding only the chosen record, and a search that fills it (with htmx) from
    `lookup` (a URL name answering `?q=` with <option>s): the company's records can be far
    too many for one select."""

    template_name = "portal/desk/record_picker.html"

    def __init__(self, *, lookup: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.lookup = lookup

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        # The first match is chosen at once when a choice is required; else "(none)" stays.
        context["widget"]["lookup_url"] = reverse(self.lookup) + (
            "?required=1" if self.is_required else ""
        )
        return context

    def optgroups(self, name: str, value: list[Any], attrs: dict[str, Any] | None = None) -> Any:
        chosen = [v for v in value if v not in (None, "")]
        choices = self.choices
        options = []
        if not self.is_required or not chosen:
            options.append(self.create_option(name, "", _("(none)"), not chosen, 0))
        queryset = choices.queryset.filter(pk__in=chosen) if chosen else []  # type: ignore[attr-defined]
        for index, record in enumerate(queryset, start=1):
            options.append(self.create_option(name, record.pk, str(record), True, index))
        return [(None, options, 0)]


def record_choice(
    queryset: QuerySet[Any], *, lookup: str, label: Any, required: bool = True
) -> forms.ModelChoiceField[Any]:
    """A form field choosing one record of `queryset` (the company's) through a RecordPicker;
    an id of another company is refused as an invalid choice."""
    return forms.ModelChoiceField(
        queryset=queryset,
        label=label,
        required=required,
        widget=RecordPicker(lookup=lookup),
    )


class RecordForm(forms.ModelForm):
    """A work area's form for one record of `company`.

    `save()` creates or updates through records.services; `fixed` values are set on a new
    record without being fields (the contact of a new contact person). An edit carries the
    version it was opened on (`seen_version`); `save()` raises StaleRecord when the record
    changed since, and `asking_about(newer)` gives the form to show then."""

    seen_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, company: Company, fixed: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.company = company
        self.fixed = dict(fixed or {})
        self.newer: dict[str, str] = {}
        if self.instance.pk is not None:
            self.fields["seen_version"].initial = self.instance.version
        for field in self.fields.values():
            # Choices of related records: only the company's own.
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                field.queryset = field.queryset.filter(company=company)

    def fields_with_newer(self) -> list[tuple[forms.BoundField, str | None]]:
        """Each visible field with the newer value somebody else saved, if it differs."""
        return [(field, self.newer.get(field.name)) for field in self.visible_fields()]

    def _record_fields(self) -> list[str]:
        return [name for name in self.fields if name != "seen_version"]

    def save(self, commit: bool = True) -> Record:
        values = {name: self.cleaned_data[name] for name in self._record_fields()}
        if self.instance.pk is None:
            return create_record(
                company=self.company, model=type(self.instance), values={**self.fixed, **values}
            )
        changed = {name: values[name] for name in self.changed_data if name in values}
        return update_record(
            record=self.instance,
            values=changed,
            seen_version=self.cleaned_data["seen_version"] or None,
        )

    def asking_about(self, newer: Record) -> RecordForm:
        """The form again, on the newer record, with the editor's values kept and the newer
        value noted beside every field where the two differ."""
        # Read before binding: validating a ModelForm writes the posted values on its instance.
        differing = {
            name: display(newer, name)
            for name in self._record_fields()
            if name in self.cleaned_data
            and _comparable(getattr(newer, name)) != _comparable(self.cleaned_data[name])
        }
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict, as posted
        data[self.add_prefix("seen_version")] = newer.version
        form = type(self)(data, instance=newer, company=self.company, fixed=self.fixed)
        form.is_valid()
        form.newer = differing
        return form


def _comparable(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def record_form_page(
    request: HttpRequest,
    form: RecordForm,
    *,
    template: str,
    context: Mapping[str, Any],
    saved: Callable[[Record], str],
    message: Callable[[Record], str],
) -> HttpResponse:
    """Shows `form`; on a valid POST saves it and redirects to `saved(record)` with
    `message(record)`. A stale edit comes back asking (409); invalid input 400."""
    status = 200
    if request.method == "POST":
        # One transaction for the checks and the save: a check may lock what it read
        # (TimeSheetSettings.check_hours) until the record is written.
        with transaction.atomic():
            if form.is_valid():
                try:
                    record = form.save()
                except StaleRecord as stale:
                    form = form.asking_about(stale.current)
                    status = 409
                except ValidationError as refused:
                    form.add_error(None, refused)
                    status = 400
                else:
                    messages.success(request, message(record))
                    return redirect(saved(record))
            else:
                status = 400
    return render(request, template, {**context, "form": form}, status=status)


def company_today(company: Company) -> datetime.date:
    """Today in the company's time zone (a due date or an order date is the company's day)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(company.time_zone))
