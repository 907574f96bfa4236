"""The site's URLs, plus /bench/bare/: a view doing nothing, behind the same middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import urlpatterns as site


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *site]
