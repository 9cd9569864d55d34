from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from community_college import prepared

from .models import normalise_phone


@cache
def _user_read(model) -> prepared.Statement:
    return prepared.statement(
        "accounts_user_read",
        f"SELECT {prepared.columns(model)} FROM {model._meta.db_table} WHERE id = %(pk)s",
        {"pk": "bigint"},
    )


class PhoneOrEmailBackend(ModelBackend):
    """Password sign-in with either the mobile number or the e-mail address as the identifier."""

    def get_user(self, user_id):
        """The session's user, as ModelBackend reads it (`_default_manager.get(pk=…)`, then
        user_can_authenticate), in one prepared statement on PostgreSQL: every signed-in request reads it,
        and building the queryset was most of that read's cost (issue 20)."""
        User = get_user_model()
        connection = prepared.read_connection(User)
        if connection is None:
            return super().get_user(user_id)
        user = prepared.fetch_instance(connection, _user_read(User), {"pk": user_id}, User)
        return user if user is not None and self.user_can_authenticate(user) else None

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
