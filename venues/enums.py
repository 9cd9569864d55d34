from django.db import models
from django.utils.translation import gettext_lazy as _


class OwnerType(models.TextChoices):
    ELDERLY_CARE = "elderly_care", _("Elderly-care service centre")
    CIVIC_PRACTICE = "civic_practice", _("Civic-practice station")
    ENTERPRISE = "enterprise", _("Idle room of a company in an industrial park")
    SCHOOL = "school", _("School")
    CULTURE_CENTRE = "culture_centre", _("Cultural centre")
    SQUARE_PARK = "square_park", _("Square or park")
    COMMUNITY_CENTRE = "community_centre", _("Community service centre")


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the owner's confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    DECLINED = "declined", _("Declined by the owner")


# Bookings in these states hold the room; a cancelled one frees it.
HOLDING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
