"""The site's URLs, plus two views doing nothing, behind the same middleware: /bench/bare/
(the ceiling of the issue's target) and /bench/member/, which first reads the signed-in ID and
its current membership as every page of a member does (the fixed cost of such a page)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from accounts.models import Membership
from portal.company import member_required
from portal.urls import urlpatterns as site


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@member_required
def member(request: HttpRequest, membership: Membership) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), path("bench/member/", member), *site]
