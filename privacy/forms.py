from django import forms
from django.utils.translation import gettext_lazy as _


class CloseAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: my name, number, e-mail, location and what I wrote are erased, and I cannot sign in again."),
        required=True,
    )
