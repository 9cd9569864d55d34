"""allauth's entrance forms, made to answer residents plainly (ACCOUNT_FORMS in settings).

Kept apart from accounts/forms.py: allauth's own forms module imports that one (it is the sign-up
form's base class, ACCOUNT_SIGNUP_FORM_CLASS), so importing allauth's forms there would be a cycle.
"""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from allauth.core import context
from django import forms
from django.utils.translation import gettext_lazy as _

from .sms_limits import retry_message, sms_wait_seconds

LOGIN_LABEL = _("Mobile number or e-mail")


class LoginForm(allauth_forms.LoginForm):
    """One name for the sign-in box, the same in its label and its placeholder."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = LOGIN_LABEL
        login.widget.attrs["placeholder"] = ""
        login.widget.attrs["autocomplete"] = "username"


class SignupForm(allauth_forms.SignupForm):
    """Sign-up that tells an existing number to sign in, and sends nothing it cannot send.

    allauth, to hide which numbers have accounts, answers a taken number with "a code was sent" and texts
    the number instead; at a community centre the resident then waits for a code that never comes. Here
    the form says so at once and links to sign-in by code (the number's owner is the one typing it).

    A code refused by the per-number limit is caught here, before the account is created, so a refused
    send never leaves a half-made account; the error says how long to wait.
    """

    phone_registered = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        password = self.fields.get("password1")
        if password is not None:
            password.label = _("Password (optional)")
            password.help_text = _(
                "You can leave this empty: you will sign in with a code sent by SMS. If you choose one, "
                "use at least 8 characters, not only digits, not like your name or number."
            )
        again = self.fields.get("password2")
        if again is not None:
            again.label = _("Password again (only if you chose one)")
        phone = self.fields.get("phone")
        if phone is not None:
            phone.label = _("Mobile number")
            phone.help_text = _("11 digits, for example 138 1234 5678. We send a code to it by SMS.")
            phone.widget.attrs["placeholder"] = ""
        email = self.fields.get("email")
        if email is not None:
            email.label = _("E-mail (optional)")
            email.widget.attrs["placeholder"] = ""

    def clean(self):
        cleaned = super().clean()
        phone = cleaned.get("phone")
        if not phone or "phone" in self.errors:
            return cleaned
        if getattr(self, "account_already_exists", False):
            self.account_already_exists = False
            self.phone_registered = True
            self.add_error(
                "phone",
                forms.ValidationError(
                    _("This number already has an account. Sign in with a code sent by SMS instead."),
                    code="phone_registered",
                ),
            )
            return cleaned
        wait = sms_wait_seconds(context.request, action="verify_phone", key=phone)
        if wait:
            self.add_error("phone", forms.ValidationError(retry_message(wait), code="sms_wait"))
        return cleaned


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    """allauth's form, which crashes when neither a number nor an e-mail is given (both are optional
    fields there, so the empty form is "valid" and has no user to send to)."""

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("phone") and not cleaned.get("email"):
            self.add_error(
                "phone",
                forms.ValidationError(_("Enter the mobile number you signed up with."), code="required"),
            )
        return cleaned

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone")
        if phone:
            wait = sms_wait_seconds(context.request, action="request_login_code", key=phone.lower())
            if wait:
                raise forms.ValidationError(retry_message(wait), code="sms_wait")
        return super().clean_phone()
