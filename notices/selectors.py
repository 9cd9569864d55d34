"""Reads for notices: the inbox, recipients with their consents, facts about classes, and the batched
reads of the weekly digest and the periodic scans.

Every batched read here costs a fixed number of queries whatever the number of residents (the tests pin
them): values() rows instead of model instances where a batch may hold hundreds of residents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse

from activities.enums import CourseStatus, PolicyTalkStatus, RegistrationStatus, SessionStatus
from activities.models import Attendance, Course, Registration, Session
from activities.recommend import Candidate, Taste
from activities.selectors import open_courses
from interests.models import GroupMembership, InterestGroup, ResidentAvailability, ResidentProfile
from ratings.models import SessionRating

from .digest import CandidateIndex, Item
from .enums import DeliveryStatus
from .models import Delivery, Notice
from .rules import external_channels
from .texts import ClassFacts, Name

LIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


def url_or_empty(name: str, *args) -> str:
    """A page of the portal, or "" while that page does not exist yet (apps are built in parallel)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- The inbox ----------------------------------------------------------------------------------------------


def inbox(*, user) -> QuerySet[Notice]:
    """The resident's notices, newest first: one query per page, whatever the page holds."""
    return Notice.objects.filter(recipient=user).only(
        "id", "recipient_id", "purpose", "object_key", "language", "title", "body", "url", "created", "read_at"
    )


def unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


# --- Recipients -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    id: int
    language: str
    channels: tuple[str, ...]  # SMS / e-mail allowed by consent and address; the inbox always


_FIELDS = (
    "id",
    "language",
    "phone",
    "email",
    "is_active",
    "profile__id",
    "profile__consent_sms",
    "profile__consent_email",
)


def recipient_fields(prefix: str = "") -> list[str]:
    return [prefix + name for name in _FIELDS]


def recipient_from_row(row: dict, prefix: str = "") -> Recipient:
    def get(name):
        return row[prefix + name]

    return Recipient(
        id=get("id"),
        language=get("language") or settings.LANGUAGE_CODE,
        channels=external_channels(
            is_active=get("is_active"),
            has_profile=get("profile__id") is not None,
            consent_sms=bool(get("profile__consent_sms")),
            consent_email=bool(get("profile__consent_email")),
            phone=get("phone"),
            email=get("email"),
        ),
    )


# --- Facts about classes --------------------------------------------------------------------------------------


def name_of(category) -> Name:
    return Name(category.name, category.name_en)


def class_facts(course: Course, session: Session | None) -> ClassFacts:
    """What a notice says about `course` (and `session`, its next or concerned meeting)."""
    venue = (session.venue if session is not None and session.venue_id else None) or course.venue
    talk = getattr(session, "policy_talk", None) if session is not None else None
    slot = course.slot
    return ClassFacts(
        course_id=course.pk,
        title=course.title,
        interest=name_of(course.category),
        community=course.community.name,
        teacher=course.teacher.name if course.teacher_id else "",
        venue=venue.name if venue else "",
        address=venue.address if venue else "",
        starts_at=session.starts_at if session is not None else None,
        weekday=slot.weekday if slot else None,
        start=slot.start if slot else None,
        end=slot.end if slot else None,
        talk_topic=talk.topic if talk is not None and talk.status != PolicyTalkStatus.CANCELLED else "",
    )


COURSE_RELATED = ("category", "community", "teacher", "venue", "slot")


def next_session(*, course_id: int, now: datetime) -> Session | None:
    return (
        Session.objects.filter(course_id=course_id, starts_at__gte=now, status=SessionStatus.SCHEDULED)
        .select_related("venue", "policy_talk")
        .order_by("starts_at")
        .first()
    )


def course_with_facts(*, course_id: int, now: datetime) -> tuple[Course, ClassFacts] | None:
    course = Course.objects.select_related(*COURSE_RELATED).filter(pk=course_id).first()
    if course is None:
        return None
    return course, class_facts(course, next_session(course_id=course_id, now=now))


# --- Periodic scans ---------------------------------------------------------------------------------------


def sessions_between(*, after: datetime, until: datetime) -> QuerySet[Session]:
    """Scheduled meetings of live classes starting in (after, until], with what a reminder says."""
    return (
        Session.objects.filter(starts_at__gt=after, starts_at__lte=until, status=SessionStatus.SCHEDULED)
        .exclude(course__status__in=[CourseStatus.CANCELLED, CourseStatus.PROPOSED])
        .select_related(*(f"course__{name}" for name in COURSE_RELATED), "venue", "policy_talk")
        .order_by("starts_at", "id")
    )


def confirmed_recipients(*, course_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """course id → the residents with a confirmed place. One query."""
    rows = Registration.objects.filter(
        course_id__in=list(course_ids), status=RegistrationStatus.CONFIRMED
    ).values("course_id", *recipient_fields("resident__"))
    found: dict[int, list[Recipient]] = defaultdict(list)
    for row in rows:
        found[row["course_id"]].append(recipient_from_row(row, "resident__"))
    return found


def attendances_awaiting_feedback(*, after: datetime, until: datetime) -> list[dict]:
    """Attended meetings that ended in (after, until] and that the resident has not rated. One query."""
    rated = SessionRating.objects.filter(session=OuterRef("session"), resident=OuterRef("resident"))
    return list(
        Attendance.objects.filter(attended=True, session__ends_at__gt=after, session__ends_at__lte=until)
        .exclude(session__status=SessionStatus.CANCELLED)
        .filter(~Exists(rated))
        .values("session_id", *recipient_fields("resident__"))
        .order_by("session_id", "resident_id")
    )


def existing_pairs(
    *, purpose: str, object_keys: Iterable[str], recipient_ids: Iterable[int]
) -> set[tuple[str, int]]:
    """Which (object_key, recipient) notices of `purpose` exist already. One query."""
    return set(
        Notice.objects.filter(
            purpose=purpose, object_key__in=list(set(object_keys)), recipient_id__in=list(set(recipient_ids))
        ).values_list("object_key", "recipient_id")
    )


# --- The weekly digest --------------------------------------------------------------------------------------


@dataclass
class DigestResident:
    recipient: Recipient
    personalised: bool
    street_id: int | None
    taste: Taste
    attended: frozenset[int] = frozenset()
    attended_fields: frozenset[int] = frozenset()
    exclude: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class CandidateFacts:
    kind: str
    title: str
    interest: Name
    field: Name | None
    community: str
    venue: str
    starts_at: datetime | None
    taken: int
    capacity: int


def digest_candidates(*, since: datetime) -> tuple[CandidateIndex, dict[str, CandidateFacts]]:
    """Classes open for registration with a meeting ahead, and active interest groups, new since `since`.

    Two queries. The recommender's Candidate keys are "course:<id>" and "group:<id>".
    """
    items: list[Item] = []
    facts: dict[str, CandidateFacts] = {}
    for item, fact in (*_new_course_candidates(since), *_new_group_candidates(since)):
        items.append(item)
        facts[item.candidate.key] = fact
    return CandidateIndex(items), facts


def _new_course_candidates(since: datetime) -> Iterator[tuple[Item, CandidateFacts]]:
    """Each class open for registration created since `since`, for the recommender and for its digest line.

    A class is where its venue is, or where its community is when the venue has no coordinates; it is as
    popular as the share of its places taken."""
    courses = open_courses().filter(created__gte=since).select_related("category__parent", "community")
    for course in courses:
        key = f"course:{course.pk}"
        venue = course.venue
        lat = venue.latitude if venue and venue.latitude is not None else course.community.latitude
        lon = venue.longitude if venue and venue.longitude is not None else course.community.longitude
        slot = course.slot
        candidate = Candidate(
            key=key,
            category_id=course.category_id,
            field_id=course.category.parent_id,
            latitude=lat,
            longitude=lon,
            weekday=slot.weekday if slot else None,
            start=slot.start if slot else None,
            end=slot.end if slot else None,
            popularity=course.confirmed_count / course.capacity,
        )
        parent = course.category.parent
        facts = CandidateFacts(
            kind="course",
            title=course.title,
            interest=name_of(course.category),
            field=name_of(parent) if parent else None,
            community=course.community.name,
            venue=venue.name if venue else "",
            starts_at=course.next_starts_at,
            taken=course.confirmed_count,
            capacity=course.capacity,
        )
        yield Item(candidate, course.community.street_id), facts


def _new_group_candidates(since: datetime) -> Iterator[tuple[Item, CandidateFacts]]:
    """Each active interest group created since `since`, for the recommender and for its digest line.

    A group is where its community is; it is as popular as its members fill it (a group without a maximum
    is measured against 30 members)."""
    groups = (
        InterestGroup.objects.filter(is_active=True, created__gte=since)
        .select_related("category__parent", "community")
        .annotate(member_count=Count("memberships"))
    )
    for group in groups:
        size = group.max_members or 30
        candidate = Candidate(
            key=f"group:{group.pk}",
            category_id=group.category_id,
            field_id=group.category.parent_id,
            latitude=group.community.latitude,
            longitude=group.community.longitude,
            popularity=min(1.0, group.member_count / size),
        )
        parent = group.category.parent
        facts = CandidateFacts(
            kind="group",
            title=group.name,
            interest=name_of(group.category),
            field=name_of(parent) if parent else None,
            community=group.community.name,
            venue="",
            starts_at=None,
            taken=group.member_count,
            capacity=group.max_members or 0,
        )
        yield Item(candidate, group.community.street_id), facts


def digest_residents(*, first_id: int, last_id: int, candidate_keys: Sequence[str]) -> list[DigestResident]:
    """The active residents with user ids in [first_id, last_id], with what their digest needs.

    Seven queries for the whole batch: profiles (with user and community), interests, free times,
    ratings by category, attended categories, registrations and memberships among the candidates. The
    profile-derived reads are asked only for residents who consented to personalisation.
    """
    rows = _digest_profiles(first_id, last_id)
    if not rows:
        return []
    personal_profiles = {row["id"]: row["user__id"] for row in rows if row["consent_recommendations"]}
    personal_users = list(personal_profiles.values())
    interests, fields = _profile_interests(list(personal_profiles))
    free = _profile_free_times(list(personal_profiles))
    liked = _liked_categories(personal_users)
    attended, attended_fields = _attended_categories(personal_users)
    exclude = _candidates_joined([row["user__id"] for row in rows], candidate_keys)

    residents = []
    for row in rows:
        user_id, profile_id = row["user__id"], row["id"]
        personalised = bool(row["consent_recommendations"])
        taste = Taste(
            interest_ids=frozenset(interests.get(profile_id, ())),
            field_ids=frozenset(fields.get(profile_id, ())),
            free=tuple(free.get(profile_id, ())),
            latitude=row["latitude"] if personalised else None,
            longitude=row["longitude"] if personalised else None,
            liked=liked.get(user_id, {}),
            walking_km=settings.WALKING_CIRCLE_KM,
        )
        residents.append(
            DigestResident(
                recipient=recipient_from_row(row, "user__"),
                personalised=personalised,
                street_id=row["community__street_id"],
                taste=taste,
                attended=frozenset(attended.get(user_id, ())),
                attended_fields=frozenset(attended_fields.get(user_id, ())),
                exclude=exclude.get(user_id, set()),
            )
        )
    return residents


def _digest_profiles(first_id: int, last_id: int) -> list[dict]:
    """The profiles of the active residents with user ids in [first_id, last_id], in user id order, with
    their place, their consent to personalisation and what a notice needs to reach them."""
    return list(
        ResidentProfile.objects.filter(user_id__gte=first_id, user_id__lte=last_id, user__is_active=True)
        .order_by("user_id")
        .values(
            "id",
            "latitude",
            "longitude",
            "consent_recommendations",
            "community__street_id",
            *recipient_fields("user__"),
        )
    )


def _profile_interests(profile_ids: list[int]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """profile id → the interests its resident chose, and → the fields (parent categories) they belong to."""
    interests: dict[int, set[int]] = defaultdict(set)
    fields: dict[int, set[int]] = defaultdict(set)
    through = ResidentProfile.interests.through
    for profile_id, category_id, parent_id in through.objects.filter(
        residentprofile_id__in=profile_ids
    ).values_list("residentprofile_id", "category_id", "category__parent_id"):
        interests[profile_id].add(category_id)
        if parent_id is not None:
            fields[profile_id].add(parent_id)
    return interests, fields


def _profile_free_times(profile_ids: list[int]) -> dict[int, list]:
    """profile id → the weekly times (weekday, start, end) its resident said they are free."""
    free: dict[int, list] = defaultdict(list)
    for profile_id, weekday, start, end in ResidentAvailability.objects.filter(
        profile_id__in=profile_ids
    ).values_list("profile_id", "weekday", "start", "end"):
        free[profile_id].append((weekday, start, end))
    return free


def _liked_categories(user_ids: list[int]) -> dict[int, dict[int, float]]:
    """user id → interest → the mean stars the resident gave the meetings of that interest's classes."""
    liked: dict[int, dict[int, float]] = defaultdict(dict)
    for resident_id, category_id, mean in (
        SessionRating.objects.filter(resident_id__in=user_ids)
        .values("resident_id", "session__course__category_id")
        .annotate(mean=Avg("stars"))
        .values_list("resident_id", "session__course__category_id", "mean")
    ):
        liked[resident_id][category_id] = float(mean)
    return liked


def _attended_categories(user_ids: list[int]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """user id → the interests of the classes the resident was present at, and → their fields."""
    attended: dict[int, set[int]] = defaultdict(set)
    attended_fields: dict[int, set[int]] = defaultdict(set)
    for resident_id, category_id, parent_id in (
        Attendance.objects.filter(resident_id__in=user_ids, attended=True)
        .values_list("resident_id", "session__course__category_id", "session__course__category__parent_id")
        .distinct()
    ):
        attended[resident_id].add(category_id)
        if parent_id is not None:
            attended_fields[resident_id].add(parent_id)
    return attended, attended_fields


def _candidates_joined(user_ids: list[int], candidate_keys: Sequence[str]) -> dict[int, set[str]]:
    """user id → the candidates the resident is in already (a place or a waiting-list place in the class, a
    membership of the group): a digest never offers those."""
    exclude: dict[int, set[str]] = defaultdict(set)
    course_ids = [int(k.split(":")[1]) for k in candidate_keys if k.startswith("course:")]
    group_ids = [int(k.split(":")[1]) for k in candidate_keys if k.startswith("group:")]
    for resident_id, course_id in Registration.objects.filter(
        resident_id__in=user_ids, course_id__in=course_ids, status__in=LIVE
    ).values_list("resident_id", "course_id"):
        exclude[resident_id].add(f"course:{course_id}")
    for user_id, group_id in GroupMembership.objects.filter(
        user_id__in=user_ids, group_id__in=group_ids
    ).values_list("user_id", "group_id"):
        exclude[user_id].add(f"group:{group_id}")
    return exclude


def digest_user_ranges(*, size: int) -> list[tuple[int, int]]:
    """Consecutive [first, last] user-id ranges of about `size` residents each, for the fan-out.

    One query streaming the ids of the resident profiles (an index-only scan on PostgreSQL).
    """
    ranges: list[tuple[int, int]] = []
    chunk: list[int] = []
    ids = (
        ResidentProfile.objects.filter(user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .iterator(chunk_size=20_000)
    )
    for user_id in ids:
        chunk.append(user_id)
        if len(chunk) == size:
            ranges.append((chunk[0], chunk[-1]))
            chunk = []
    if chunk:
        ranges.append((chunk[0], chunk[-1]))
    return ranges


def due_delivery_ids(*, now: datetime, lease: timedelta, grace: timedelta, limit: int) -> list[int]:
    """Deliveries to (re-)enqueue: pending and due, or claimed by a worker whose lease ran out; in both
    cases not enqueued within `grace` (their task is probably still in the queue)."""
    fresh_queue = Q(queued_at__isnull=True) | Q(queued_at__lte=now - grace)
    pending = Q(status=DeliveryStatus.PENDING, not_before__lte=now) & fresh_queue
    # A claim consumed the last message for the row; since then nothing was queued for it.
    stuck = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - lease) & (
        fresh_queue | Q(queued_at__lte=F("claimed_at"))
    )
    return list(
        Delivery.objects.filter(pending | stuck)
        .order_by("not_before", "id")
        .values_list("id", flat=True)[:limit]
    )
