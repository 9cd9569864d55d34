"""Writes about ratings: a resident's stars for a session they attended (返单)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from activities.models import Attendance, Order, Session
from activities.orders import order_complete
from community_college.errors import ConflictError, InvalidTransition
from interests.enums import OrderStatus

from .models import SessionRating

EDIT_WINDOW = timedelta(days=7)


def rating_submit(*, session: Session, resident: User, stars: int, comment: str = "") -> SessionRating:
    """Rate a session once; the same resident may edit their rating for seven days."""
    if not Attendance.objects.filter(session=session, resident=resident, attended=True).exists():
        raise ConflictError(_("You can rate a session only after attending it."), code="not_attended")
    if not 1 <= int(stars) <= 5:
        raise ConflictError(_("Give between one and five stars."), code="stars_range")
    existing = SessionRating.objects.filter(session=session, resident=resident).first()
    if existing is not None:
        if timezone.now() - existing.created > EDIT_WINDOW:
            raise ConflictError(_("A rating can only be changed within seven days."), code="edit_window_closed")
        existing.stars = int(stars)
        existing.comment = comment.strip()
        existing.full_clean()
        existing.save(update_fields=["stars", "comment", "updated"])
        return existing
    rating = SessionRating(
        session=session, resident=resident, teacher_id=session.course.teacher_id, stars=int(stars), comment=comment.strip()
    )
    rating.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            rating.save()
    except IntegrityError:
        return SessionRating.objects.get(session=session, resident=resident)
    return rating


@transaction.atomic
def feedback_submit(*, session: Session, resident: User, stars: int, comment: str = "") -> SessionRating:
    """返单: the resident's stars and comment for a session they attended, closing the order loop.

    When the resident came to the class through an order that was dispatched (派单), the order is
    completed in the same transaction: either both the rating and the order's last step are saved,
    or neither is. The rules of rating (attended, 1–5, seven days to edit) stay in `rating_submit`.
    """
    rating = rating_submit(session=session, resident=resident, stars=stars, comment=comment)
    for order in _dispatched_orders_for(session=session, resident=resident):
        try:
            order_complete(order=order, actor=resident)
        except InvalidTransition:
            # A concurrent submission of the same feedback completed it first; the loop is closed.
            continue
    return rating


def _dispatched_orders_for(*, session: Session, resident: User) -> list[Order]:
    """The resident's dispatched orders that led to this class: through a registration, or the order's class."""
    return list(
        Order.objects.filter(resident=resident, status=OrderStatus.DISPATCHED)
        .filter(
            Q(registrations__course_id=session.course_id, registrations__resident=resident)
            | Q(course_id=session.course_id)
        )
        .distinct()
        .order_by("pk")
    )
