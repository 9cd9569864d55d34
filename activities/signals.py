"""What activities announce; listeners (notices) connect in their AppConfig.ready(). Ids only."""

from django.dispatch import Signal

# kind: "proposed", "approved", "rejected"; sent inside the service's transaction.
showcase_changed = Signal()
