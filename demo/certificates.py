"""Demo data for certificates, reconfirmation of places and volunteer hours (`seed_demo`'s stage).

- The demo resident (张秀英) attended every meeting of a class of an ended term and holds its completion
  certificate (issued through `course_completion_issue`, the term-end rule for one resident).
- The demo resident's next meeting asks her to reconfirm her place (a pending request on My orders).
- A volunteer login (孙志红) helped at past meetings in the demo community: three confirmed records and one
  awaiting staff, so her page shows hours and offers the hours certificate.

The seeded history's other ended terms are marked as done: the beat issues certificates when a real term
ends, not for a year of demo history at once (at district scale, hundreds of thousands of notices).
Through the ORM and the services: a handful of rows.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from accounts.enums import Role
from accounts.models import RoleAssignment, User
from activities.completion import course_completion_issue
from activities.enums import (
    ReconfirmationReason,
    RegistrationStatus,
    SessionStatus,
    TermStatus,
    VolunteerShiftStatus,
)
from activities.models import (
    Attendance,
    Course,
    Reconfirmation,
    Registration,
    Session,
    Term,
    VolunteerShift,
    held_q,
)
from activities.services import terms_advance

VOLUNTEER_SHIFTS = 4


def seed_certificates(seeder, *, resident_phone: str, volunteer_phone: str, volunteer_name: str) -> None:
    terms_advance(today=seeder.today)
    resident = User.objects.filter(phone=resident_phone).select_related("profile").first()
    if resident is not None:
        _completion(seeder, resident)
        _reconfirmation(seeder, resident)
    Term.objects.filter(status=TermStatus.ENDED, certificates_issued_at__isnull=True).update(
        certificates_issued_at=seeder.now
    )
    _volunteer(seeder, phone=volunteer_phone, name=volunteer_name)


def _completion(seeder, resident) -> None:
    ended = Course.objects.filter(
        term__status=TermStatus.ENDED, sessions__status__in=[SessionStatus.HELD, SessionStatus.SCHEDULED]
    )
    course = (
        ended.filter(registrations__resident=resident).order_by("-term__ends_on", "pk").first()
        or ended.filter(community_id=resident.profile.community_id).order_by("-term__ends_on", "pk").first()
    )
    if course is None:
        return
    held = list(Session.objects.filter(held_q(now=seeder.now), course=course).values_list("pk", flat=True))
    Attendance.objects.filter(session_id__in=held, resident=resident).update(attended=True, excused=False)
    present = set(
        Attendance.objects.filter(session_id__in=held, resident=resident).values_list("session_id", flat=True)
    )
    Attendance.objects.bulk_create(
        [
            Attendance(session_id=pk, resident=resident, attended=True, recorded_at=seeder.now)
            for pk in held
            if pk not in present
        ]
    )
    if course_completion_issue(course=course, resident=resident, now=seeder.now) is not None:
        seeder.report.rows["activities.Certificate"] += 1


def _reconfirmation(seeder, resident) -> None:
    deadline_hours = timedelta(hours=settings.RECONFIRM_DEADLINE_HOURS)
    registration = (
        Registration.objects.filter(
            resident=resident,
            status=RegistrationStatus.CONFIRMED,
            course__sessions__status=SessionStatus.SCHEDULED,
            course__sessions__starts_at__gt=seeder.now + deadline_hours,
        )
        .order_by("course__sessions__starts_at")
        .first()
    )
    if registration is None:
        return
    session = (
        Session.objects.filter(
            course_id=registration.course_id,
            status=SessionStatus.SCHEDULED,
            starts_at__gt=seeder.now + deadline_hours,
        )
        .order_by("starts_at")
        .first()
    )
    Reconfirmation.objects.create(
        registration=registration,
        session=session,
        resident=resident,
        reason=ReconfirmationReason.WAITING_LIST,
        asked_at=seeder.now,
        deadline=session.starts_at - deadline_hours,
    )
    seeder.report.rows["activities.Reconfirmation"] += 1


def _volunteer(seeder, *, phone: str, name: str) -> None:
    community = seeder.demo_community
    volunteer = User.objects.create(phone=phone, name=name, password=seeder.password, phone_verified=True)
    RoleAssignment.objects.create(user=volunteer, role=Role.VOLUNTEER)
    staff = User.objects.filter(pk=getattr(community, "staff_id", None)).first()
    sessions = list(
        Session.objects.filter(held_q(now=seeder.now), course__community_id=community.id).order_by(
            "-starts_at"
        )[:VOLUNTEER_SHIFTS]
    )
    shifts = []
    for n, session in enumerate(sessions):
        confirmed = n < VOLUNTEER_SHIFTS - 1
        shifts.append(
            VolunteerShift(
                volunteer=volunteer,
                session=session,
                hours=2,
                task="签到引导、摆放桌椅",
                status=VolunteerShiftStatus.CONFIRMED if confirmed else VolunteerShiftStatus.RECORDED,
                recorded_by=staff,
                recorded_at=session.ends_at,
                decided_by=staff if confirmed else None,
                decided_at=session.ends_at + timedelta(days=1) if confirmed else None,
            )
        )
    VolunteerShift.objects.bulk_create(shifts)
    seeder.report.rows[User._meta.label] += 1
    seeder.report.rows[VolunteerShift._meta.label] += len(shifts)
