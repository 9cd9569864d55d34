from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .models import normalise_phone


class PhoneOrEmailBackend(ModelBackend):
    """Password sign-in with either the mobile number or the e-mail address as the identifier."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        identifier = username or kwargs.get("phone") or kwargs.get("email")
        if not identifier or password is None:
            return None
        try:
            if "@" in identifier:
                user = User.objects.get(email__iexact=identifier.strip())
            else:
                user = User.objects.get(phone=normalise_phone(identifier))
        except User.DoesNotExist:
            # Spend the same time as a real check so timing does not reveal which accounts exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
