from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessProfile, ApiToken, Membership, SignupRequest, User


class UserCreationAdminForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name"]


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "name", "language", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["name", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]}),
    ]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "profile", "is_default", "created_at"]
    list_filter = ["profile__template"]
    search_fields = ["user__email", "company__name"]
    raw_id_fields = ["user", "company", "profile"]

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        # One ID's access to one company: another ID or company is another membership (and
        # the ID a membership left would keep it in its kept memberships for a while).
        return ["user", "company"] if obj is not None else []


@admin.register(AccessProfile)
class AccessProfileAdmin(admin.ModelAdmin):
    """Custom profiles are the company's own business (its super users edit them on the
    Access profiles page); templates are defined in code. Staff only look."""

    list_display = ["__str__", "company", "template", "created_at"]
    search_fields = ["name", "company__name"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(SignupRequest)
class SignupRequestAdmin(admin.ModelAdmin):
    """Read-only: for answering "I never got the mail"; the token itself is never stored."""

    list_display = ["email", "name", "language", "created_at", "expires_at", "used_at"]
    search_fields = ["email", "name"]
    readonly_fields = [
        "name",
        "email",
        "language",
        "next_url",
        "created_at",
        "expires_at",
        "used_at",
        "superseded_at",
    ]
    exclude = ["token_hash"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only, with one action: revoking tokens (a leaked one, an integration gone). The
    secret is not stored, so it cannot be shown here either."""

    list_display = ["name", "prefix", "membership", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "membership__user__email", "membership__company__name"]
    list_select_related = ["membership__user", "membership__company"]
    readonly_fields = ["membership", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected API tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
