from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        # Listeners of the domain's signals: the domain announces, notices decide who hears of it.
        from . import noshow

        noshow.connect()
