from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from licensing.models import (
    AddOnProduct,
    Agreement,
    AgreementAddOn,
    Company,
    CompanyDatabase,
    ForeignDatabaseAttempt,
    LicenceLink,
    Plan,
    Service,
)


class AgreementInline(admin.TabularInline):
    model = Agreement
    fields = ["number", "customer_number", "plan", "valid_from", "valid_to", "status"]
    extra = 0
    show_change_link = True


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "language", "created_at"]
    search_fields = ["name", "agreements__number", "agreements__customer_number"]
    list_filter = ["language"]
    inlines = [AgreementInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "__str__"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "seats"]
    filter_horizontal = ["services"]
    search_fields = ["name"]


@admin.register(AddOnProduct)
class AddOnProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "database_allowance"]
    search_fields = ["name", "code"]


class AgreementAddOnInline(admin.TabularInline):
    model = AgreementAddOn
    extra = 1
    autocomplete_fields = ["product"]


class LicenceLinkInline(admin.TabularInline):
    model = LicenceLink
    extra = 0
    fields = ["product", "database", "linked_by", "linked_at"]
    readonly_fields = ["product", "database", "linked_by", "linked_at"]
    can_delete = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Links are made on the licence page, where the rules are checked.
        return False


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "customer_number",
        "company",
        "plan",
        "valid_from",
        "valid_to",
        "status",
        "is_evaluation",
        "holder_email",
    ]
    list_filter = ["status", "is_evaluation", "plan"]
    search_fields = ["number", "customer_number", "holder_email", "company__name"]
    autocomplete_fields = ["company", "plan"]
    inlines = [AgreementAddOnInline, LicenceLinkInline]


@admin.register(CompanyDatabase)
class CompanyDatabaseAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "kind", "edition", "schema_version", "reported_at"]
    list_filter = ["kind", "edition", "connected"]
    search_fields = ["name", "company__name", "database_id"]
    # What a sync host reported is its word, not staff's: shown, not edited.
    readonly_fields = [
        "company",
        "database_id",
        "name",
        "kind",
        "edition",
        "schema_version",
        "report",
        "reported_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ForeignDatabaseAttempt)
class ForeignDatabaseAttemptAdmin(admin.ModelAdmin):
    list_display = [
        "attempted_at",
        "database_id",
        "reported_name",
        "reporting_company",
        "owning_company",
    ]
    search_fields = ["database_id", "reported_name", "reporting_company__name"]
    date_hierarchy = "attempted_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LicenceLink)
class LicenceLinkAdmin(admin.ModelAdmin):
    list_display = ["agreement", "product", "database", "linked_by", "linked_at"]
    search_fields = ["agreement__number", "database__name", "agreement__company__name"]
    readonly_fields = ["agreement", "product", "database", "linked_by", "linked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
