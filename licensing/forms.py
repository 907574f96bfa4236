from django import forms
from django.utils.translation import gettext_lazy as _


class ClaimForm(forms.Form):
    number = forms.CharField(
        label=_("Agreement number"),
        max_length=32,
        help_text=_("As printed on your agreement."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    customer_number = forms.CharField(
        label=_("Customer number"),
        max_length=32,
        help_text=_("As printed on your agreement and invoices."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
