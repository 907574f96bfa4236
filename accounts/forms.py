from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts.models import User, normalise_email

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
