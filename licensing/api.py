"""Read-only API of the licence: /api/v1/licence/ for the current company."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.http import Http404
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from licensing.models import Company
from licensing.serializers import AgreementSerializer


class _Membership(Protocol):
    company: Company
    is_super_user: bool


class LicenceView(APIView):
    """The current company's agreement, add-ons, services, seats and licence links.

    Which company is current is the portal's rule (portal.company.current_membership); the
    URLconf hands it in, because licensing must not import the portal or accounts. No
    membership is a 404; a member who is not super user gets 403, as on the licence page.
    """

    current_membership: Callable[[Any], _Membership] | None = None

    def get(self, request: Request) -> Response:
        if self.current_membership is None:
            raise RuntimeError("LicenceView.as_view() needs current_membership=.")
        membership = self.current_membership(request)
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
