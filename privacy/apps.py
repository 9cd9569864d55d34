from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Residents' data rights (PIPL arts. 44–47): see everything, take it away, close the account."""

    name = "privacy"
    verbose_name = _("Privacy")
