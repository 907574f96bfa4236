from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import ChoosePasswordForm
from accounts.models import AccessProfile, normalise_email
from licensing.models import Company


class InviteForm(forms.Form):
    """The e-mail address (prefilled from the company database, may be corrected), a personal
    message, and the access profile: a template or one of the company's custom profiles."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("From the company database. Correct it if the invitation should go elsewhere."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    message = forms.CharField(
        label=_("Personal message"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional. Shown in the e-mail."),
    )
    profile = forms.ModelChoiceField(
        label=_("Access profile"),
        queryset=AccessProfile.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = AccessProfile.objects.offered_to(company)  # type: ignore[attr-defined]

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])


class NewIdForm(ChoosePasswordForm):
    """The new ID of an invited person: their name (from the company database, may be
    corrected) and a password. The e-mail address is the invited one and cannot be changed."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["name", "password1", "password2"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."), code="required")
        return name
