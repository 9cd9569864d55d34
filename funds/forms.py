from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import ReversalReason


class PledgeForm(forms.Form):
    amount = forms.DecimalField(
        label=_("How much will you give? (yuan)"),
        min_value=Decimal("1"),
        max_value=Decimal("1000000"),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-lg", "inputmode": "decimal", "step": "0.01"}),
    )
    public_name = forms.CharField(
        label=_("Name to publish (optional)"),
        max_length=100,
        required=False,
        help_text=_("Leave empty to give anonymously. Only what you type here is ever shown on the public page."),
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg"}),
    )
    unit_name = forms.CharField(
        label=_("On behalf of a unit (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg"}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ReverseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why"), choices=ReversalReason.choices)
    memo = forms.CharField(label=_("Note"), max_length=300, required=False)
