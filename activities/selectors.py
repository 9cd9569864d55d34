"""Reads about classes and sessions."""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import College, User
from interests.models import InterestGroup, Order
from teachers.models import Teacher
from venues.models import Venue

from .enums import SessionStatus
from .models import Session

FIGURES_CACHE_SECONDS = 300


def programme_figures() -> dict[str, int]:
    """The headline figures of the programme, as on the home page. Cached: they move slowly."""
    figures = cache.get("programme_figures")
    if figures is not None:
        return figures
    now = timezone.now()
    sessions = Session.objects.aggregate(
        held=Count("id", filter=Q(status=SessionStatus.HELD) | Q(ends_at__lt=now, status=SessionStatus.SCHEDULED)),
        upcoming=Count("id", filter=Q(starts_at__gte=now, starts_at__lt=now + timedelta(days=7), status=SessionStatus.SCHEDULED)),
    )
    figures = {
        "residents": User.objects.filter(profile__isnull=False).count(),
        "orders": Order.objects.count(),
        "groups": InterestGroup.objects.filter(is_active=True).count(),
        "venues": Venue.objects.filter(is_active=True).count(),
        "teachers": Teacher.objects.filter(is_active=True).count(),
        "colleges": College.objects.count(),
        "activities_held": sessions["held"],
        "sessions_this_week": sessions["upcoming"],
    }
    cache.set("programme_figures", figures, FIGURES_CACHE_SECONDS)
    return figures
