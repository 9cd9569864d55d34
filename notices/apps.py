from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        # Notices listens to the domain's signals; the domain never imports notices (docs/architecture.md).
        from . import hooks

        hooks.connect()
        # Certificates, reconfirmation of places and the no-show rule (notices/noshow.py).
        from . import noshow

        noshow.connect()

        from activities import signals as activities_signals

        from . import demand

        activities_signals.near_miss_asked.connect(
            demand.on_near_miss_asked, dispatch_uid="notices.near_miss_asked"
        )
        activities_signals.order_waiting_long.connect(
            demand.on_order_waiting_long, dispatch_uid="notices.order_waiting_long"
        )

        from . import recognition

        recognition.connect()

        from . import showcases

        showcases.connect()
