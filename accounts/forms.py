from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessProfile, User, normalise_email
from accounts.rights import (
    AREAS,
    FUNCTIONS,
    MAX_LEVEL,
    TEMPLATES,
    Area,
    Level,
    Rights,
    functions_of,
    rank,
)
from licensing.models import Company

ID_IS_NOT_DESKTOP_LOGIN = _(
    "Your online ID is your e-mail address. It is separate from the user name you use in the "
    "desktop program."
)


class SignupForm(forms.Form):
    """Name and e-mail: the first step of creating an ID. The password comes with the link."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=ID_IS_NOT_DESKTOP_LOGIN,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."), code="required")
        return name

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])


class NewLinkForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])


class ChoosePasswordForm(forms.Form):
    """The password of a new ID, entered twice and checked by the site's password validators."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        # The ID to be: not saved, but the similarity validator compares against its name
        # and e-mail address.
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password1(self) -> str:
        password: str = self.cleaned_data["password1"]
        password_validation.validate_password(password, self.user)
        return password

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        return cleaned


# --- Access rights: a member's profile, a company's custom profiles ---------------------------


class MemberProfileForm(forms.Form):
    """Which access profile a member holds: a template or one of the company's own."""

    profile = forms.ModelChoiceField(
        label=_("Access profile"),
        queryset=AccessProfile.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = AccessProfile.objects.offered_to(company)  # type: ignore[attr-defined]


def _level_field(area: str) -> str:
    return f"area_{area}"


def _function_field(code: str) -> str:
    return "function_" + code.replace(".", "__")


class AccessProfileForm(forms.Form):
    """A custom profile: a name, a level per work area, and the functions that matter."""

    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(
        self, *args: Any, company: Company, profile: AccessProfile | None = None, **kwargs: Any
    ) -> None:
        self.company = company
        self.profile = profile
        rights = profile.rights if profile is not None else Rights()
        initial: dict[str, Any] = {"name": profile.name if profile is not None else ""}
        for area in AREAS:
            initial[_level_field(area)] = rights.level(area)
        for code in FUNCTIONS:
            initial[_function_field(code)] = code in rights.functions
        kwargs.setdefault("initial", initial)
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for area in AREAS:
            choices = [
                (level.value, level.label)
                for level in Level
                if rank(level) <= rank(MAX_LEVEL[area])
            ]
            self.fields[_level_field(area)] = forms.ChoiceField(
                label=Area(area).label,
                choices=choices,
                widget=forms.RadioSelect,
                help_text=_("Invoices are read-only online: their master is the company database.")
                if area == Area.INVOICES
                else "",
            )
            for function in functions_of(area):
                self.fields[_function_field(function.code)] = forms.BooleanField(
                    label=function.label,
                    required=False,
                    help_text=_("Needs %(level)s rights on %(area)s.")
                    % {"level": function.needs.label, "area": Area(area).label},
                )

    def area_groups(self) -> list[tuple[forms.BoundField, list[forms.BoundField]]]:
        """Each work area's level with its functions, for a fieldset per area."""
        return [
            (
                self[_level_field(area)],
                [self[_function_field(function.code)] for function in functions_of(area)],
            )
            for area in AREAS
        ]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a name."), code="required")
        taken = AccessProfile.objects.custom_of(self.company).filter(name__iexact=name)
        if self.profile is not None:
            taken = taken.exclude(pk=self.profile.pk)
        if taken.exists() or name.lower() in {
            str(template.name).lower() for template in TEMPLATES.values()
        }:
            raise forms.ValidationError(
                _("An access profile with this name already exists."), code="unique"
            )
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        areas = {
            area: cleaned[_level_field(area)] for area in AREAS if cleaned.get(_level_field(area))
        }
        functions = [code for code in FUNCTIONS if cleaned.get(_function_field(code))]
        try:
            cleaned["rights"] = Rights.of(areas, functions)
        except forms.ValidationError as error:
            self.add_error(None, error)
        return cleaned
