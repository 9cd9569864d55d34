"""The resident's entrance pages that allauth does not shape the way residents need them.

- Phone verification at sign-up: a wrong code three times no longer throws the resident to the sign-in
  page with an unverified account left behind; the code is used up and the page offers a new one (and,
  when the new codes are used up too, to start again, which removes the unfinished account).
- Setting a new password after signing in by SMS code: "forgot my password" for residents who have a
  mobile number and no e-mail.
"""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.stagekit import clear_login
from allauth.account.views import _phone as allauth_phone
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .adapter import discard_unfinished_signup
from .services import password_set
from .sms_limits import retry_message, sms_wait_seconds

# How long after signing in by code the resident may set a new password without the old one.
CODE_SIGN_IN_GRACE = 15 * 60


class VerifyPhoneSignupView(allauth_phone._VerifyPhoneSignupView):
    template_name = "account/confirm_phone_verification_code.html"

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "restart":
            return self._restart()
        return super().post(request, *args, **kwargs)

    @property
    def _used_up(self) -> bool:
        return bool(self.process.state.get("used_up"))

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self._action == "verify" and self._used_up:
            kwargs["code"] = "used-up"  # guessed wrong too often: no typed code matches any more
        return kwargs

    def _verify_form_invalid(self, form):
        state = self.process.state
        state["failed_attempts"] += 1
        if state["failed_attempts"] >= self.process.max_attempts:
            state["used_up"] = True
        if self._used_up:
            form.errors.clear()
            message = (
                _("That code was wrong too often and no longer works. Ask for a new code below.")
                if self.process.can_resend
                else _("That code was wrong too often and no longer works. Start again to get a new code.")
            )
            form.add_error("code", message)
        self.process.persist()
        return self.render_to_response(self.get_context_data(form=form))

    def _resend_form_valid(self, form):
        wait = sms_wait_seconds(self.request, action="verify_phone", key=self.process.phone)
        if wait:
            messages.error(self.request, retry_message(wait))
        else:
            self.process.resend()
            # A new code, a new count of tries.
            self.process.state["failed_attempts"] = 0
            self.process.state["used_up"] = False
            self.process.persist()
        return HttpResponseRedirect(self.passthrough_next_url(reverse("account_verify_phone")))

    def _restart(self) -> HttpResponse:
        discard_unfinished_signup(self.process.user)
        clear_login(self.request)
        messages.info(self.request, _("Nothing was saved. Fill in the form again to get a new code."))
        return redirect("account_signup")

    def respond_process_failed(self, form):  # pragma: no cover - attempts never run out here any more
        return self._restart()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["used_up"] = self._used_up
        context["resend_wait"] = sms_wait_seconds(self.request, action="verify_phone", key=self.process.phone)
        return context


def verify_phone(request: HttpRequest) -> HttpResponse:
    """allauth's view for a signed-in resident changing their number; ours at sign-up and sign-in."""
    if request.user.is_authenticated:
        return allauth_phone._VerifyPhoneChangeView.as_view()(request)
    return VerifyPhoneSignupView.as_view()(request)




class NewPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=gettext_lazy("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
        strip=False,
    )
    password2 = forms.CharField(
        label=gettext_lazy("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        if first and not self.errors:
            try:
                validate_password(first, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def _signed_in_by_code_lately(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user)
    return any(
        record.get("method") == "code" and time.time() - record.get("at", 0) <= CODE_SIGN_IN_GRACE
        for record in records
    )


@login_required
def password_new_after_code(request: HttpRequest) -> HttpResponse:
    """Choose a new password, without the old one, right after signing in with a code sent by SMS."""
    if not _signed_in_by_code_lately(request):
        messages.info(request, _("To choose a new password, first sign in with a code sent to your mobile."))
        return redirect(f"{reverse('account_request_login_code')}?next={reverse('account_password_new')}")
    form = NewPasswordForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        password_set(user=request.user, password=form.cleaned_data["password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your new password is saved."))
        return redirect("home")
    return render(request, "account/password_new_after_code.html", {"form": form})
