from django import forms
from django.utils.translation import gettext_lazy as _


class BookingDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline?"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg"}),
        help_text=_("For example: the room is closed that day."),
    )
