from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Classes and sessions")

    def ready(self) -> None:
        # Dispatch sits above the order loop and listens to it (docs/architecture.md).
        from .dispatch import receivers

        receivers.connect()
