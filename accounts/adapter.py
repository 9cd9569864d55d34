"""django-allauth adapter: mobile numbers as residents know them (11 digits), SMS through our backend."""

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.utils.translation import gettext as _

from .models import User, mobile_validator, normalise_phone
from .sms import send_sms


class AccountAdapter(DefaultAccountAdapter):
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

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        send_sms(phone=phone, text=_("[Community College] Your code is %(code)s. It is valid for 15 minutes.") % {"code": code})

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        send_sms(phone=phone, text=_("[Community College] No account uses this number. Sign up to join your community college."))
