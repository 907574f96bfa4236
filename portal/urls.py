"""The site's URL map: every app's pages are wired here, the portal's own under "portal:"."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from portal import (
    activity_views,
    api_token_views,
    contact_views,
    host_views,
    invoice_views,
    licence_views,
    member_views,
    online_desktop_views,
    order_views,
    product_views,
    time_sheet_views,
    user_admin_views,
    views,
    wizard_views,
)
from portal.api import RECORD_ROUTES, ApiDocsView, LicenceView, no_such_route

# Failed sign-ins to the staff administration are throttled like every other sign-in surface.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Online Desktop"
admin.site.site_title = "Online Desktop"

portal_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/focus-areas/", views.focus_area, name="focus_area"),
    path("licence/", licence_views.licence, name="licence"),
    path("licence/add/", licence_views.licence_add, name="licence_add"),
    path("licence/links/<int:link_id>/move/", licence_views.licence_move, name="licence_move"),
    path("licence/claim/", licence_views.licence_claim, name="licence_claim"),
    path("company/switch/", member_views.company_switch, name="company_switch"),
    path("company/leave/", member_views.leave, name="leave"),
    path("company/members/", member_views.members, name="members"),
    path("company/members/<int:member_id>/", member_views.member_edit, name="member_edit"),
    path(
        "company/members/<int:member_id>/remove/",
        member_views.member_remove,
        name="member_remove",
    ),
    path("company/profiles/", member_views.profiles, name="profiles"),
    path("company/profiles/add/", member_views.profile_add, name="profile_add"),
    path("company/profiles/<int:profile_id>/", member_views.profile_edit, name="profile_edit"),
    path(
        "company/profiles/<int:profile_id>/delete/",
        member_views.profile_delete,
        name="profile_delete",
    ),
    path("company/users/", user_admin_views.users, name="users"),
    path("company/users/refresh/", user_admin_views.users_refresh, name="users_refresh"),
    path("company/users/<int:person_id>/", user_admin_views.user_detail, name="user_detail"),
    path(
        "company/invitations/<int:invitation_id>/resend/",
        user_admin_views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "company/invitations/<int:invitation_id>/revoke/",
        user_admin_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitation/<str:token>/", user_admin_views.invitation_accept, name="invitation_accept"),
    path("contacts/", contact_views.contacts, name="contacts"),
    path("contacts/new/", contact_views.contact_add, name="contact_add"),
    path("contacts/lookup/", contact_views.contact_lookup, name="contact_lookup"),
    path("contacts/<int:contact_id>/", contact_views.contact_detail, name="contact_detail"),
    path("contacts/<int:contact_id>/edit/", contact_views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/delete/", contact_views.contact_delete, name="contact_delete"),
    path("contacts/<int:contact_id>/persons/new/", contact_views.person_add, name="person_add"),
    path(
        "contacts/<int:contact_id>/persons/<int:person_id>/edit/",
        contact_views.person_edit,
        name="person_edit",
    ),
    path(
        "contacts/<int:contact_id>/persons/<int:person_id>/delete/",
        contact_views.person_delete,
        name="person_delete",
    ),
    path("products/", product_views.products, name="products"),
    path("products/new/", product_views.product_add, name="product_add"),
    path("products/lookup/", product_views.product_lookup, name="product_lookup"),
    path("products/<int:product_id>/", product_views.product_detail, name="product_detail"),
    path("products/<int:product_id>/edit/", product_views.product_edit, name="product_edit"),
    path("products/<int:product_id>/delete/", product_views.product_delete, name="product_delete"),
    path("orders/", order_views.orders, name="orders"),
    path("orders/new/", order_views.order_add, name="order_add"),
    path("orders/<int:order_id>/", order_views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/edit/", order_views.order_edit, name="order_edit"),
    path("orders/<int:order_id>/confirm/", order_views.order_confirm, name="order_confirm"),
    path("orders/<int:order_id>/lines/new/", order_views.order_line_add, name="order_line_add"),
    path(
        "orders/<int:order_id>/lines/<int:line_id>/edit/",
        order_views.order_line_edit,
        name="order_line_edit",
    ),
    path(
        "orders/<int:order_id>/lines/<int:line_id>/delete/",
        order_views.order_line_delete,
        name="order_line_delete",
    ),
    path("invoices/", invoice_views.invoices, name="invoices"),
    path("invoices/<int:invoice_id>/", invoice_views.invoice_detail, name="invoice_detail"),
    path("activities/", activity_views.activities, name="activities"),
    path("activities/calendar/", activity_views.activity_calendar, name="activity_calendar"),
    path("activities/new/", activity_views.activity_add, name="activity_add"),
    path("activities/<int:activity_id>/", activity_views.activity_detail, name="activity_detail"),
    path("activities/<int:activity_id>/edit/", activity_views.activity_edit, name="activity_edit"),
    path("activities/<int:activity_id>/done/", activity_views.activity_done, name="activity_done"),
    path(
        "activities/<int:activity_id>/delete/",
        activity_views.activity_delete,
        name="activity_delete",
    ),
    path("time-sheets/", time_sheet_views.time_sheets, name="time_sheets"),
    path("time-sheets/new/", time_sheet_views.time_sheet_add, name="time_sheet_add"),
    path(
        "time-sheets/<int:line_id>/edit/", time_sheet_views.time_sheet_edit, name="time_sheet_edit"
    ),
    path(
        "time-sheets/<int:line_id>/delete/",
        time_sheet_views.time_sheet_delete,
        name="time_sheet_delete",
    ),
    path(
        "time-sheets/settings/",
        time_sheet_views.time_sheet_settings,
        name="time_sheet_settings",
    ),
    path("company/api-tokens/", api_token_views.api_tokens, name="api_tokens"),
    path(
        "company/api-tokens/<int:token_id>/revoke/",
        api_token_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("company/hosts/", host_views.hosts, name="hosts"),
    path("company/hosts/add/", host_views.host_add, name="host_add"),
    path("company/hosts/<int:host_id>/refresh/", host_views.host_refresh, name="host_refresh"),
    path("company/hosts/<int:host_id>/remove/", host_views.host_remove, name="host_remove"),
    path("company/online-desktop/", online_desktop_views.settings_page, name="online_desktop"),
    path(
        "company/online-desktop/<int:link_id>/requirements/",
        wizard_views.requirements,
        name="activation_requirements",
    ),
    path("company/online-desktop/<int:link_id>/activate/", wizard_views.activate, name="activate"),
    path(
        "company/online-desktop/<int:link_id>/status/",
        wizard_views.status,
        name="activation_status",
    ),
    path(
        "company/online-desktop/<int:link_id>/sync-settings/",
        online_desktop_views.sync_settings,
        name="online_desktop_sync_settings",
    ),
    path(
        "company/online-desktop/<int:link_id>/disconnect/",
        online_desktop_views.disconnect,
        name="online_desktop_disconnect",
    ),
    path(
        "company/online-desktop/<int:link_id>/reconnect/",
        online_desktop_views.reconnect,
        name="online_desktop_reconnect",
    ),
    path(
        "company/online-desktop/<int:link_id>/trace/",
        online_desktop_views.trace_download,
        name="online_desktop_trace",
    ),
]

# Path-style routes (contacts/<int:pk>/), so that tests walking the URL map see the API's too.
api_router = SimpleRouter(use_regex_path=False)
for prefix, viewset, basename in RECORD_ROUTES:
    api_router.register(prefix, viewset, basename=basename)

api_patterns = [
    path("licence/", LicenceView.as_view(), name="licence"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(), name="docs"),
    *api_router.urls,
    # Last: any other path ending in a slash is the API's JSON 404 (without the slash, Django
    # still redirects to it).
    # [\s\S], not ".": a path may hold an encoded newline, and "$" would pass a trailing one.
    re_path(r"^[\s\S]*/\Z", no_such_route),
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Our own ID pages first: they take over allauth's signup (see accounts/urls.py).
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_patterns, "api"))),
    path("", include((portal_patterns, "portal"))),
]
