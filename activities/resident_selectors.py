"""Reads for the resident portal across interests and classes: interest search, classes near me, my orders,
my registrations and sessions, groups with their meetings (moved from interests/selectors.py; interests' own
reads stay there).

Every selector returns what its page shows in a fixed number of queries, however many rows there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from activities.enums import ACTIVE_REGISTRATION_STATUSES, CourseStatus, RegistrationStatus, SessionStatus
from activities.geo import bounding_box
from activities.models import Course, Order, OrderEvent, Registration, Session
from activities.selectors import SEARCH_RADIUS_KM, open_courses
from community_college import prepared
from interests.enums import OPEN_ORDER_STATUSES, OrderStatus
from interests.models import Category, GroupMembership, InterestGroup, ResidentProfile
from interests.search import clean_query, normalise_query
from interests.selectors import (
    as_seen,
    groups_near,
    in_or_below,
    offered_categories,
    with_seen_ancestors,
)

SEARCH_LIMIT = 30
UPCOMING_LIMIT = 20
# My orders shows only the next few meetings; the calendar feed has them all.
MY_NEXT_SESSIONS = 6


def _count(queryset: QuerySet) -> Coalesce:
    """COUNT(*) of a correlated queryset as an expression: one subquery, no GROUP BY, 0 when empty."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# --- The resident's profile ---------------------------------------------------------------------------


# --- Interest and class search --------------------------------------------------------------------------


def courses_near(profile: ResidentProfile | None) -> QuerySet[Course]:
    """Open classes with a meeting ahead, around the resident's home as the "classes near me" page
    draws the circle (the same box as `activities.selectors.nearby_courses`); all of them without a
    profile."""
    courses = open_courses()
    if profile is None:
        return courses
    if profile.has_location:
        south, north, west, east = bounding_box(profile.latitude, profile.longitude, SEARCH_RADIUS_KM)
        return courses.filter(venue__latitude__range=(south, north), venue__longitude__range=(west, east))
    return courses.filter(community__street_id=profile.community.street_id)


def search_categories(query: str, *, user=None, profile: ResidentProfile | None = None) -> list[Category]:
    """Interests whose name matches `query` in Chinese characters, full pinyin or pinyin initials.

    `taiji`, `tjq` and `太极` all find 太极拳. Each result carries its field (`parent`), how many open
    classes (`open_classes`) and groups (`group_count`) there are near the resident in it or below it,
    whether it is a broad field (`is_field`, which cannot be ordered) and whether the resident already
    has an open order for it (`my_open_order`). One query.
    """
    raw = clean_query(query)
    key = normalise_query(raw)
    if not key:
        return []
    # The tree as the resident's district offers it (interests.selectors.categories_seen_by): its names,
    # its order, without what it hides; the city's default without a profile.
    district = profile.community.street.district_id if profile is not None else None
    matches = Q(name__icontains=raw) | Q(name_en__icontains=raw) | Q(seen_name__icontains=raw)
    if key.isascii():
        matches |= Q(pinyin__startswith=key) | Q(pinyin_initials__startswith=key)
        if len(key) >= 2:
            # "jiquan" finds 太极拳 too; one letter inside a syllable would match almost everything.
            matches |= Q(pinyin__contains=key)
    else:
        matches |= Q(name__icontains=key) | Q(seen_name__icontains=key)
    in_it_or_below = in_or_below(OuterRef("pk"))
    categories = (
        with_seen_ancestors(offered_categories(district).filter(matches), district)
        .select_related("parent__parent")
        .annotate(
            is_field=Exists(Category.objects.filter(parent_id=OuterRef("pk"))),
            open_classes=_count(courses_near(profile).filter(in_it_or_below)),
            group_count=_count(groups_near(profile).filter(in_it_or_below)),
            exact=Case(
                When(Q(name=raw) | Q(seen_name=raw), then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
        )
    )
    if user is not None and user.is_authenticated:
        categories = categories.annotate(
            my_open_order=Exists(
                Order.objects.filter(resident=user, category_id=OuterRef("pk"), status__in=OPEN_ORDER_STATUSES)
            )
        )
    else:
        categories = categories.annotate(my_open_order=Value(False))
    return as_seen(categories.order_by("exact", "-open_classes", "seen_sort_order", "seen_name")[:SEARCH_LIMIT])


# --- My orders --------------------------------------------------------------------------------------------


def resident_orders(*, user) -> QuerySet[Order]:
    """The resident's orders, newest first, each with its timeline and who acted: two queries."""
    return (
        Order.objects.filter(resident=user)
        .select_related("category__parent", "community", "course")
        .prefetch_related(
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("at", "id"))
        )
        .order_by("-submitted_at", "-id")
    )


@dataclass(frozen=True)
class TimelineStep:
    status: str
    label: str
    done: bool
    at: datetime | None = None
    actor: str = ""
    note: str = ""
    closing: bool = False  # a rejection or cancellation: the loop ended here


# The loop as residents see it: 点单 → 接单 → 派单 → 返单.
LOOP = (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED)


def _step_label(status: str) -> str:
    return {
        OrderStatus.SUBMITTED: pgettext("order step", "Ordered"),
        OrderStatus.ACCEPTED: pgettext("order step", "Accepted"),
        OrderStatus.DISPATCHED: pgettext("order step", "Class arranged"),
        OrderStatus.COMPLETED: pgettext("order step", "Feedback given"),
        OrderStatus.REJECTED: pgettext("order step", "Rejected"),
        OrderStatus.CANCELLED: pgettext("order step", "Cancelled"),
    }[status]


def _pending_label(status: str) -> str:
    # A step not reached yet reads as what is still to come, never as done ("Accepted · not yet").
    return {
        OrderStatus.ACCEPTED: pgettext("order step", "Waiting to be accepted"),
        OrderStatus.DISPATCHED: pgettext("order step", "A class to be arranged"),
        OrderStatus.COMPLETED: pgettext("order step", "Your feedback after the class"),
    }[status]


def actor_label(actor, resident) -> str:
    """Who moved an order, as the resident reads it. Staff are named, never their phone numbers."""
    if actor is None:
        return _("the community college")
    if actor.pk == resident.pk:
        return _("you")
    if actor.is_staff:
        return _("community staff %(name)s") % {"name": actor.name}
    return actor.name


def order_timeline(order: Order, *, resident) -> list[TimelineStep]:
    """The steps of one order from its prefetched events: the loop so far, then what is still ahead
    (or how it ended)."""
    reached: dict[str, OrderEvent] = {}
    for event in order.events.all():
        reached.setdefault(event.to_status, event)
    steps = []
    for status in LOOP:
        event = reached.get(status)
        if event is None:
            if order.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
                break
            steps.append(TimelineStep(status=status, label=_pending_label(status), done=False))
            continue
        steps.append(
            TimelineStep(
                status=status,
                label=_step_label(status),
                done=True,
                at=event.at,
                actor=actor_label(event.actor, resident),
                note=event.note,
            )
        )
    if order.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
        event = reached.get(order.status)
        note = order.reject_reason if order.status == OrderStatus.REJECTED else (event.note if event else "")
        steps.append(
            TimelineStep(
                status=order.status,
                label=_step_label(order.status),
                done=True,
                at=event.at if event else order.closed_at,
                actor=actor_label(event.actor, resident) if event else "",
                note=note,
                closing=True,
            )
        )
    return steps


@cache
def _course_to_register_statement(with_token: bool) -> prepared.Statement:
    token = (
        f", coalesce((SELECT p.calendar_token FROM {ResidentProfile._meta.db_table} p"
        " WHERE p.user_id = %(resident)s), '') AS my_calendar_token"
        if with_token
        else ""
    )
    return prepared.statement(
        f"activities_course_to_register{'_token' if with_token else ''}",
        f"SELECT {prepared.columns(Course, 'c')}{token} FROM {Course._meta.db_table} c"
        " WHERE c.id = %(pk)s AND c.status <> %(proposed)s",
        {"pk": "bigint", "resident": "bigint", "proposed": "varchar"},
    )


def course_to_register(*, pk: int, resident_id: int | None = None) -> Course:
    """The class a resident registers for (any but a proposed one), by one prepared statement (raw SQL on
    other databases): the hot path of a popular class's opening pays no ORM compilation for it. With
    `resident_id`, the resident's calendar token (`my_calendar_token`, "" without a profile) comes in the
    same round trip, for the status block's calendar link. Course.DoesNotExist when there is none."""
    low, high = connection.ops.integer_field_range(Course._meta.pk.get_internal_type())
    if not low <= pk <= high:
        # The ORM answers "no such row" for an id out of the column's range; raw SQL would fail instead.
        raise Course.DoesNotExist
    params = {"pk": pk, "proposed": CourseStatus.PROPOSED.value}
    if resident_id is not None:
        params["resident"] = resident_id
    course = prepared.fetch_instance(
        connections[router.db_for_read(Course) or DEFAULT_DB_ALIAS],
        _course_to_register_statement(resident_id is not None),
        params,
        Course,
        extra=("my_calendar_token",) if resident_id is not None else (),
    )
    if course is None:
        raise Course.DoesNotExist
    return course


def _ahead_in_queue(course_id, created, pk) -> QuerySet[Registration]:
    """Who is ahead of a registration on its class's waiting list: the order `promote_from_waitlist` serves
    (`created`, then `id`). The arguments are values or outer references."""
    return Registration.objects.filter(course_id=course_id, status=RegistrationStatus.WAITLISTED).filter(
        Q(created__lt=created) | Q(created=created, id__lt=pk)
    )


def registration_waiting_position(*, registration: Registration) -> int | None:
    """One registration's place in its queue, as `resident_registrations` annotates it: 1 for the first
    in line, None for a confirmed place (no query then)."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return _ahead_in_queue(registration.course_id, registration.created, registration.pk).count() + 1


def resident_registrations(*, user) -> QuerySet[Registration]:
    """The resident's live registrations, each waiting one with its place in the queue.

    `waiting_position` is 1 for the first in line, computed for all rows in the same query by a
    correlated count of who joined that class's list earlier (the order `promote_from_waitlist` serves:
    `created`, then `id`). None for confirmed places.
    """
    ahead = _ahead_in_queue(OuterRef("course_id"), OuterRef("created"), OuterRef("id"))
    return (
        Registration.objects.filter(resident=user, status__in=ACTIVE_REGISTRATION_STATUSES)
        .select_related("course__category", "course__community", "course__venue", "course__teacher", "course__slot")
        .annotate(
            waiting_position=Case(
                When(status=RegistrationStatus.WAITLISTED, then=_count(ahead) + 1),
                default=None,
                output_field=IntegerField(),
            )
        )
        .order_by("status", "created", "id")
    )


def _upcoming_sessions() -> QuerySet[Session]:
    return (
        Session.objects.filter(starts_at__gte=timezone.now(), status=SessionStatus.SCHEDULED)
        .select_related("course__category", "course__teacher", "course__venue", "venue", "policy_talk")
        .order_by("starts_at", "id")
    )


def resident_upcoming_sessions(*, user, limit: int = MY_NEXT_SESSIONS) -> list[Session]:
    """The next meetings of the classes the resident has a confirmed place in, with venue, teacher and
    the policy talk of the five minutes before class. One query."""
    confirmed = Registration.objects.filter(
        resident=user, status=RegistrationStatus.CONFIRMED, course_id=OuterRef("course_id")
    )
    return list(_upcoming_sessions().filter(Exists(confirmed))[:limit])


# --- Interest groups --------------------------------------------------------------------------------------


def groups_for_resident(*, user, profile: ResidentProfile, category_id: int | None = None) -> QuerySet[InterestGroup]:
    """Groups of the resident's community first, then of the rest of their street, with member counts,
    whether the resident belongs, and how many meetings lie ahead. One query."""
    now = timezone.now()
    groups = groups_near(profile)
    if category_id:
        groups = groups.filter(in_or_below(category_id))
    return (
        groups.select_related("category", "community")
        .annotate(
            member_count=Count("memberships", distinct=True),
            is_member=Exists(GroupMembership.objects.filter(group_id=OuterRef("pk"), user=user)),
            upcoming=_count(
                Session.objects.filter(
                    course__group_id=OuterRef("pk"), starts_at__gte=now, status=SessionStatus.SCHEDULED
                )
            ),
            mine_first=Case(
                When(community_id=profile.community_id, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
        )
        .order_by("mine_first", "name", "id")
    )


def group_upcoming_sessions(*, group: InterestGroup, limit: int = UPCOMING_LIMIT) -> list[Session]:
    """The group's activities ahead: meetings of the classes run for it."""
    return list(_upcoming_sessions().filter(course__group=group)[:limit])
