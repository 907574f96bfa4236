from __future__ import annotations

from typing import Any

from rest_framework import serializers

from licensing.models import Agreement, CompanyDatabase, LicenceLink, Plan, Service


class ServiceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_code_display")

    class Meta:
        model = Service
        fields = ["code", "name"]


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["name", "seats"]


class LinkedDatabaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CompanyDatabase
        fields = ["database_id", "name", "kind", "edition", "schema_version", "reported_at"]


class LicenceLinkSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.code")
    database = LinkedDatabaseSerializer()
    connected = serializers.BooleanField(source="is_connected")

    class Meta:
        model = LicenceLink
        fields = ["product", "database", "connected", "linked_at"]


class AgreementSerializer(serializers.ModelSerializer):
    """The current company's agreement as the licence page shows it; read-only."""

    plan = PlanSerializer()
    seats = serializers.IntegerField(source="plan.seats")
    valid_today = serializers.SerializerMethodField()
    services = serializers.SerializerMethodField()
    add_ons = serializers.SerializerMethodField()
    licence_links = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "number",
            "customer_number",
            "status",
            "is_evaluation",
            "valid_today",
            "valid_from",
            "valid_to",
            "holder_email",
            "plan",
            "seats",
            "services",
            "add_ons",
            "licence_links",
        ]

    def get_licence_links(self, agreement: Agreement) -> list[dict[str, Any]]:
        links = agreement.company_links().select_related("database", "product")
        return list(LicenceLinkSerializer(links, many=True).data)

    def get_valid_today(self, agreement: Agreement) -> bool:
        return agreement.is_valid()

    def get_services(self, agreement: Agreement) -> list[dict[str, Any]]:
        return list(ServiceSerializer(agreement.plan.services.all(), many=True).data)

    def get_add_ons(self, agreement: Agreement) -> list[dict[str, Any]]:
        return [
            {
                "code": grant.product.code,
                "name": grant.product.name,
                "links_database": grant.product.links_database,
                "database_allowance": grant.allowance,
            }
            for grant in agreement.granted_add_ons.select_related("product").order_by(
                "product__name"
            )
        ]
