from django import forms
from django.utils.translation import gettext_lazy as _


class SignupExtraForm(forms.Form):
    """What allauth's sign-up adds to phone and password: the name neighbours and staff know you by.

    allauth's SignupForm inherits from this class, so `field_order` here orders the whole sign-up form.
    """

    field_order = ["name", "phone", "email", "password1", "password2"]

    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("The name your neighbours and community staff know you by."),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."), code="required")
        return name

    def signup(self, request, user) -> None:
        # The adapter's save_user already stored the name; this keeps allauth's contract for
        # other flows (for example a social sign-up) that create the user without it.
        name = self.cleaned_data["name"]
        if user.name != name:
            user.name = name
            user.save(update_fields=["name"])
