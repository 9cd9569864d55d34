"""Waiting list → second class: residents queued for a full class become demand for another one.

When a class's waiting list reaches its interest's minimum class size, enough residents are waiting to
open a second class. The matching run turns each of them into an **order** before it builds its
instance, so the builder, the solver, the proposal, the consent and the confirmation need nothing new:

- The order is placed through `interests.services.order_place` on the resident's behalf (the resident
  asked for the interest by joining the list), with a note saying it was made from the waiting list of
  that class, and accepted (接单) by the system through `order_accept`.
- The waiting-list registration is linked to the order (`Registration.order`). That link is the record:
  it keeps the run from making a second order from the same entry, and tells the confirmation which
  entry to give up.
- A resident who already has an open order for the interest is already demand: nothing is made for them.
- The order belongs to the resident's home community, like any order. A class's waiting list is read by
  the runs whose scope holds the class; a resident from a community outside that scope gets the order all
  the same, and a run of their own community (or of a wider scope) places it.
- Confirming the proposed class that holds such an order registers the resident in the new class and
  cancels their waiting-list entry on the first class in the same transaction (`waitlist_entry_release`,
  through `registration_cancel`, on the resident's behalf). The same happens when the order is placed
  incrementally into an open class.
- A waiting-list entry moved up to a place in the first class (someone left) fulfils its order: before a
  run, such orders are dispatched (派单) into the first class instead of being matched again.

The order sits at the resident's home like any order; when the resident has no location of their own the
builder puts them at the first class's venue (near where they wanted to go) rather than at the community
centre. A dry run writes nothing, so it does not see this demand.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.enums import CourseKind, CourseStatus, RegistrationStatus
from activities.models import Course, Order, Registration
from activities.services import registration_cancel
from community_college.errors import ConflictError, InvalidTransition, ScopeError
from interests.enums import OPEN_ORDER_STATUSES, OrderStatus
from interests.selectors import seen_size


def waitlist_entry_release(*, order: Order, course: Course) -> int:
    """Cancel the waiting-list entries `order` was made from, now that it has a place in `course`.

    Call inside the transaction that registers the resident in `course`. Returns how many were cancelled.
    """
    entries = list(
        Registration.objects.filter(order=order, status=RegistrationStatus.WAITLISTED)
        .exclude(course_id=course.pk)
        .select_related("resident")
        .order_by("pk")
    )
    for entry in entries:
        # On the resident's behalf: they asked to be moved by waiting, and they may always leave a list.
        registration_cancel(registration=entry, actor=entry.resident)
    return len(entries)


def _full_waitlists(community_ids) -> list[int]:
    """Open classes (not showcase audiences) of the communities whose waiting list has reached the
    interest's minimum size."""
    return list(
        # Only classes: a showcase's audience list (kind "showcase") is for a one-off event, not demand
        # for a second class of its interest.
        Course.objects.filter(
            community_id__in=list(community_ids), status=CourseStatus.OPEN, kind=CourseKind.CLASS
        )
        .exclude(term__ends_on__lt=timezone.localdate())
        .annotate(
            waiting=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
            # The minimum as the class's district adapted it (interests.selectors.categories_seen_by).
            least=seen_size("min_size", district="community__street__district_id"),
        )
        .filter(waiting__gte=F("least"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def waitlist_orders_settle(*, community_ids) -> int:
    """Dispatch the open orders whose waiting-list entry was moved up to a place in its class meanwhile.

    The resident has the class they waited for, so the order is fulfilled there. Returns how many.
    """
    from activities.orders import order_dispatch

    promoted = (
        Registration.objects.filter(
            status=RegistrationStatus.CONFIRMED,
            order__status=OrderStatus.ACCEPTED,
            order__community_id__in=list(community_ids),
        )
        .select_related("order", "course")
        .order_by("order_id")
    )
    done = 0
    for entry in promoted:
        # Every other path that registers an order's resident dispatches the order in the same transaction,
        # so a confirmed place whose order is still accepted is a waiting-list entry moved up.
        try:
            order_dispatch(order=entry.order, actor=None, course=entry.course)
        except InvalidTransition:
            continue
        done += 1
    return done


@transaction.atomic
def waitlist_orders_create(*, community_ids) -> list[Order]:
    """Make an accepted order for each resident on a waiting list long enough to open a second class.

    Considers the open classes of `community_ids` whose waiting list has at least the interest's minimum
    class size. Entries already linked to an order, and residents who already have an open order for the
    interest, are skipped, so running twice makes nothing twice. Returns the orders made.
    """
    from activities.orders import order_accept, order_place

    courses = _full_waitlists(community_ids)
    if not courses:
        return []
    entries = list(
        Registration.objects.filter(
            course_id__in=courses, status=RegistrationStatus.WAITLISTED, order__isnull=True
        )
        .select_related("resident", "course__category")
        .order_by("course_id", "created", "pk")
    )
    open_orders = set(
        Order.objects.filter(
            resident_id__in={e.resident_id for e in entries}, status__in=OPEN_ORDER_STATUSES
        ).values_list("resident_id", "category_id")
    )
    made = []
    for entry in entries:
        category = entry.course.category
        if (entry.resident_id, category.pk) in open_orders:
            continue
        note = _("Made by the matching service from the waiting list of “%(course)s”.") % {
            "course": entry.course.title
        }
        try:
            order = order_place(resident=entry.resident, category=category, note=note)
            order = order_accept(order=order, actor=None)
        except (ConflictError, ScopeError):
            continue  # no home community in the profile, or an order made meanwhile
        entry.order = order
        entry.save(update_fields=["order"])
        open_orders.add((entry.resident_id, category.pk))
        made.append(order)
    return made


def waitlist_demand_prepare(*, community_ids) -> list[Order]:
    """What a run does before building its instance: settle moved-up entries, then make the new orders."""
    waitlist_orders_settle(community_ids=community_ids)
    return waitlist_orders_create(community_ids=community_ids)
