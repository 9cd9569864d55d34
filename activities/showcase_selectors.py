"""Reads about showcases, their photos and stories: near me, my showcases, the walls, the figures per community."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.selectors import scope_for
from activities.geo import bounding_box, haversine_km
from interests.enums import GroupRole
from interests.models import GroupMembership

from .enums import ACTIVE_REGISTRATION_STATUSES, MediaStatus, RegistrationStatus, ShowcaseStatus, StoryStatus
from .models import Registration, Showcase, ShowcaseMedia, Story
from .selectors import DAYPARTS, SEARCH_RADIUS_KM

WALL_SHOWCASES = 24
WALL_STORIES = 12


def _with_related(queryset: QuerySet[Showcase]) -> QuerySet[Showcase]:
    return queryset.select_related("venue", "community", "group", "course", "audience", "audience__category")


def upcoming_showcases(*, now: datetime | None = None) -> QuerySet[Showcase]:
    """Approved showcases not over yet, soonest first."""
    now = now or timezone.now()
    return _with_related(Showcase.objects.filter(status=ShowcaseStatus.APPROVED, ends_at__gt=now)).order_by(
        "starts_at", "id"
    )


def home_point(user) -> tuple[float, float] | None:
    """Where the resident lives: their own point, else their community's centre (as classes near me)."""
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    if profile is None:
        return None
    if profile.has_location:
        return profile.latitude, profile.longitude
    if profile.community.has_location:
        return profile.community.latitude, profile.community.longitude
    return None


@dataclass(frozen=True)
class NearShowcase:
    showcase: Showcase
    distance_km: float | None
    within_walk: bool


def showcases_near(
    *,
    user,
    category_id: int | None = None,
    community_id: int | None = None,
    weekday: int | None = None,
    daypart: str | None = None,
    limit: int = 200,
) -> list[NearShowcase]:
    """Upcoming showcases around the resident's home, with the filters of "classes near me": inside the
    15-minute circle (`WALKING_CIRCLE_KM`) nearest first, then the rest of the search box soonest first.

    Two queries (the profile, the showcases), however many there are.
    """
    showcases = upcoming_showcases()
    if category_id:
        showcases = showcases.filter(
            Q(audience__category_id=category_id)
            | Q(audience__category__parent_id=category_id)
            | Q(audience__category__parent__parent_id=category_id)
        )
    if community_id:
        showcases = showcases.filter(community_id=community_id)
    if weekday is not None:
        # ISO weekdays run 1 (Monday) to 7; the portal's filters count 0 as Monday.
        showcases = showcases.filter(starts_at__iso_week_day=weekday + 1)
    if daypart in DAYPARTS:
        start, end = DAYPARTS[daypart]
        showcases = showcases.filter(starts_at__time__gte=start, starts_at__time__lt=end)
    home = home_point(user)
    if home is not None:
        south, north, west, east = bounding_box(*home, SEARCH_RADIUS_KM)
        showcases = showcases.filter(
            venue__latitude__range=(south, north), venue__longitude__range=(west, east)
        )
    elif user.is_authenticated and getattr(user, "profile", None) is not None:
        showcases = showcases.filter(community__street_id=user.profile.community.street_id)
    circle = settings.WALKING_CIRCLE_KM
    rows = []
    for showcase in showcases[:limit]:
        venue = showcase.venue
        distance = (
            haversine_km(*home, venue.latitude, venue.longitude)
            if home is not None and venue.latitude is not None and venue.longitude is not None
            else None
        )
        rows.append(NearShowcase(showcase, distance, distance is not None and distance <= circle))
    inside = sorted((r for r in rows if r.within_walk), key=lambda r: (r.distance_km, r.showcase.starts_at))
    outside = [r for r in rows if not r.within_walk]
    return inside + outside


def showcase_for_page(*, pk: int, user) -> Showcase:
    """A showcase as its page shows it: approved ones for everyone; a proposal to its proposer, its group's
    leader and the staff of its community (DoesNotExist otherwise)."""
    showcase = _with_related(Showcase.objects.all()).get(pk=pk)
    if showcase.status == ShowcaseStatus.APPROVED or may_manage(user=user, showcase=showcase):
        return showcase
    raise Showcase.DoesNotExist


def may_manage(*, user, showcase: Showcase) -> bool:
    """The proposer, the group's leader, the class's teacher, or staff of the showcase's community."""
    if not user.is_authenticated:
        return False
    if user.pk == showcase.proposed_by_id or scope_for(user).covers(showcase.community_id):
        return True
    if showcase.group_id is not None:
        return GroupMembership.objects.filter(
            group_id=showcase.group_id, user=user, role=GroupRole.LEADER
        ).exists()
    return showcase.course.teacher_id is not None and showcase.course.teacher.user_id == user.pk


def audience_state(*, showcase: Showcase, user) -> Registration | None:
    """The resident's live registration in the audience, if any."""
    if not user.is_authenticated:
        return None
    return Registration.objects.filter(
        course_id=showcase.audience_id, resident=user, status__in=ACTIVE_REGISTRATION_STATUSES
    ).first()


def my_showcases(*, user) -> QuerySet[Showcase]:
    """Showcases I proposed, showcases of groups I lead, and showcases I registered for as audience, newest
    first; each with `my_registration` (confirmed, waitlisted or None). One query."""
    mine = Registration.objects.filter(
        course_id=OuterRef("audience_id"), resident=user, status__in=ACTIVE_REGISTRATION_STATUSES
    )
    led = GroupMembership.objects.filter(group_id=OuterRef("group_id"), user=user, role=GroupRole.LEADER)
    return (
        _with_related(Showcase.objects.all())
        .annotate(my_registration=Subquery(mine.values("status")[:1]), leads=Exists(led))
        .filter(Q(proposed_by=user) | Q(leads=True) | Q(my_registration__isnull=False))
        .order_by("-starts_at", "-id")
    )


def showcase_registration_ids(*, user, showcase_ids: list[int]) -> dict[int, str]:
    """My live audience registration per showcase of a page: one query."""
    if not user.is_authenticated or not showcase_ids:
        return {}
    return dict(
        Registration.objects.filter(
            course__showcase__in=showcase_ids, resident=user, status__in=ACTIVE_REGISTRATION_STATUSES
        ).values_list("course__showcase", "status")
    )


# --- Photos: who may see them ---------------------------------------------------------------------------------


def media_visible(*, user, item: ShowcaseMedia) -> bool:
    """Approved photos are public (the walls); the others only for the uploader and the community's staff."""
    if item.status == MediaStatus.APPROVED:
        return True
    if not user.is_authenticated:
        return False
    return user.pk == item.uploaded_by_id or scope_for(user).covers(item.community_id)


def media_for_moderation(*, user) -> QuerySet[ShowcaseMedia]:
    """Photos in the staff member's scope, the ones awaiting moderation first."""
    return (
        scope_for(user)
        .filter(ShowcaseMedia.objects.select_related("showcase", "story", "community", "uploaded_by"))
        .order_by("-created", "-id")
    )


def approved_media(*, showcase: Showcase) -> QuerySet[ShowcaseMedia]:
    return ShowcaseMedia.objects.filter(showcase=showcase, status=MediaStatus.APPROVED).order_by("id")


# --- The walls --------------------------------------------------------------------------------------------------


def _shown_media() -> Prefetch:
    return Prefetch(
        "media",
        queryset=ShowcaseMedia.objects.filter(status=MediaStatus.APPROVED).order_by("id"),
        to_attr="shown",
    )


@dataclass(frozen=True)
class Wall:
    showcases: list[Showcase]
    stories: list[Story]
    upcoming: list[Showcase]


def wall(*, community_id: int | None = None, now: datetime | None = None) -> Wall:
    """A showcase wall: held showcases with their approved photos, published stories, and what is coming.

    `community_id` narrows it to one college's community; None is the district's wall. Five queries.
    """
    now = now or timezone.now()
    held = _with_related(
        Showcase.objects.filter(status=ShowcaseStatus.APPROVED, starts_at__lte=now).filter(
            Exists(ShowcaseMedia.objects.filter(showcase=OuterRef("pk"), status=MediaStatus.APPROVED))
        )
    )
    stories = Story.objects.filter(status=StoryStatus.PUBLISHED).select_related("community", "showcase")
    upcoming = upcoming_showcases(now=now)
    if community_id is not None:
        held = held.filter(community_id=community_id)
        stories = stories.filter(community_id=community_id)
        upcoming = upcoming.filter(community_id=community_id)
    return Wall(
        showcases=list(held.prefetch_related(_shown_media()).order_by("-starts_at", "-id")[:WALL_SHOWCASES]),
        stories=list(
            stories.prefetch_related(_shown_media()).order_by("-published_at", "-id")[:WALL_STORIES]
        ),
        upcoming=list(upcoming[:WALL_SHOWCASES]),
    )


def published_stories() -> QuerySet[Story]:
    return (
        Story.objects.filter(status=StoryStatus.PUBLISHED)
        .select_related("community")
        .order_by("-published_at", "-id")
    )


# --- Figures per community (dashboards, the star rating) ------------------------------------------------------


@dataclass
class ShowcaseFigures:
    held: int = 0
    upcoming: int = 0
    audience: int = 0  # confirmed seats of held and coming showcases
    stories: int = 0
    photos: int = 0


def showcase_figures(
    *, community_ids=None, start: datetime | None = None, end: datetime | None = None, now=None
):
    """Per community: showcases held (approved and over) and coming, confirmed audience, published stories and
    approved photos. `start`/`end` bound the showcases' start (coming ones count whatever `end` says) and the
    stories' publication and photos' upload. Three queries."""
    now = now or timezone.now()
    figures: dict[int, ShowcaseFigures] = defaultdict(ShowcaseFigures)
    showcases = Showcase.objects.filter(status=ShowcaseStatus.APPROVED)
    stories = Story.objects.filter(status=StoryStatus.PUBLISHED)
    photos = ShowcaseMedia.objects.filter(status=MediaStatus.APPROVED)
    if community_ids is not None:
        showcases = showcases.filter(community_id__in=community_ids)
        stories = stories.filter(community_id__in=community_ids)
        photos = photos.filter(community_id__in=community_ids)
    if start is not None:
        showcases = showcases.filter(starts_at__gte=start)
        stories = stories.filter(published_at__gte=start)
        photos = photos.filter(created__gte=start)
    if end is not None:
        showcases = showcases.filter(Q(starts_at__lt=end) | Q(ends_at__gt=now))
        stories = stories.filter(published_at__lt=end)
        photos = photos.filter(created__lt=end)
    for row in (
        showcases.values("community_id")
        .order_by()
        .annotate(
            held=Count("id", filter=Q(ends_at__lte=now), distinct=True),
            upcoming=Count("id", filter=Q(ends_at__gt=now), distinct=True),
            audience=Count(
                "audience__registrations",
                filter=Q(audience__registrations__status=RegistrationStatus.CONFIRMED),
            ),
        )
    ):
        fig = figures[row["community_id"]]
        fig.held, fig.upcoming, fig.audience = row["held"], row["upcoming"], row["audience"]
    for community, n in (
        stories.values("community_id").order_by().annotate(n=Count("id")).values_list("community_id", "n")
    ):
        figures[community].stories = n
    for community, n in (
        photos.values("community_id").order_by().annotate(n=Count("id")).values_list("community_id", "n")
    ):
        figures[community].photos = n
    return dict(figures)


def showcases_held(*, start: datetime, end: datetime, now: datetime) -> dict[int, int]:
    """Approved showcases per community that started in [start, end) and were over by `now`: one query.
    The star rating's `showcases_held` indicator."""
    return dict(
        Showcase.objects.filter(
            status=ShowcaseStatus.APPROVED, starts_at__gte=start, starts_at__lt=end, ends_at__lte=now
        )
        .values("community_id")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )
