from django.contrib import admin
from django.http import HttpRequest

from invitations.models import Invitation, InvitationEvent


class InvitationEventInline(admin.TabularInline):
    model = InvitationEvent
    extra = 0
    fields = readonly_fields = ("kind", "by", "at")
    can_delete = False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """For staff, read-only: invitations are made and closed on the company's pages, where the
    rules (seats, rights) are checked. The token's hash is never shown."""

    list_display = ["name", "email", "company", "profile", "created_at", "expires_at"]
    list_filter = ["accepted_at", "revoked_at"]
    search_fields = ["name", "email", "company__name"]
    fields = readonly_fields = (
        "company",
        "database",
        "person_id",
        "name",
        "email",
        "message",
        "profile",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
        "superseded_at",
    )
    inlines = [InvitationEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
