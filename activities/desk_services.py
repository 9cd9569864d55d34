"""Writes of the community desk: orders and registrations taken by phone, an order dispatched into a class.

Each service composes the portal's own services (`resident_register`, `order_place`, `order_dispatch`,
`registration_create`) inside one transaction, so a refusal at any step leaves nothing half-saved: no
resident without their order, no registration without its dispatched order.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Community, User
from accounts.selectors import require_change, scope_for
from activities import orders
from activities.enums import CourseStatus, RegistrationStatus
from activities.models import Course, Order, Registration
from activities.selectors import courses_open_for_orders
from activities.services import course_registration_refusal, registration_create
from community_college.errors import ConflictError, ScopeError
from interests.enums import OrderChannel
from interests.models import Category
from interests.services import resident_register


@dataclass(frozen=True)
class DeskResult:
    resident: User
    created_resident: bool
    order: Order | None = None
    registration: Registration | None = None


@transaction.atomic
def order_dispatch_into_course(*, order: Order, course: Course, actor: User) -> Registration:
    """派单 into an existing class: a confirmed place for the resident, and the order dispatched to it.

    Refused (and nothing written) when the class teaches another interest, lies outside the actor's scope,
    is not one of the classes an order can go into (`activities.selectors.courses_open_for_orders`: closed,
    over, or without a free place — the resident would only join the waiting list) or the order is not
    accepted. The admin, the API and incremental placement all dispatch through here.
    """
    if course.category_id != order.category_id:
        raise ConflictError(_("The class teaches another interest than the order asks for."), code="other_interest")
    require_change(actor, course.community_id, elsewhere=_("This class belongs to another community."))
    if not courses_open_for_orders(actor=actor, category_ids=[order.category_id]).filter(pk=course.pk).exists():
        refusal = course_registration_refusal(course=course)
        if course.status != CourseStatus.OPEN:
            refusal = ConflictError(_("This class is not open for registration."), code="course_closed")
        raise refusal or ConflictError(
            _("%(course)s has no free place left.") % {"course": course.title}, code="course_full"
        )
    registration = registration_create(course=course, resident=order.resident, placed_by=actor, order=order)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ConflictError(_("%(course)s has no free place left.") % {"course": course.title}, code="course_full")
    orders.order_dispatch(order=order, actor=actor, course=course)
    return registration


@transaction.atomic
def desk_take(
    *,
    staff: User,
    resident: User | None = None,
    name: str = "",
    phone: str = "",
    community: Community | None = None,
    category: Category | None = None,
    course: Course | None = None,
    channel: str = OrderChannel.PHONE,
    note: str = "",
) -> DeskResult:
    """Take a caller's order (an interest) or registration (a class) at the desk or by telephone.

    The caller is an existing resident, or is registered on the spot with only a name, a mobile number and a
    home community in the staff member's scope. The records say that `staff` placed them.
    """
    if (category is None) == (course is None):
        raise ConflictError(_("Choose either an interest to order or a class to register for."), code="what")
    created = resident is None
    if resident is None:
        if community is None or not scope_for(staff).can_change_community(community.pk):
            raise ScopeError(_("You can only register residents of your own community."), code="scope")
        resident = resident_register(name=name, phone=phone, community=community, registered_by=staff)
    if category is not None:
        order = orders.order_place(
            resident=resident, category=category, note=note, placed_by=staff, channel=channel
        )
        return DeskResult(resident=resident, created_resident=created, order=order)
    registration = registration_create(course=course, resident=resident, placed_by=staff)
    return DeskResult(resident=resident, created_resident=created, registration=registration)
