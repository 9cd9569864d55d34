from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        # Notices listens to the domain's signals; the domain never imports notices (docs/architecture.md).
        from . import hooks

        hooks.connect()
