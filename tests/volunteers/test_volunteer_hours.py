"""Volunteer hours: recorded by the teacher or staff after a session, confirmed by staff, a certificate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from activities.enums import CertificateKind, VolunteerShiftStatus
from activities.models import Certificate, VolunteerShift
from activities.volunteering import (
    volunteer_certificate_issue,
    volunteer_hours,
    volunteer_shift_decide,
    volunteer_shift_record,
)
from community_college.errors import ConflictError, ScopeError
from tests.factories import (
    CollegeFactory,
    CourseFactory,
    RoleAssignmentFactory,
    SessionFactory,
    StaffFactory,
    TeacherFactory,
    UserFactory,
)
from tests.factories.pairs import snapshot

pytestmark = pytest.mark.django_db


def volunteer(name="志愿者甲"):
    user = UserFactory(name=name)
    RoleAssignmentFactory(user=user, role=Role.VOLUNTEER)
    return user


def past_session(course=None, hours=2):
    course = course or CourseFactory(community=CollegeFactory().community)
    start = timezone.now().replace(microsecond=0) - timedelta(days=2)
    return SessionFactory(course=course, starts_at=start, ends_at=start + timedelta(hours=hours))


def test_staff_record_and_confirm_and_only_confirmed_hours_count():
    session, other_session = past_session(hours=2), past_session(hours=1.5)
    staff = StaffFactory(community=session.course.community)
    other_staff = StaffFactory(community=other_session.course.community)
    helper, other_helper = volunteer(), volunteer("志愿者乙")
    shift = volunteer_shift_record(session=session, volunteer=helper, actor=staff, task="签到引导")
    other = volunteer_shift_record(session=other_session, volunteer=helper, actor=other_staff)
    theirs = volunteer_shift_record(session=session, volunteer=other_helper, actor=staff, hours=1)
    assert (shift.hours, other.hours) == (Decimal("2.0"), Decimal("1.5"))
    before = snapshot(VolunteerShift.objects.exclude(pk=shift.pk), "status", "decided_by")
    with pytest.raises(ScopeError):
        volunteer_shift_decide(shift=shift, actor=other_staff, confirm=True)
    volunteer_shift_decide(shift=shift, actor=staff, confirm=True)
    assert snapshot(VolunteerShift.objects.exclude(pk=shift.pk), "status", "decided_by") == before
    assert volunteer_hours(volunteer=helper).confirmed == Decimal("2.0")
    assert volunteer_hours(volunteer=helper).awaiting == Decimal("1.5")
    assert volunteer_hours(volunteer=other_helper).confirmed == 0
    with pytest.raises(ConflictError):
        volunteer_shift_decide(shift=shift, actor=staff, confirm=False)
    assert theirs.status == VolunteerShiftStatus.RECORDED


def test_the_teacher_records_hours_at_their_own_class_only():
    teacher_user = UserFactory()
    course = CourseFactory(teacher=TeacherFactory(user=teacher_user))
    mine, elsewhere = past_session(course), past_session()
    helper = volunteer()
    assert (
        volunteer_shift_record(session=mine, volunteer=helper, actor=teacher_user).recorded_by == teacher_user
    )
    with pytest.raises(ScopeError):
        volunteer_shift_record(session=elsewhere, volunteer=helper, actor=teacher_user)


def test_bad_input_is_refused_and_nothing_saved():
    session = past_session()
    staff = StaffFactory(community=session.course.community)
    future = SessionFactory(course=session.course)
    with pytest.raises(ConflictError) as not_volunteer:
        volunteer_shift_record(session=session, volunteer=UserFactory(), actor=staff)
    assert not_volunteer.value.code == "not_volunteer"
    with pytest.raises(ConflictError) as early:
        volunteer_shift_record(session=future, volunteer=volunteer(), actor=staff)
    assert early.value.code == "not_started"
    with pytest.raises(ConflictError) as too_long:
        volunteer_shift_record(session=session, volunteer=volunteer("丙"), actor=staff, hours=13)
    assert too_long.value.code == "bad_hours"
    assert VolunteerShift.objects.count() == 0


def test_the_hours_certificate_covers_confirmed_hours_and_is_issued_again_only_for_new_hours():
    helper = volunteer("欧阳志愿")
    first, second = past_session(hours=2), past_session(hours=3)
    staff_first = StaffFactory(community=first.course.community)
    staff_second = StaffFactory(community=second.course.community)
    with pytest.raises(ConflictError):
        volunteer_certificate_issue(volunteer=helper)
    volunteer_shift_decide(
        shift=volunteer_shift_record(session=first, volunteer=helper, actor=staff_first),
        actor=staff_first,
        confirm=True,
    )
    certificate = volunteer_certificate_issue(volunteer=helper)
    assert volunteer_certificate_issue(volunteer=helper) == certificate
    assert (certificate.kind, certificate.hours, certificate.holder_name) == (
        CertificateKind.VOLUNTEER_HOURS,
        Decimal("2.0"),
        "欧阳志愿",
    )
    volunteer_shift_decide(
        shift=volunteer_shift_record(session=second, volunteer=helper, actor=staff_second),
        actor=staff_second,
        confirm=True,
    )
    newer = volunteer_certificate_issue(volunteer=helper)
    assert newer != certificate and newer.hours == Decimal("5.0")
    assert Certificate.objects.filter(holder=helper).count() == 2


def test_volunteer_page_shows_my_hours_and_gets_the_certificate(client):
    helper = volunteer()
    volunteer("别人")  # another volunteer: their hours are not on my page
    session = past_session()
    staff = StaffFactory(community=session.course.community)
    volunteer_shift_decide(
        shift=volunteer_shift_record(session=session, volunteer=helper, actor=staff, task="摆放桌椅"),
        actor=staff,
        confirm=True,
    )
    client.force_login(helper)
    page = client.get(reverse("activities:my_volunteer_hours")).content.decode()
    assert "摆放桌椅" in page and 'id="hours-confirmed">2.0<' in page
    response = client.post(reverse("activities:volunteer_certificate"))
    assert response.status_code == 302
    assert Certificate.objects.get(holder=helper).hours == Decimal("2.0")
    client.force_login(UserFactory())  # not a volunteer
    assert client.get(reverse("activities:my_volunteer_hours")).status_code == 404
