"""Reads about classes and sessions."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import College, Community, User
from activities.geo import bounding_box
from activities.models import Order
from interests.models import InterestGroup
from interests.selectors import DistrictRef, offered_categories
from teachers.models import Teacher
from venues.models import Venue

from .enums import ACTIVE_REGISTRATION_STATUSES, CourseKind, CourseStatus, RegistrationStatus, SessionStatus
from .models import Course, Registration, Session, held_q
from .recommend import Candidate, Ranked, Taste, circle_first, distance_km, rank
from .services import waitlist_ahead_of

FIGURES_CACHE_SECONDS = 300
FILTER_CHOICES_CACHE_SECONDS = 60


def programme_figures() -> dict[str, int]:
    """The headline figures of the programme, as on the home page. Cached: they move slowly."""
    figures = cache.get("programme_figures")
    if figures is not None:
        return figures
    now = timezone.now()
    sessions = Session.objects.aggregate(
        held=Count("id", filter=held_q(now=now)),
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


# What the resident thought of past classes, per interest: {category id: mean stars}. Ratings sit above
# activities, so the page passes their selector in (`ratings.selectors.liked_interests`).
LikedInterests = Callable[..., dict[int, float]]


def resident_taste(*, user, liked: LikedInterests | None = None) -> Taste:
    """The resident's profile as the recommender sees it: three queries (two without `liked`), whatever
    their history."""
    profile = getattr(user, "profile", None)
    if profile is None:
        return Taste(walking_km=settings.WALKING_CIRCLE_KM)
    interests = list(profile.interests.values_list("id", "parent_id"))
    free = tuple(profile.availability.values_list("weekday", "start", "end"))
    liked = liked(user=user) if liked is not None else {}
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
        Course.objects.filter(status=CourseStatus.OPEN, kind=CourseKind.CLASS)
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
    liked: LikedInterests | None = None,
) -> list[Ranked]:
    """Upcoming open classes around the resident's home: inside the walking circle nearest first, then the
    rest best recommendation first; with distances.

    One query for the classes (plus the taste's three), however many there are.
    """
    taste = resident_taste(user=user, liked=liked) if user.is_authenticated else Taste(walking_km=settings.WALKING_CIRCLE_KM)
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    if personalised is None:
        personalised = bool(profile and profile.consent_recommendations)
    courses = open_courses()
    if category_id:
        # The tree has three levels (field → sub-field → interest): a broad choice includes all below it.
        courses = courses.filter(
            Q(category_id=category_id) | Q(category__parent_id=category_id) | Q(category__parent__parent_id=category_id)
        )
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
    if personalised:
        ranked = circle_first(ranked, taste.walking_km)
    if not personalised and taste.latitude is not None:
        # Even without a profile-based ranking, say how far each class is: it is a fact, not a guess.
        ranked = [Ranked(r.candidate, r.score, distance_km(r.candidate, taste), r.reason) for r in ranked]
    return ranked


# --- The resident portal: class pages, registration state, calendar feed --------------------------------

# A calendar shows what happened lately as well as what is coming; older sessions drop out of the feed.
CALENDAR_PAST = timedelta(days=30)
CALENDAR_AHEAD = timedelta(days=400)
NEXT_SESSIONS_SHOWN = 5


def course_for_page(*, pk: int) -> Course:
    """A class as its public page shows it. Proposed classes are not public yet (DoesNotExist)."""
    return (
        Course.objects.exclude(status=CourseStatus.PROPOSED)
        .select_related("category", "category__parent", "teacher", "venue", "community", "slot")
        .get(pk=pk)
    )


def course_next_sessions(*, course: Course, limit: int = NEXT_SESSIONS_SHOWN) -> list[Session]:
    """The class's coming meetings, with the room and the policy talk of each: one query."""
    return list(
        Session.objects.filter(course=course, ends_at__gte=timezone.now())
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("venue", "policy_talk", "policy_talk__department")
        .order_by("starts_at")[:limit]
    )


@dataclass(frozen=True)
class RegistrationState:
    """What the status block of a class page needs: the resident's own registration and the queue."""

    registration: Registration | None
    position: int | None
    waiting: int
    free_places: int
    is_open: bool

    @property
    def status(self) -> str | None:
        return self.registration.status if self.registration else None


_UNKNOWN = object()


def _count(queryset: QuerySet) -> Coalesce:
    """COUNT(*) of a correlated queryset, as a subquery expression (0 when it has no rows)."""
    counted = queryset.order_by().values("course_id").annotate(n=Count("*")).values("n")[:1]
    return Coalesce(Subquery(counted), 0)


def registration_state(*, course: Course, user, registration=_UNKNOWN) -> RegistrationState:
    """The status block's facts; refreshes `course.status` and `course.confirmed_count` as it reads them.

    One query (the class with its queue counted), plus one to find the resident's live registration
    unless the caller passes it (`registration=` the live one, or None). None at all for a registration
    that carries the queue as its write left it (`registration.queue`, from `registration_create`).
    """
    queue = getattr(registration, "queue", None)
    if queue is not None and registration.course_id == course.pk:
        course.status, course.confirmed_count = queue.course_status, queue.confirmed_count
        return RegistrationState(
            registration=registration,
            position=queue.position,
            waiting=queue.waiting,
            free_places=course.free_places,
            is_open=course.status == CourseStatus.OPEN,
        )
    if not user.is_authenticated:
        registration = None
    elif registration is _UNKNOWN:
        return _registration_state_with_mine(course=course, user=user)
    if registration is not None and registration.status not in ACTIVE_REGISTRATION_STATUSES:
        registration = None
    # Counted in subqueries that walk the (course, status, created) index, not by joining and grouping,
    # which would sort the whole waiting list of a popular class on every request.
    waiting = Registration.objects.filter(course=OuterRef("pk"), status=RegistrationStatus.WAITLISTED)
    counts = {"waiting": _count(waiting)}
    if registration is not None and registration.status == RegistrationStatus.WAITLISTED:
        counts["ahead"] = _count(waiting.filter(waitlist_ahead_of(registration)))
    row = Course.objects.filter(pk=course.pk).values("status", "confirmed_count").annotate(**counts).get()
    course.status, course.confirmed_count = row["status"], row["confirmed_count"]
    return RegistrationState(
        registration=registration,
        position=row["ahead"] + 1 if "ahead" in row else None,
        waiting=row["waiting"],
        free_places=course.free_places,
        is_open=course.status == CourseStatus.OPEN,
    )


def _registration_state_with_mine(*, course: Course, user) -> RegistrationState:
    """registration_state when the resident's registration is not known yet: found in the same query as the
    class's places and its queue (the class page of a popular class, at its opening)."""
    mine = Registration.objects.filter(
        course=OuterRef("pk"), resident=user, status__in=ACTIVE_REGISTRATION_STATUSES
    ).order_by("-created")
    waiting = Registration.objects.filter(course=OuterRef("pk"), status=RegistrationStatus.WAITLISTED)
    # Queued before mine, as waitlist_ahead_of orders them; counts nothing when I am not waiting.
    ahead = waiting.filter(
        Q(created__lt=OuterRef("mine_created")) | Q(created=OuterRef("mine_created"), id__lt=OuterRef("mine_id"))
    )
    row = (
        Course.objects.filter(pk=course.pk)
        .values("status", "confirmed_count")
        .annotate(
            mine_id=Subquery(mine.values("pk")[:1]),
            mine_status=Subquery(mine.values("status")[:1]),
            mine_created=Subquery(mine.values("created")[:1]),
            mine_changed=Subquery(mine.values("status_changed")[:1]),
            waiting=_count(waiting),
            ahead=_count(ahead),
        )
        .get()
    )
    course.status, course.confirmed_count = row["status"], row["confirmed_count"]
    registration = None
    if row["mine_id"] is not None:
        registration = Registration(
            pk=row["mine_id"],
            course=course,
            resident=user,
            status=row["mine_status"],
            created=row["mine_created"],
            status_changed=row["mine_changed"],
        )
        registration._state.adding = False
    return RegistrationState(
        registration=registration,
        position=row["ahead"] + 1 if registration and registration.status == RegistrationStatus.WAITLISTED else None,
        waiting=row["waiting"],
        free_places=course.free_places,
        is_open=course.status == CourseStatus.OPEN,
    )


def live_registration_statuses(*, user, course_ids) -> dict[int, str]:
    """course id → the resident's live registration status there, for the badges of a list: one query."""
    if not user.is_authenticated or not course_ids:
        return {}
    return dict(
        Registration.objects.filter(
            resident=user, course_id__in=list(course_ids), status__in=ACTIVE_REGISTRATION_STATUSES
        ).values_list("course_id", "status")
    )


def filter_choices(
    district: DistrictRef = None,
) -> tuple[list[tuple[int, str, int | None, str]], list[tuple[int, str]]]:
    """The category tree (id, name, parent id, English name) as `district` offers it (an id or
    `interests.selectors.resident_district`; the city's default when None), and the communities that
    have open classes.

    Two queries, whatever the size of the tree, then none for FILTER_CHOICES_CACHE_SECONDS (the tree: when
    `district` is an id or None; a district given as a subquery is read each time): every visit of
    "classes near me" builds its filter form from them, and they move slowly (a renamed interest, a
    community's first open class show up within a minute).
    """
    # Cached per district when the district is known by id (the city default: None). A subquery
    # expression (the resident's district, read with the tree) names no key, so the tree is read afresh.
    keyed = district is None or isinstance(district, int)
    key = f"activities:filter_choices:{district}"
    categories = cache.get(key) if keyed else None
    if categories is None:
        categories = list(
            offered_categories(district)
            .order_by("seen_sort_order", "seen_name", "pk")
            .values_list("id", "seen_name", "parent_id", "seen_name_en")
        )
        if keyed:
            cache.set(key, categories, FILTER_CHOICES_CACHE_SECONDS)
    communities = cache.get("activities:filter_communities")
    if communities is None:
        communities = list(
            Community.objects.filter(courses__status=CourseStatus.OPEN)
            .distinct()
            .order_by("name")
            .values_list("id", "name")
        )
        cache.set("activities:filter_communities", communities, FILTER_CHOICES_CACHE_SECONDS)
    return categories, communities


def resident_calendar_sessions(*, user_id: int, now=None) -> QuerySet[Session]:
    """Sessions of the classes a resident has a place in, from a month ago on, for the iCal feed.

    One query: the classes come through a subquery, so a resident with many registrations still gets
    each session once. Cancelled sessions stay in the feed (as cancelled) so calendars remove them.
    """
    now = now or timezone.now()
    courses = Registration.objects.filter(resident_id=user_id, status=RegistrationStatus.CONFIRMED).values("course_id")
    return (
        Session.objects.filter(
            course_id__in=Subquery(courses), starts_at__gte=now - CALENDAR_PAST, starts_at__lt=now + CALENDAR_AHEAD
        )
        .select_related("course", "course__teacher", "course__venue", "venue", "policy_talk")
        .order_by("starts_at", "id")
    )


@dataclass(frozen=True)
class RosterLine:
    """One resident on a meeting's roll call: registered (or a walk-in) and what has been recorded, if anything."""

    resident: User
    masked_phone: str
    status: str | None
    walk_in: bool


def session_roster(*, session: Session) -> list[RosterLine]:
    """The roll call of one meeting: every confirmed resident of the class, then the walk-ins; two queries."""
    from accounts.models import mask_phone

    from .models import Attendance

    recorded = {
        row.resident_id: row
        for row in Attendance.objects.filter(session=session).select_related("resident").order_by("recorded_at", "id")
    }
    registered = [
        registration.resident
        for registration in Registration.objects.filter(
            course_id=session.course_id, status=RegistrationStatus.CONFIRMED
        ).select_related("resident").order_by("resident__name", "resident_id")
    ]
    lines = [
        RosterLine(
            resident=resident,
            masked_phone=mask_phone(resident.phone),
            status=recorded[resident.pk].status if resident.pk in recorded else None,
            walk_in=False,
        )
        for resident in registered
    ]
    on_roll = {resident.pk for resident in registered}
    lines += [
        RosterLine(resident=row.resident, masked_phone=mask_phone(row.resident.phone), status=row.status, walk_in=True)
        for row in recorded.values()
        if row.resident_id not in on_roll
    ]
    return lines


def courses_open_for_orders(*, actor: User, category_ids=None, now=None) -> QuerySet[Course]:
    """The classes an order can go into (派单): the one definition used by the admin, the API and incremental
    placement (which narrows it further by walking distance and times).

    A class qualifies when it is open, has a free place, is not over (its term has not ended, and it has a
    meeting to come unless none is scheduled yet: `services.course_registration_refusal`), teaches one of
    `category_ids` (any interest when None) and belongs to a community the actor can change.
    """
    from django.db.models import Exists, OuterRef

    from accounts.selectors import scope_for

    now = now or timezone.now()
    scope = scope_for(actor)
    if not scope.can_change:
        return Course.objects.none()
    live = Session.objects.filter(course=OuterRef("pk")).exclude(status=SessionStatus.CANCELLED)
    to_come = Session.objects.filter(course=OuterRef("pk"), status=SessionStatus.SCHEDULED, starts_at__gt=now)
    courses = (
        # A showcase's audience is a course too (kind "showcase"): an order for a class never goes there.
        Course.objects.filter(kind=CourseKind.CLASS, status=CourseStatus.OPEN, confirmed_count__lt=F("capacity"))
        .exclude(term__ends_on__lt=timezone.localdate(now))
        .filter(Q(Exists(to_come)) | ~Q(Exists(live)))
    )
    if category_ids is not None:
        courses = courses.filter(category_id__in=category_ids)
    return scope.filter(courses)


# --- The teacher pool's load (the admin's column reads classes, so it is read here) --------------------


def this_week() -> tuple[datetime, datetime]:
    """Monday 00:00 to next Monday 00:00 in local time."""
    today = timezone.localdate()
    start = datetime.combine(today - timedelta(days=today.weekday()), time.min, tzinfo=timezone.get_current_timezone())
    return start, start + timedelta(days=7)


def teacher_sessions_this_week():
    """An annotation for Teacher rows: how many of their sessions, not cancelled, fall in this week."""
    start, end = this_week()
    sessions = (
        Session.objects.filter(course__teacher=OuterRef("pk"), starts_at__gte=start, starts_at__lt=end)
        .exclude(status=SessionStatus.CANCELLED)
        .order_by()
        .values("course__teacher")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sessions, output_field=IntegerField()), 0)
