from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("company").order_by("company__name")  # type: ignore[union-attr]
    return render(request, "portal/dashboard.html", {"memberships": memberships})
