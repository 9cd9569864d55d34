from django import forms
from django.utils.translation import gettext_lazy as _


class SignupExtraForm(forms.Form):
    """What allauth's sign-up adds to phone and password: the name neighbours and staff know you by."""

    name = forms.CharField(label=_("Name"), max_length=60)

    def signup(self, request, user) -> None:
        user.name = self.cleaned_data["name"].strip()
        user.save(update_fields=["name"])
