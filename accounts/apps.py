from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and organisation")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from accounts.api import authentication
        from accounts.models import ApiToken, User

        # Cached API tokens (accounts/api/authentication.py) are forgotten when revoked or their user changes.
        post_delete.connect(authentication.token_deleted, sender=ApiToken, dispatch_uid="api-token-deleted")
        post_save.connect(authentication.user_saved, sender=User, dispatch_uid="api-token-user-saved")
