from django.db import models
from django.utils.translation import gettext_lazy as _


class CourseStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    OPEN = "open", _("Open for registration")
    CLOSED = "closed", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_REGISTRATION_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class PolicyTalkStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")
