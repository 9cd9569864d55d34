"""Writes about ratings: a resident's stars for a session they attended (返单)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from activities.models import Attendance, Session
from community_college.errors import ConflictError

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
