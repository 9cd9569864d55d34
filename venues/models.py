"""Venues (场地) pooled from owners who already have rooms, their opening hours and bookings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from community_college.models import Located, WeeklyWindow

from .enums import BookingStatus, OwnerType


class Facility(models.Model):
    """Something a room offers that a class may need: a piano, mirrors, projector, kitchen …"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Venue(Located):
    name = models.CharField(_("name"), max_length=100)
    owner_type = models.CharField(_("owner type"), max_length=30, choices=OwnerType.choices, db_index=True)
    owner_name = models.CharField(_("owner"), max_length=100, blank=True)
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="venues"
    )
    address = models.CharField(_("address"), max_length=200)
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    facilities = models.ManyToManyField(Facility, verbose_name=_("facilities"), blank=True, related_name="venues")
    requires_confirmation = models.BooleanField(
        _("bookings need the owner's confirmation"),
        default=False,
        help_text=_("A booking holds the room only once the owner has confirmed it."),
    )
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(capacity__gte=1), name="venue_capacity_positive")]
        indexes = [models.Index(fields=["latitude", "longitude"], name="venue_location_idx")]

    def __str__(self) -> str:
        return self.name


class OpeningHours(WeeklyWindow):
    venue = models.ForeignKey(Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="opening_hours")

    class Meta(WeeklyWindow.Meta):
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = WeeklyWindow.window_constraints("openinghours")


class Booking(models.Model):
    """A venue held for a time. Two holding bookings of one venue never overlap.

    PostgreSQL enforces that with an exclusion constraint (see migration 0002); on SQLite the service
    checks it while holding the write lock.
    """

    venue = models.ForeignKey(Venue, verbose_name=_("venue"), on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=20, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)
    session = models.OneToOneField(
        "activities.Session",
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="booking",
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    # The owner's answer to a booking that awaited it (`venues.services.booking_confirm` / `booking_decline`).
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="booking_start_before_end"),
            models.CheckConstraint(
                condition=~Q(status=BookingStatus.DECLINED) | ~Q(decline_reason=""), name="booking_declined_with_reason"
            ),
        ]
        indexes = [models.Index(fields=["venue", "starts_at"], name="booking_venue_start_idx")]

    def __str__(self) -> str:
        return f"{self.venue} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": _("The end must be later than the start.")})


class VenueManager(models.Model):
    """A user who answers for a venue (its owner or the owner's contact): the venue-owner role, bound to the
    venues it manages. Staff of the venue's community add and remove managers in the admin."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="managed_venues"
    )
    venue = models.ForeignKey(Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="managers")
    created = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("venue manager")
        verbose_name_plural = _("venue managers")
        ordering = ["venue", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "venue"], name="venue_manager_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.venue}"
