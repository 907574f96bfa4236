"""The site's URL map: every app's pages are wired here, the portal's own under "portal:"."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from portal import views

# Failed sign-ins to the staff administration are throttled like every other sign-in surface.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Online Desktop"
admin.site.site_title = "Online Desktop"

portal_patterns = [
    path("", views.dashboard, name="dashboard"),
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Our own ID pages first: they take over allauth's signup (see accounts/urls.py).
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include((portal_patterns, "portal"))),
]
