"""Demo data for the teachers' and venue owners' pages (`seed_demo`'s last stage).

- The demo teacher (李建国) holds the teacher role and teaches a class running now, in the demo community:
  its meeting of this week has a roster (its registrations come from the registrations stage) and a few
  residents checked in at past meetings.
- A venue owner login (周静) manages the room of that class; the room now needs the owner's confirmation,
  and its next meetings' bookings wait for her answer (pending bookings still hold the room, so nothing
  else can take it meanwhile).
Through the ORM, not bulk inserts: a handful of rows.
"""

from __future__ import annotations

from accounts.enums import Role
from accounts.models import RoleAssignment, User
from activities.enums import SessionStatus
from activities.models import Session
from teachers.models import Teacher
from venues.enums import BookingStatus
from venues.models import Booking, VenueManager

PENDING_REQUESTS = 3


def seed_teachers_portal(seeder, *, owner_phone: str, owner_name: str) -> None:
    teacher = Teacher.objects.filter(user__phone=seeder.demo_teacher_user.phone).first()
    if teacher is None:
        return
    RoleAssignment.objects.get_or_create(user_id=teacher.user_id, role=Role.TEACHER)
    upcoming = (
        Session.objects.filter(
            course__teacher=teacher, status=SessionStatus.SCHEDULED, starts_at__gt=seeder.now
        )
        .exclude(venue=None)
        .select_related("venue")
        .order_by("starts_at")
    )
    first = upcoming.first()
    if first is None:
        return
    venue = first.venue
    owner = User.objects.create(
        phone=owner_phone, name=owner_name, password=seeder.password, phone_verified=True
    )
    VenueManager.objects.create(user=owner, venue=venue)
    venue.requires_confirmation = True
    venue.save(update_fields=["requires_confirmation"])
    waiting = list(
        Booking.objects.filter(
            venue=venue, status=BookingStatus.CONFIRMED, starts_at__gt=seeder.now, session__isnull=False
        )
        .order_by("starts_at")
        .values_list("pk", flat=True)[:PENDING_REQUESTS]
    )
    Booking.objects.filter(pk__in=waiting).update(status=BookingStatus.PENDING)
    # The report counts what the database holds.
    seeder.report.rows[User._meta.label] += 1
    seeder.report.rows[VenueManager._meta.label] += 1
