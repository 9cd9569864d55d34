"""django-allauth adapter: mobile numbers as residents know them (11 digits), SMS through our backend.

Also the two hooks django-axes needs to see allauth's sign-in form: which account an attempt was for
(`axes_username`), so five wrong passwords lock that account from that address for an hour.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.fields import PhoneField
from allauth.account.internal import flows as _flows  # noqa: F401 — must load before allauth's stages (import cycle)
from allauth.account.stages import PhoneVerificationStage as AllauthPhoneVerificationStage
from allauth.core.exceptions import RateLimited
from allauth.core.internal.httpkit import headed_redirect_response
from django import forms
from django.contrib import messages
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .enums import Role
from .models import RoleAssignment, User, mobile_validator, normalise_phone
from .sms import send_sms
from .sms_limits import retry_message, sms_wait_seconds


def _normalise_login(value: str | None) -> str | None:
    """One spelling per account: `+86 138-1234-5678` and `13812345678`, `Li@X.org` and `li@x.org`."""
    value = (value or "").strip()
    if not value:
        return None
    if "@" in value:
        return value.lower()
    return normalise_phone(value) or value


def axes_username(request, credentials: dict | None) -> str | None:
    """The account a sign-in attempt was for, as django-axes counts failures.

    allauth passes the identifier as `phone`, `email` or `username` depending on what was typed, never
    under one fixed name, so axes' AXES_USERNAME_FORM_FIELD alone would see None for most attempts.
    """
    credentials = credentials or {}
    for key in ("phone", "email", "username", "login"):
        if credentials.get(key):
            return _normalise_login(credentials[key])
    if request is not None and request.method == "POST":
        return _normalise_login(request.POST.get("login"))
    return None


def discard_unfinished_signup(user: User | None) -> None:
    """Delete an account made by a sign-up that never got its code through, so nothing half-made stays:
    its number was never verified and it was never signed in. Anything else is left alone."""
    if user is not None and user.pk and not user.phone_verified and user.last_login is None:
        User.objects.filter(pk=user.pk, phone_verified=False, last_login__isnull=True).delete()


class PhoneVerificationStage(AllauthPhoneVerificationStage):
    """allauth's phone check at sign-in and sign-up, without its crash: when the number was sent a code
    moments ago (a double tap, a second sign-in), allauth raises RateLimited out of the view, a server
    error. Here the resident is told how long to wait instead; at sign-up the account just made is
    removed again (the sign-up form checks the limit first, so this is only a race), so that signing up
    again later works."""

    def handle(self):
        try:
            return super().handle()
        except RateLimited:
            adapter = AccountAdapter(self.request)
            phone = adapter.get_phone(self.login.user)[0] if self.login.user and self.login.user.phone else ""
            wait = sms_wait_seconds(self.request, action="verify_phone", key=phone) if phone else 0
            adapter.add_message(
                self.request,
                messages.ERROR,
                message=retry_message(wait) if wait else adapter.error_messages["rate_limited"],
            )
            if self.login.signup:
                discard_unfinished_signup(self.login.user)
                return headed_redirect_response("account_signup"), False
            return headed_redirect_response("account_login"), False


class AccountAdapter(DefaultAccountAdapter):
    # allauth's stock sentences read as machine translations in Chinese ("错误代码。"), and a wrong
    # password was worded two ways (by phone, by e-mail): one plain sentence each.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": gettext_lazy("The mobile number or the password is wrong."),
        "phone_password_mismatch": gettext_lazy("The mobile number or the password is wrong."),
        "incorrect_code": gettext_lazy("This code is not right. Check the SMS and type its six digits."),
        "too_many_login_attempts": gettext_lazy(
            "Too many wrong tries. Wait a few minutes, then ask for a new code."
        ),
        "rate_limited": gettext_lazy("Too many requests from this number. Wait a minute and try again."),
    }

    def get_client_ip(self, request) -> str:
        # allauth's rate limits count per address: the one the trusted proxies report, like axes and DRF.
        from community_college.client_ip import client_ip

        return client_ip(request) or super().get_client_ip(request)

    def get_login_redirect_url(self, request) -> str:
        # A resident who signed up but never chose a home community finishes that first.
        from interests.models import ResidentProfile

        user = request.user
        if not user.is_staff and not ResidentProfile.objects.filter(user=user).exists():
            return reverse("interests:profile")
        return super().get_login_redirect_url(request)

    def get_login_stages(self) -> list[str]:
        default = "allauth.account.stages.PhoneVerificationStage"
        ours = f"{PhoneVerificationStage.__module__}.{PhoneVerificationStage.__qualname__}"
        return [ours if path == default else path for path in super().get_login_stages()]

    def phone_form_field(self, **kwargs):
        # allauth's default insists on +<country code>; residents type the 11 digits on their SIM card.
        kwargs["validators"] = []
        kwargs["label"] = gettext_lazy("Mobile number")
        kwargs.setdefault(
            "widget",
            # No example number as placeholder: grey "13812345678" in the box read as already filled in.
            forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
        )
        return PhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        number = normalise_phone(phone) or ""
        try:
            mobile_validator(number)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages[0], code="invalid_phone") from exc
        return number

    def get_phone(self, user: User):
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        user.phone = normalise_phone(phone)
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def set_phone_verified(self, user: User, phone: str) -> None:
        user.phone_verified = True
        user.save(update_fields=["phone_verified"])

    def get_user_by_phone(self, phone: str):
        return User.objects.filter(phone=normalise_phone(phone)).first()

    @transaction.atomic
    def save_user(self, request, user: User, form, commit: bool = True) -> User:
        """A new resident from the sign-up form.

        allauth's default saves the user first and attaches the phone afterwards, which our
        "phone or e-mail" check constraint refuses; so everything is set before the one INSERT. The
        resident role is given here; the home community (and so the profile) comes on the profile page.
        """
        data = form.cleaned_data
        user.name = (data.get("name") or "").strip()
        user.phone = normalise_phone(data.get("phone"))
        user.phone_verified = False
        user.email = (data.get("email") or "").strip().lower() or None
        language = translation.get_language() or ""
        if language in User.Language.values:
            user.language = language
        password = data.get("password1")
        if password:
            user.set_password(password)
        else:
            # Residents who give no password sign in with a code sent by SMS.
            user.set_unusable_password()
        if commit:
            user.save()
            RoleAssignment.objects.get_or_create(user=user, role=Role.RESIDENT)
        return user

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth keys its "login_failed" rate limit on e-mail or username only; a phone sign-in would
        # share one empty key with every other phone sign-in, and five typos anywhere would lock all.
        key = _normalise_login(
            credentials.get("phone") or credentials.get("email") or credentials.get("username") or ""
        )
        return f"login:{key or ''}"

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        send_sms(phone=phone, text=_("[Community College] Your code is %(code)s. It is valid for 15 minutes.") % {"code": code})

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        send_sms(phone=phone, text=_("[Community College] No account uses this number. Sign up to join your community college."))

    def send_account_already_exists_sms(self, phone: str) -> None:
        send_sms(
            phone=phone,
            text=_("[Community College] This number already has an account. Sign in with a code sent by SMS instead."),
        )
