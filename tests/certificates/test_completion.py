"""Term completion: residents at or above the attendance share get a certificate, teachers their hours."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from activities.completion import required_attendance, term_certificates_issue
from activities.enums import CertificateKind, SessionStatus, TermStatus
from activities.models import Certificate, Term
from activities.tasks import advance_lifecycle
from notices.enums import Purpose
from notices.models import Notice
from tests.factories import (
    AttendanceFactory,
    CollegeFactory,
    CourseFactory,
    ResidentFactory,
    SessionFactory,
    TeacherFactory,
    TermFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def ended_term(**kwargs):
    today = timezone.localdate()
    return TermFactory(starts_on=today - timedelta(days=90), ends_on=today - timedelta(days=1), **kwargs)


def course_with_past_sessions(term, meetings=5, **kwargs):
    college = CollegeFactory(name=kwargs.pop("college_name", "幸福社区学院"))
    course = CourseFactory(term=term, community=college.community, **kwargs)
    start = timezone.now().replace(microsecond=0) - timedelta(days=7 * meetings + 2)
    sessions = [
        SessionFactory(
            course=course,
            starts_at=start + timedelta(days=7 * n),
            ends_at=start + timedelta(days=7 * n, hours=1, minutes=30),
        )
        for n in range(meetings)
    ]
    return course, sessions


def attend(resident, sessions, present: int):
    for n, session in enumerate(sessions):
        AttendanceFactory(session=session, resident=resident, attended=n < present)


def end(term):
    Term.objects.filter(pk=term.pk).update(status=TermStatus.ENDED)


@pytest.mark.parametrize(("held", "needed"), [(5, 4), (10, 8), (15, 12), (100, 80), (1, 1), (3, 3)])
def test_required_attendance_is_exact(held, needed):
    assert required_attendance(held) == needed


def test_79_percent_is_not_enough_and_80_is(settings):
    settings.CERTIFICATE_MIN_ATTENDANCE = 0.8
    assert required_attendance(100) == 80  # 79 of 100 falls short


def test_residents_at_the_threshold_get_a_certificate_those_below_do_not():
    term, other_term = ended_term(), TermFactory()
    teacher_user = UserFactory(name="王老师")
    course, sessions = course_with_past_sessions(
        term, title="书法入门班", teacher=TeacherFactory(name="王老师", user=teacher_user)
    )
    running, running_sessions = course_with_past_sessions(other_term, title="太极拳")
    four, three, all_five = (
        ResidentFactory(name="张三丰"),
        ResidentFactory(name="李四"),
        ResidentFactory(name="王五"),
    )
    attend(four, sessions, 4)
    attend(three, sessions, 3)
    attend(all_five, sessions, 5)
    attend(four, running_sessions, 5)  # another term, not ended: nothing for it
    end(term)

    outcome = term_certificates_issue(term_id=term.pk)

    assert (outcome.course_certificates, outcome.teacher_certificates) == (2, 1)
    completion = Certificate.objects.filter(kind=CertificateKind.COURSE_COMPLETION)
    assert sorted(completion.values_list("holder__name", flat=True)) == ["张三丰", "王五"]
    mine = completion.get(holder=four)
    assert (mine.course_title, mine.teacher_name, mine.college_name) == (
        "书法入门班",
        "王老师",
        "幸福社区学院",
    )
    assert mine.hours == Decimal("6.0")  # four meetings of 1.5 h attended
    assert (mine.period_start, mine.period_end, mine.term_id, mine.course_id) == (
        term.starts_on,
        term.ends_on,
        term.pk,
        course.pk,
    )
    teaching = Certificate.objects.get(kind=CertificateKind.TEACHER_HOURS)
    assert (teaching.holder, teaching.hours, teaching.course_title) == (
        teacher_user,
        Decimal("7.5"),
        "书法入门班",
    )
    assert not Certificate.objects.filter(course=running).exists()
    assert Term.objects.get(pk=term.pk).certificates_issued_at is not None
    assert Term.objects.get(pk=other_term.pk).certificates_issued_at is None


def test_issuing_twice_issues_nothing_more_and_tells_each_holder_once(django_capture_on_commit_callbacks):
    term = ended_term()
    _course, sessions = course_with_past_sessions(term, teacher=TeacherFactory(user=UserFactory()))
    residents = [ResidentFactory(), ResidentFactory()]
    for resident in residents:
        attend(resident, sessions, 5)
    end(term)
    with django_capture_on_commit_callbacks(execute=True):
        term_certificates_issue(term_id=term.pk)
    with django_capture_on_commit_callbacks(execute=True):
        again = term_certificates_issue(term_id=term.pk)
    assert Certificate.objects.count() == 3
    assert (again.course_certificates, again.teacher_certificates) == (2, 1)  # returned, not made again
    notices = Notice.objects.filter(purpose=Purpose.CERTIFICATE_ISSUED)
    assert sorted(notices.values_list("recipient_id", flat=True)) == sorted(
        [r.pk for r in residents] + [Certificate.objects.get(kind=CertificateKind.TEACHER_HOURS).holder_id]
    )


def test_cancelled_meetings_do_not_count_and_a_term_not_ended_is_left_alone():
    term = ended_term()
    _course, sessions = course_with_past_sessions(term, meetings=5)
    resident = ResidentFactory()
    attend(resident, sessions[:4], 4)
    # The fifth meeting was called off: 4 of 4 held meetings attended.
    type(sessions[4]).objects.filter(pk=sessions[4].pk).update(status=SessionStatus.CANCELLED)
    assert term_certificates_issue(term_id=term.pk).course_certificates == 0  # still running
    end(term)
    assert term_certificates_issue(term_id=term.pk).course_certificates == 1


def test_a_teacher_without_an_account_gets_no_certificate_but_residents_do():
    term = ended_term()
    _course, sessions = course_with_past_sessions(term, teacher=TeacherFactory(user=None))
    attend(ResidentFactory(), sessions, 5)
    end(term)
    outcome = term_certificates_issue(term_id=term.pk)
    assert (outcome.course_certificates, outcome.teacher_certificates) == (1, 0)


def test_the_lifecycle_beat_ends_the_term_and_issues_its_certificates(django_capture_on_commit_callbacks):
    term, running = (
        ended_term(),
        TermFactory(
            starts_on=dt.date.today() - timedelta(days=10), ends_on=dt.date.today() + timedelta(days=60)
        ),
    )
    _course, sessions = course_with_past_sessions(term)
    _other, other_sessions = course_with_past_sessions(running)
    resident = ResidentFactory()
    attend(resident, sessions, 5)
    attend(resident, other_sessions, 5)
    with django_capture_on_commit_callbacks(execute=True):
        advance_lifecycle.apply().get()
    assert Term.objects.get(pk=term.pk).status == TermStatus.ENDED
    assert list(Certificate.objects.values_list("term_id", "holder_id")) == [(term.pk, resident.pk)]
    assert Notice.objects.filter(purpose=Purpose.CERTIFICATE_ISSUED, recipient=resident).count() == 1


def test_one_residents_completion_follows_the_same_rule():
    from activities.completion import course_completion_issue

    term = ended_term()
    course, sessions = course_with_past_sessions(term)
    four, three = ResidentFactory(), ResidentFactory()
    attend(four, sessions, 4)
    attend(three, sessions, 3)
    assert course_completion_issue(course=course, resident=four) is None  # the term has not ended yet
    end(term)
    assert course_completion_issue(course=course, resident=three) is None
    certificate = course_completion_issue(course=course, resident=four)
    assert (certificate.holder, certificate.course_id, certificate.hours) == (four, course.pk, Decimal("6.0"))
    assert list(Certificate.objects.values_list("holder_id", flat=True)) == [four.pk]
