"""Incremental placement: a newly accepted order goes straight into an open class that fits it.

A full matching run pools orders into new classes; most orders that arrive later ask for something that
already exists nearby with places left. Such an order is placed at once, without a run: the resident gets
a place in the class and the order moves to 派单. When nothing fits, the order simply stays accepted for
the next run.

A class *fits* an order when it teaches the order's interest; is open for registration, has a free place
and a meeting still to come; meets at a venue within walking distance of the resident's home (the
profile's location, else the community's centre; `WALKING_CIRCLE_KM`, the same circle as near-me and the runs);
meets in a weekly slot the resident can attend (the order's preferred slots, else the resident's free
times; with neither, any slot); does not meet in a slot of another class the resident is registered for;
and the resident holds no live registration in it. The best fit is the nearest, then the one with the
most free places, then the oldest class.

Who places: the staff member who accepted the order. Only classes of communities they can change are
considered, because `interests.desk.order_dispatch_into_course` (the one service that dispatches an order
into an existing class) checks the same scope. An order accepted by the system (no actor) is left for
the next run.

Races: a place is taken by `registration_create`'s conditional UPDATE, so two orders racing for the last
place never oversell; the loser's registration would be a waiting-list entry, which
`order_dispatch_into_course` refuses (rolling it back), and the next candidate is tried. An order that
loses everywhere stays accepted. An order that a live proposal already holds is left to that proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from accounts.selectors import scope_for
from activities.desk_services import order_dispatch_into_course
from activities.enums import ACTIVE_REGISTRATION_STATUSES, SessionStatus
from activities.geo import bounding_box, haversine_km, walking_circle_km
from activities.models import Course, Order, ProposedPlacement, Registration, Session
from activities.selectors import courses_open_for_orders
from community_college.errors import ConflictError, InvalidTransition, ScopeError
from interests.enums import OrderStatus
from interests.models import ResidentAvailability

from .waitlist import waitlist_entry_release

# The spec's tolerance on walking distances, so a class exactly at the limit fits as the solver sees it.
_TOLERANCE_KM = 1e-6


@dataclass(frozen=True, slots=True)
class Candidate:
    """An open class an order fits, and why it ranks where it does."""

    course: Course
    walk_km: float
    free_places: int

    @property
    def rank(self) -> tuple[float, int, int]:
        # Rounded so that float noise never outranks the free places; the id makes the order total.
        return round(self.walk_km, 6), -self.free_places, self.course.pk


def _home(order: Order) -> tuple[float, float] | None:
    profile = getattr(order.resident, "profile", None)
    if profile is not None and profile.latitude is not None and profile.longitude is not None:
        return profile.latitude, profile.longitude
    community = order.community
    if community.latitude is not None and community.longitude is not None:
        return community.latitude, community.longitude
    return None


def _fits_times(slot, preferred: set[int], windows: list[tuple[int, time, time]]) -> bool:
    """Whether the resident can attend a class meeting in `slot`; the same rule as the run's builder."""
    if preferred:
        return slot is not None and slot.pk in preferred
    if windows:
        return slot is not None and any(
            weekday == slot.weekday and start <= slot.start and slot.end <= end
            for weekday, start, end in windows
        )
    return True


def placement_candidates(*, order: Order, actor: User | None, today: date | None = None) -> list[Candidate]:
    """The open classes `order` fits, best first (see the module docstring); empty when none.

    Five queries whatever the number of classes: the order's preferred slots, the resident's free times,
    the slots of the resident's live registrations, and the candidate classes (pre-filtered in SQL by the
    bounding box of the walking circle, then cut to the circle here). `order` should come with its
    resident's profile and its community (`select_related`) or they are read too.
    """
    if actor is None:
        return []
    scope = scope_for(actor)
    if not scope.can_change:
        return []
    home = _home(order)
    if home is None:
        return []
    max_walk = walking_circle_km()
    today = today or timezone.localdate()
    preferred = set(order.preferred_slots.values_list("pk", flat=True))
    windows = list(
        ResidentAvailability.objects.filter(profile__user_id=order.resident_id).values_list(
            "weekday", "start", "end"
        )
    )
    # The resident's other classes: a second class in the same weekly slot is one they cannot attend.
    busy = list(
        Registration.objects.filter(
            resident_id=order.resident_id, status__in=ACTIVE_REGISTRATION_STATUSES, course__slot__isnull=False
        ).values_list("course__slot__weekday", "course__slot__start", "course__slot__end")
    )
    lat_min, lat_max, lon_min, lon_max = bounding_box(home[0], home[1], max_walk + 1e-3)
    upcoming = Session.objects.filter(
        course=OuterRef("pk"), status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now()
    )
    registered = Registration.objects.filter(
        course=OuterRef("pk"), resident_id=order.resident_id, status__in=ACTIVE_REGISTRATION_STATUSES
    )
    # The classes an order can go into (the admin's and the API's list too), narrowed here to a meeting still
    # to come and the walking circle's bounding box.
    courses = (
        courses_open_for_orders(actor=actor, category_ids=[order.category_id])
        .filter(venue__latitude__range=(lat_min, lat_max), venue__longitude__range=(lon_min, lon_max))
        .exclude(term__ends_on__lt=today)
        .filter(Exists(upcoming))
        .exclude(Exists(registered))
        .select_related("venue", "slot", "community")
        .order_by("pk")
    )
    out = []
    for course in courses:
        if not scope.can_change_community(course.community_id):
            continue
        km = haversine_km(home[0], home[1], course.venue.latitude, course.venue.longitude)
        if km > max_walk + _TOLERANCE_KM or not _fits_times(course.slot, preferred, windows):
            continue
        slot = course.slot
        if slot is not None and any(
            weekday == slot.weekday and start < slot.end and slot.start < end for weekday, start, end in busy
        ):
            continue
        out.append(Candidate(course=course, walk_km=km, free_places=course.capacity - course.confirmed_count))
    return sorted(out, key=lambda c: c.rank)


def order_place_in_open_class(
    *, order: Order, actor: User | None, today: date | None = None
) -> Registration | None:
    """Place a newly accepted order into the best open class that fits it; None when none does.

    The registration and the dispatch go through `interests.desk.order_dispatch_into_course`, in one
    transaction per try: a class that filled up meanwhile (the registration would only be a waiting-list
    place) or closed is skipped for the next candidate, and nothing of the failed try is kept. An order
    that is no longer accepted, or that a live proposal of the matching service holds, is left alone. When
    the order was made from a waiting-list entry (see `activities.dispatch.waitlist`), that entry is
    cancelled in the same transaction.
    """
    order = Order.objects.select_related("resident__profile", "community").get(pk=order.pk)
    if order.status != OrderStatus.ACCEPTED:
        return None
    if ProposedPlacement.objects.filter(order=order, active=True).exists():
        return None
    for candidate in placement_candidates(order=order, actor=actor, today=today):
        try:
            registration = _dispatch(order, candidate.course, actor)
        except (ConflictError, ScopeError):
            continue  # full or closed since it was read: the next class may still fit
        except InvalidTransition:
            return None  # the order moved on meanwhile (dispatched by hand, cancelled)
        return registration
    return None


def _dispatch(order: Order, course: Course, actor: User) -> Registration:
    with transaction.atomic():
        registration = order_dispatch_into_course(order=order, course=course, actor=actor)
        waitlist_entry_release(order=order, course=course)
    return registration
