"""Reads about classes and sessions."""

from datetime import time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import College, User
from community_college.geo import bounding_box
from interests.models import InterestGroup, Order
from ratings.models import SessionRating
from teachers.models import Teacher
from venues.models import Venue

from .enums import CourseStatus, SessionStatus
from .models import Course, Session
from .recommend import Candidate, Ranked, Taste, distance_km, rank

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


# --- Classes near a resident --------------------------------------------------------------------------

DAYPARTS = {"morning": (time(0, 0), time(12, 0)), "afternoon": (time(12, 0), time(18, 0)), "evening": (time(18, 0), time(23, 59))}
# How far around home the portal looks at all; the walking circle decides the order inside it.
SEARCH_RADIUS_KM = 5.0


def resident_taste(*, user) -> Taste:
    """The resident's profile as the recommender sees it: three queries, whatever their history."""
    profile = getattr(user, "profile", None)
    if profile is None:
        return Taste(walking_km=settings.WALKING_CIRCLE_KM)
    interests = list(profile.interests.values_list("id", "parent_id"))
    free = tuple(profile.availability.values_list("weekday", "start", "end"))
    liked = dict(
        SessionRating.objects.filter(resident=user)
        .values("session__course__category_id")
        .annotate(mean=Avg("stars"))
        .values_list("session__course__category_id", "mean")
    )
    return Taste(
        interest_ids=frozenset(i for i, _p in interests),
        field_ids=frozenset(p for _i, p in interests if p is not None),
        free=free,
        latitude=profile.latitude,
        longitude=profile.longitude,
        liked=liked,
        walking_km=settings.WALKING_CIRCLE_KM,
    )


def open_courses() -> QuerySet[Course]:
    """Courses a resident can register for, with what a list shows, and their next meeting."""
    now = timezone.now()
    next_session = Session.objects.filter(course=OuterRef("pk"), starts_at__gte=now, status=SessionStatus.SCHEDULED).order_by(
        "starts_at"
    )
    return (
        Course.objects.filter(status=CourseStatus.OPEN)
        .select_related("category", "venue", "teacher", "community", "slot")
        .annotate(next_starts_at=Subquery(next_session.values("starts_at")[:1]))
        .filter(next_starts_at__isnull=False)
    )


def nearby_courses(
    *,
    user,
    category_id: int | None = None,
    weekday: int | None = None,
    daypart: str | None = None,
    community_id: int | None = None,
    personalised: bool | None = None,
) -> list[Ranked]:
    """Upcoming open classes around the resident's home, recommended first, with distances.

    One query for the classes (plus the taste's three), however many there are.
    """
    taste = resident_taste(user=user) if user.is_authenticated else Taste(walking_km=settings.WALKING_CIRCLE_KM)
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    if personalised is None:
        personalised = bool(profile and profile.consent_recommendations)
    courses = open_courses()
    if category_id:
        courses = courses.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    if community_id:
        courses = courses.filter(community_id=community_id)
    if weekday is not None:
        courses = courses.filter(slot__weekday=weekday)
    if daypart in DAYPARTS:
        start, end = DAYPARTS[daypart]
        courses = courses.filter(slot__start__gte=start, slot__start__lt=end)
    if taste.latitude is not None and taste.longitude is not None:
        south, north, west, east = bounding_box(taste.latitude, taste.longitude, SEARCH_RADIUS_KM)
        courses = courses.filter(venue__latitude__range=(south, north), venue__longitude__range=(west, east))
    elif profile is not None:
        courses = courses.filter(community__street_id=profile.community.street_id)
    candidates = [
        Candidate(
            key=course,
            category_id=course.category_id,
            field_id=course.category.parent_id,
            latitude=course.venue.latitude if course.venue else None,
            longitude=course.venue.longitude if course.venue else None,
            weekday=course.slot.weekday if course.slot else None,
            start=course.slot.start if course.slot else None,
            end=course.slot.end if course.slot else None,
            popularity=course.confirmed_count / course.capacity,
        )
        for course in courses[:500]
    ]
    ranked = rank(candidates, taste, personalised=personalised)
    if not personalised and taste.latitude is not None:
        # Even without a profile-based ranking, say how far each class is: it is a fact, not a guess.
        ranked = [Ranked(r.candidate, r.score, distance_km(r.candidate, taste), r.reason) for r in ranked]
    return ranked
