"""The REST API (/api/v1/): the licence, and the records of every work area.

Who is calling: a personal API token (`Authorization: Bearer od_...`, one membership) or the
browser's session (with CSRF; the current company as on the pages). Rights are the pages'
rights, read at every request: `membership.can(area, level)` per work area (Read for GET,
Full for a write), and the functions inside an area (contacts.delete, orders.orders,
time_sheets.all). Another company's record is a 404.

Every write goes through records.services; a change or delete needs the record's ETag in
If-Match (428 without it, 412 when the record was written since).
"""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal
from typing import Any, ClassVar

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.http import parse_etags, quote_etag
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import (
    APIException,
    MethodNotAllowed,
    PermissionDenied,
)
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from accounts.rights import Area, Level
from licensing.serializers import AgreementSerializer
from portal import serializers as shapes
from portal.api_auth import ApiTokenAuthentication, api_membership
from portal.employees import link_employee
from portal.models import TimeSheetSettings
from records.models import (
    Activity,
    Contact,
    ContactPerson,
    Invoice,
    Order,
    OrderLine,
    Product,
    Record,
    TimesheetLine,
)
from records.services import (
    ReadOnlyRecord,
    RecordInUse,
    StaleRecord,
    create_record,
    delete_record,
    update_record,
)

# --- who is calling: see portal/api_auth.py ----------------------------------------------------


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "od_..."}


# --- the answers, as the schema names them -------------------------------------------------

ERROR = inline_serializer("Error", fields={"detail": serializers.CharField()})
STALE = inline_serializer(
    "StaleRecord",
    fields={
        "detail": serializers.CharField(),
        "current_version": serializers.CharField(),
        "current": serializers.DictField(help_text="The record as it is now."),
    },
)
# Every answer besides success that a route may give, by status code.
ANSWERS: dict[int, OpenApiResponse] = {
    304: OpenApiResponse(description="If-None-Match names the record's current ETag."),
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Not valid: the errors per field (or `detail` for a body that is no JSON).",
    ),
    401: OpenApiResponse(ERROR, description="No API token, or an unknown or revoked one."),
    403: OpenApiResponse(ERROR, description="The member's rights do not allow this."),
    404: OpenApiResponse(
        ERROR, description="No such record in the company, or a cursor that is not ours."
    ),
    409: OpenApiResponse(
        ERROR, description="Other records still refer to this one, or its day is closed."
    ),
    412: OpenApiResponse(STALE, description="The record was changed since; the body has it."),
    428: OpenApiResponse(ERROR, description="If-Match is missing."),
    429: OpenApiResponse(ERROR, description="Too many calls; Retry-After says when to retry."),
}
_ANSWERS_OF_ACTION: dict[str, tuple[int, ...]] = {
    "list": (400, 401, 403, 404, 429),
    "retrieve": (304, 401, 403, 404, 429),
    "create": (400, 401, 403, 429),
    "update": (400, 401, 403, 404, 409, 412, 428, 429),
    "partial_update": (400, 401, 403, 404, 409, 412, 428, 429),
    "destroy": (401, 403, 404, 409, 412, 428, 429),
}


# --- the licence --------------------------------------------------------------------------------


class LicenceView(APIView):
    """The current company's agreement, add-ons, services, seats and licence links.

    No membership is a 404; a member who is not super user gets 403, as on the licence page."""

    @extend_schema(
        responses={
            200: OpenApiTypes.OBJECT,
            **{code: ANSWERS[code] for code in (401, 403, 404, 429)},
        }
    )
    def get(self, request: Request) -> Response:
        membership = api_membership(request)
        if not membership.is_super_user:
            raise PermissionDenied
        company = membership.company
        agreement = company.current_agreement()
        if agreement is None:
            raise Http404
        data: dict[str, Any] = {
            "company": {"name": company.name, "time_zone": company.time_zone},
            "agreement": AgreementSerializer(agreement).data,
        }
        return Response(data)


# --- the answers of a write ---------------------------------------------------------------------


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = gettext_lazy(
        "Send the record's ETag in If-Match, so that a change made since you read it is not "
        "overwritten."
    )
    default_code = "precondition_required"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _etag(record: Record) -> str:
    return quote_etag(record.version)


class WorkAreaPermission(BasePermission):
    """The view's work area at Read for reading and at Full for writing (plan and rights);
    no membership of a company is a 404."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        membership = api_membership(request)
        level = Level.READ if request.method in SAFE_METHODS else Level.FULL
        return membership.can(view.area, level)  # type: ignore[attr-defined]


class RecordPagination(CursorPagination):
    """Cursor pages: as fast on the last page of 100,000 contacts as on the first, and stable
    while records are added."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class RecordOrdering(OrderingFilter):
    """?ordering=name or -name (fields indexed per company); the id breaks ties, so that the
    order, and with it the cursor, is the same at every request."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering.append("-id" if ordering and ordering[0].startswith("-") else "id")
        return ordering


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the record as read, e.g. "18c2f0a9e41b2"; "*" for any version.',
)


class RecordSchema(AutoSchema):
    """A record route's answers in the schema: the record (or page of records) on success, and
    every refusal the route gives (see ANSWERS), so that a client knows them all."""

    def get_response_serializers(self) -> Any:
        shape = super().get_response_serializers()
        if self.method == "DELETE":
            success: dict[int, Any] = {204: None}
        elif self._is_create_operation():
            success = {201: shape}
        else:
            success = {200: shape}
        codes = _ANSWERS_OF_ACTION.get(getattr(self.view, "action", ""), ())
        return {**success, **{code: ANSWERS[code] for code in codes}}


class RecordViewSet(viewsets.ModelViewSet):
    """The records of one work area, reached through the caller's company.

    A subclass names the `area`, the company's `related_name` of its records, its serializer,
    filters and ordering, and adds the area's function rules in `check_write`."""

    area: ClassVar[str]
    related_name: ClassVar[str]
    model: ClassVar[type[Record]]
    serializer_class: type[shapes.RecordSerializer]

    schema = RecordSchema()
    permission_classes = [IsAuthenticated, WorkAreaPermission]
    filter_backends = [DjangoFilterBackend, RecordOrdering]
    pagination_class = RecordPagination
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    @property
    def membership(self) -> Membership:
        return api_membership(self.request)

    def check_permissions(self, request: Request) -> None:
        # A write to a read-only area (invoices) is 405 for everyone, before the rights are
        # asked: nobody's rights could allow it.
        if (request.method or "").lower() not in self.http_method_names:
            raise MethodNotAllowed(request.method or "")
        super().check_permissions(request)

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return self.model.objects.none()  # type: ignore[attr-defined]
        queryset: QuerySet[Any] = getattr(self.membership.company, self.related_name).all()
        return queryset

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["membership"] = self.membership
        return context

    # --- the area's rules for a write (a subclass adds its own) --------------------------------

    def check_write(self, *, record: Record | None, values: dict[str, Any]) -> None:
        """Raise PermissionDenied when the member may not make this write. `record` is None
        for a new record; `values` holds the fields sent (and may be completed here)."""

    def check_delete(self, *, record: Record) -> None:
        """Raise PermissionDenied when the member may not delete `record`."""
        self.check_write(record=record, values={})

    # --- the answers ------------------------------------------------------------------------

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, StaleRecord):
            return self._stale(exc.current)
        if isinstance(exc, DjangoValidationError):
            exc = serializers.ValidationError(self._field_errors(exc))
        elif isinstance(exc, RecordInUse):
            exc = Conflict(str(exc))
        elif isinstance(exc, ReadOnlyRecord):
            exc = MethodNotAllowed(self.request.method or "", detail=str(exc))
        return super().handle_exception(exc)

    def _field_errors(self, error: DjangoValidationError) -> Any:
        detail = serializers.as_serializer_error(error)
        return {self.serializer_class.api_name(field): errors for field, errors in detail.items()}

    def _stale(self, current: Record) -> Response:
        return Response(
            {
                "detail": _(
                    "This record was changed by someone else in the meantime. Read it again "
                    "and make your change on the current version."
                ),
                "current_version": current.version,
                "current": self.get_serializer(current).data,
            },
            status=status.HTTP_412_PRECONDITION_FAILED,
            headers={"ETag": _etag(current)},
        )

    def _respond(self, record: Record, status_code: int = status.HTTP_200_OK) -> Response:
        headers = {"ETag": _etag(record)}
        if status_code == status.HTTP_201_CREATED:
            headers["Location"] = reverse(f"api:{self.basename}-detail", args=[record.pk])
        return Response(self.get_serializer(record).data, status=status_code, headers=headers)

    def _seen_version(self, record: Record) -> str | None:
        """The version named by If-Match: 428 without one, 412 when it is not the record's
        (checked again under the row lock by the write itself). None for "*"."""
        header = self.request.headers.get("If-Match")
        if not header:
            raise PreconditionRequired
        tags = parse_etags(header)
        if tags == ["*"]:
            return None
        current = _etag(record)
        if current not in tags:
            raise StaleRecord(record)
        return record.version

    # --- the actions --------------------------------------------------------------------------

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        if _etag(record) in parse_etags(request.headers.get("If-None-Match", "")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": _etag(record)})
        return self._respond(record)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        with transaction.atomic():  # the checks' locks (check_write) last until the write
            self.check_write(record=None, values=values)
            record = create_record(company=self.membership.company, model=self.model, values=values)
        return self._respond(record, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        record = self.get_object()
        seen_version = self._seen_version(record)
        serializer = self.get_serializer(record, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        with transaction.atomic():  # the checks' locks (check_write) last until the write
            self.check_write(record=record, values=values)
            updated = update_record(record=record, values=values, seen_version=seen_version)
        return self._respond(updated)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(parameters=[IF_MATCH])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        seen_version = self._seen_version(record)
        self.check_delete(record=record)
        with transaction.atomic():
            # The version is compared again under the row lock: a write that committed
            # between the read above and this delete is not deleted unseen.
            locked = self.get_queryset().select_for_update().filter(pk=record.pk).first()
            if locked is None:
                raise Http404
            if seen_version is not None and locked.version != seen_version:
                raise StaleRecord(locked)
            delete_record(record=locked)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- filters ------------------------------------------------------------------------------------


class IdFilter(django_filters.NumberFilter):
    """?contact=, ?order=, ?employee=...: a whole number that can be an id; anything else is a
    400, not a query the database cannot run."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", shapes.LARGEST_ID)
        super().__init__(*args, **kwargs)


def _with_date_range(filterset: type[django_filters.FilterSet], field: str) -> None:
    """?from= and ?to= (dates, both included) on a date field. Named after Python keywords, so
    added here rather than declared in the class."""
    filterset.base_filters["from"] = django_filters.DateFilter(
        field_name=field, lookup_expr="gte", label="On or after this date"
    )
    filterset.base_filters["to"] = django_filters.DateFilter(
        field_name=field, lookup_expr="lte", label="On or before this date"
    )


class RecordFilter(django_filters.FilterSet):
    """?q= searches the record's list as its page does (the model's SEARCH fields)."""

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(queryset.model.matching(value))


class ContactFilter(RecordFilter):
    q = django_filters.CharFilter(
        method="search", label="Name, city, e-mail, phone or organisation number"
    )
    city = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["is_customer", "is_supplier", "city", "country"]


class ContactPersonFilter(RecordFilter):
    contact = IdFilter(field_name="contact")
    q = django_filters.CharFilter(method="search", label="Name or e-mail")

    class Meta:
        model = ContactPerson
        fields = ["contact"]


class ProductFilter(RecordFilter):
    q = django_filters.CharFilter(method="search", label="Name or article number")

    class Meta:
        model = Product
        fields = ["is_active"]


class OrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Order.Status.choices)
    contact = IdFilter(field_name="contact")

    class Meta:
        model = Order
        fields = ["status", "contact"]


_with_date_range(OrderFilter, "order_date")


class OrderLineFilter(django_filters.FilterSet):
    order = IdFilter(field_name="order")
    product = IdFilter(field_name="product")

    class Meta:
        model = OrderLine
        fields = ["order", "product"]


class ActivityFilter(django_filters.FilterSet):
    contact = IdFilter(field_name="contact")
    employee = IdFilter(field_name="employee_source_id")

    class Meta:
        model = Activity
        fields = ["done", "kind", "contact", "employee"]

    def on_or_after(self, queryset: QuerySet[Any], name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(starts_at__gte=self._midnight(value))

    def on_or_before(self, queryset: QuerySet[Any], name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(starts_at__lt=self._midnight(value + datetime.timedelta(days=1)))

    def _midnight(self, day: datetime.date) -> datetime.datetime:
        # A day is the company's day; compared as a time range so the index on starts_at
        # serves it (a cast to a date per row would not).
        zone = zoneinfo.ZoneInfo(api_membership(self.request).company.time_zone)
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)


ActivityFilter.base_filters["from"] = django_filters.DateFilter(
    method="on_or_after", label="Starts on or after this day (the company's time zone)"
)
ActivityFilter.base_filters["to"] = django_filters.DateFilter(
    method="on_or_before", label="Starts on or before this day (the company's time zone)"
)


class TimesheetLineFilter(django_filters.FilterSet):
    employee = IdFilter(field_name="employee_source_id")
    contact = IdFilter(field_name="contact")

    class Meta:
        model = TimesheetLine
        fields = ["employee", "contact"]


_with_date_range(TimesheetLineFilter, "work_date")


class InvoiceFilter(django_filters.FilterSet):
    contact = IdFilter(field_name="contact")

    class Meta:
        model = Invoice
        fields = ["paid", "contact"]


_with_date_range(InvoiceFilter, "invoice_date")


# --- the work areas -----------------------------------------------------------------------------


class ContactViewSet(RecordViewSet):
    """Contacts. Deleting needs the function "May delete contacts" besides Full."""

    area = Area.CONTACTS
    related_name = "contacts"
    model = Contact
    serializer_class = shapes.ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["name", "city", "id"]
    ordering = ["name"]

    def check_delete(self, *, record: Record) -> None:
        if not self.membership.may("contacts.delete"):
            raise PermissionDenied(_("You may not delete contacts."))


class ContactPersonViewSet(RecordViewSet):
    """The contact persons of the company's contacts (?contact= for one contact's)."""

    area = Area.CONTACTS
    related_name = "contact_persons"
    model = ContactPerson
    serializer_class = shapes.ContactPersonSerializer
    filterset_class = ContactPersonFilter
    ordering_fields = ["last_name", "id"]
    ordering = ["last_name"]


class ProductViewSet(RecordViewSet):
    area = Area.PRODUCTS
    related_name = "products"
    model = Product
    serializer_class = shapes.ProductSerializer
    filterset_class = ProductFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]


def _quotes_only(membership: Membership, *orders: Order | None) -> None:
    """Without the function "May create orders", a member makes and changes quotes only."""
    if membership.may("orders.orders"):
        return
    if any(order is not None and order.status != Order.Status.QUOTE for order in orders):
        raise PermissionDenied(_("You may create and change quotes only, not orders."))


class OrderViewSet(RecordViewSet):
    """Quotes and orders. Without "May create orders", only quotes may be made or changed."""

    area = Area.ORDERS
    related_name = "orders"
    model = Order
    serializer_class = shapes.OrderSerializer
    filterset_class = OrderFilter
    ordering_fields = ["order_date", "id"]
    ordering = ["-order_date"]

    def check_write(self, *, record: Record | None, values: dict[str, Any]) -> None:
        if self.membership.may("orders.orders"):
            return
        status_after = values.get("status", getattr(record, "status", Order.Status.QUOTE))
        if status_after != Order.Status.QUOTE:
            raise PermissionDenied(_("You may create and change quotes only, not orders."))
        _quotes_only(self.membership, record)  # type: ignore[arg-type]


class OrderLineViewSet(RecordViewSet):
    """The lines of the company's orders (?order= for one order's). A line is part of its
    order: without "May create orders", only a quote's lines may be changed."""

    area = Area.ORDERS
    related_name = "order_lines"
    model = OrderLine
    serializer_class = shapes.OrderLineSerializer
    filterset_class = OrderLineFilter
    ordering_fields = ["id"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Any]:
        # The order's status is read by the quotes-only rule.
        return super().get_queryset().select_related("order")

    def check_write(self, *, record: Record | None, values: dict[str, Any]) -> None:
        line: OrderLine | None = record  # type: ignore[assignment]
        _quotes_only(self.membership, line.order if line else None, values.get("order"))


class ActivityViewSet(RecordViewSet):
    area = Area.ACTIVITIES
    related_name = "activities"
    model = Activity
    serializer_class = shapes.ActivitySerializer
    filterset_class = ActivityFilter
    ordering_fields = ["starts_at", "id"]
    ordering = ["-starts_at"]


_LINE_FIELDS = ("work_date", "hours", "employee_source_id")


class TimesheetLineViewSet(RecordViewSet):
    """Hours. Without "Everyone's hours", a member sees and writes only the lines of the
    employee they are (portal.employees.link_employee; none while they are no employee). Every
    write keeps the company's time-sheet settings, as on the pages: the day (not in the future,
    not too far back, weekends), the step, and at most 24 hours a day."""

    area = Area.TIME_SHEETS
    related_name = "timesheet_lines"
    model = TimesheetLine
    serializer_class = shapes.TimesheetLineSerializer
    filterset_class = TimesheetLineFilter
    ordering_fields = ["work_date", "id"]
    ordering = ["-work_date"]

    @cached_property
    def own_employee(self) -> int | None:
        return link_employee(self.membership)

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False) or self.membership.may("time_sheets.all"):
            return queryset
        return queryset.filter(employee_source_id=self.own_employee)

    def check_write(self, *, record: Record | None, values: dict[str, Any]) -> None:
        line: TimesheetLine | None = record  # type: ignore[assignment]
        if line is None and "employee_source_id" not in values:
            if self.own_employee is None:
                raise serializers.ValidationError(
                    {"employee_id": [_("Name the employee whose hours these are.")]}
                )
            values["employee_source_id"] = self.own_employee
        self._check_whose(values.get("employee_source_id"))
        settings, today = self._settings_and_today()
        if line is not None:
            self._check_still_open(line, settings, today)
        # Required on a new line, so the serializer made sure they are there.
        before = {} if line is None else {field: getattr(line, field) for field in _LINE_FIELDS}
        after = {**before, **values}
        work_date: datetime.date = after["work_date"]
        hours: Decimal = after["hours"]
        try:
            settings.check_day(work_date, today=today)
        except DjangoValidationError as refused:
            raise serializers.ValidationError({"work_date": refused.messages}) from None
        try:
            settings.check_hours(
                hours,
                employee_source_id=after["employee_source_id"],
                work_date=work_date,
                line_id=None if line is None else line.pk,
            )
        except DjangoValidationError as refused:
            raise serializers.ValidationError({"hours": refused.messages}) from None

    def check_delete(self, *, record: Record) -> None:
        line: TimesheetLine = record  # type: ignore[assignment]
        settings, today = self._settings_and_today()
        try:
            settings.check_day(line.work_date, today=today)
        except DjangoValidationError as closed:
            raise Conflict(
                _("These hours can no longer be deleted online: %(reason)s")
                % {"reason": " ".join(closed.messages)}
            ) from None

    def _check_whose(self, employee: int | None) -> None:
        if self.membership.may("time_sheets.all"):
            return
        if self.own_employee is None:
            raise PermissionDenied(
                _("Your membership is linked to no employee, so you have no hours to write.")
            )
        if employee is not None and employee != self.own_employee:
            raise PermissionDenied(_("You may write only your own hours."))

    def _settings_and_today(self) -> tuple[TimeSheetSettings, datetime.date]:
        company = self.membership.company
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(company.time_zone))
        return TimeSheetSettings.for_company(company), today

    def _check_still_open(
        self, line: TimesheetLine, settings: TimeSheetSettings, today: datetime.date
    ) -> None:
        try:
            settings.check_day(line.work_date, today=today)
        except DjangoValidationError:
            raise Conflict(
                _("The hours of %(date)s can no longer be changed online.")
                % {"date": formats.localize(line.work_date)}
            ) from None


class InvoiceViewSet(RecordViewSet):
    """Invoices, read-only: the company database is their master."""

    area = Area.INVOICES
    related_name = "invoices"
    model = Invoice
    serializer_class = shapes.InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["invoice_date", "id"]
    ordering = ["-invoice_date"]
    http_method_names = ["get", "head", "options"]


# Router prefix, view set, basename (api:<basename>-list, api:<basename>-detail).
RECORD_ROUTES: list[tuple[str, type[RecordViewSet], str]] = [
    ("contacts", ContactViewSet, "contact"),
    ("contact-persons", ContactPersonViewSet, "contact-person"),
    ("products", ProductViewSet, "product"),
    ("orders", OrderViewSet, "order"),
    ("order-lines", OrderLineViewSet, "order-line"),
    ("activities", ActivityViewSet, "activity"),
    ("time-sheet-lines", TimesheetLineViewSet, "time-sheet-line"),
    ("invoices", InvoiceViewSet, "invoice"),
]


# --- the documentation --------------------------------------------------------------------------


@csrf_exempt
def no_such_route(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/v1/ (such as /api/v1/contacts/abc/): the API's own 404 in
    JSON, not the site's HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar's files, its set-up script served by this view
    (?script): no inline script or style, so the site's CSP holds."""

    template_name = "portal/api_docs.html"
    url_name = "api:schema"
