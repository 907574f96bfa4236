"""The REST API's views that need the current company (portal/company.py)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from licensing.serializers import AgreementSerializer
from portal.company import current_membership


class LicenceView(APIView):
    """The current company's agreement, add-ons, services, seats and licence links.

    No membership is a 404; a member who is not super user gets 403, as on the licence page."""

    def get(self, request: Request) -> Response:
        membership = current_membership(request)
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
