"""No-shows: reconfirmation 24 h before, release 2 h before in waiting-list order, the rule and its lift.

The clock is frozen by passing `now` to the services: every window is measured from the session's start.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from activities import noshow, services
from activities.enums import ReconfirmationStatus, TermStatus
from activities.models import Course, NoShowRule, Reconfirmation, Registration, Session
from activities.tasks import sweep_reconfirmations
from community_college.errors import ConflictError, ScopeError
from notices.enums import Purpose
from notices.models import Notice
from tests.factories import (
    AttendanceFactory,
    CommunityFactory,
    CourseFactory,
    ResidentFactory,
    SessionFactory,
    StaffFactory,
    TermFactory,
)
from tests.factories.pairs import snapshot

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def running_term():
    today = timezone.localdate()
    return TermFactory(
        starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=60), status=TermStatus.RUNNING
    )


def full_class(*, confirmed=2, waiting=2, term=None, title="书法班"):
    """A class of `confirmed` places, all taken, `waiting` on the list, and one session in three days."""
    course = CourseFactory(capacity=confirmed, term=term or running_term(), title=title)
    people = [ResidentFactory(profile__community=course.community) for _ in range(confirmed + waiting)]
    registrations = [services.registration_create(course=course, resident=p) for p in people]
    # Registered well before any asking window opens (a place taken inside it counts as reconfirmed).
    Registration.objects.filter(course=course).update(status_changed=timezone.now() - timedelta(days=5))
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
    session = SessionFactory(course=course, starts_at=start, ends_at=start + 1.5 * H)
    return course, session, registrations


def status_of(registration):
    return Registration.objects.get(pk=registration.pk).status


# --- The asking window ---------------------------------------------------------------------------------------


def test_sessions_enter_the_asking_window_24_hours_before_and_leave_it_at_the_deadline():
    _course, session, _regs = full_class()
    start = session.starts_at
    assert noshow.reconfirmations_due(now=start - 24 * H - timedelta(minutes=1)) == []
    assert noshow.reconfirmations_due(now=start - 24 * H) == [session.pk]
    assert noshow.reconfirmations_due(now=start - 2 * H - timedelta(minutes=1)) == [session.pk]
    assert noshow.reconfirmations_due(now=start - 2 * H) == []


def test_confirmed_residents_of_a_class_with_a_waiting_list_are_asked_once(
    django_capture_on_commit_callbacks,
):
    course, session, regs = full_class()
    quiet, quiet_session, quiet_regs = full_class(waiting=0, title="太极拳")  # no one waiting: no request
    now = session.starts_at - 20 * H
    with django_capture_on_commit_callbacks(execute=True):
        asked = noshow.reconfirmations_ask(session_id=session.pk, now=now)
        again = noshow.reconfirmations_ask(session_id=session.pk, now=now + H)
        assert noshow.reconfirmations_ask(session_id=quiet_session.pk, now=now) == []
    assert again == []
    rows = Reconfirmation.objects.filter(pk__in=asked)
    assert sorted(rows.values_list("resident_id", flat=True)) == sorted(r.resident_id for r in regs[:2])
    assert {r.deadline for r in rows} == {session.starts_at - 2 * H}
    notices = Notice.objects.filter(purpose=Purpose.RECONFIRM_REQUEST)
    assert sorted(notices.values_list("recipient_id", flat=True)) == sorted(r.resident_id for r in regs[:2])
    assert all("/reconfirm/" in n.url for n in notices)
    assert noshow.reconfirmations_due(now=now) == []


def test_a_place_taken_inside_the_window_counts_as_reconfirmed():
    _course, session, regs = full_class(confirmed=2, waiting=1)
    now = session.starts_at - 20 * H
    Registration.objects.filter(pk=regs[1].pk).update(status_changed=now - H)  # moved up an hour ago
    asked = noshow.reconfirmations_ask(session_id=session.pk, now=now)
    assert list(Reconfirmation.objects.filter(pk__in=asked).values_list("resident_id", flat=True)) == [
        regs[0].resident_id
    ]


# --- Answers -------------------------------------------------------------------------------------------------


def test_keep_before_the_deadline_and_refused_after_it():
    _course, session, regs = full_class()
    asked = noshow.reconfirmations_ask(session_id=session.pk, now=session.starts_at - 20 * H)
    first, second = Reconfirmation.objects.filter(pk__in=asked).order_by("registration__created")
    kept = noshow.reconfirmation_answer(
        reconfirmation=first, resident=first.resident, keep=True, now=session.starts_at - 3 * H
    )
    assert kept.status == ReconfirmationStatus.CONFIRMED
    with pytest.raises(ConflictError) as late:
        noshow.reconfirmation_answer(
            reconfirmation=second, resident=second.resident, keep=True, now=session.starts_at - 2 * H
        )
    assert late.value.code == "reconfirmation_late"
    with pytest.raises(ScopeError):
        noshow.reconfirmation_answer(
            reconfirmation=first, resident=second.resident, keep=False, now=session.starts_at - 3 * H
        )
    assert Reconfirmation.objects.get(pk=second.pk).status == ReconfirmationStatus.ASKED


def test_unanswered_places_go_to_the_waiting_list_in_order_and_both_sides_hear_of_it(
    django_capture_on_commit_callbacks,
):
    course, session, regs = full_class(confirmed=3, waiting=2)
    other, other_session, other_regs = full_class(title="太极拳")
    before = snapshot(Registration.objects.filter(course=other), "status", "status_changed")
    asked = noshow.reconfirmations_ask(session_id=session.pk, now=session.starts_at - 20 * H)
    noshow.reconfirmations_ask(session_id=other_session.pk, now=session.starts_at - 20 * H)
    kept = Reconfirmation.objects.get(pk__in=asked, registration=regs[1])
    noshow.reconfirmation_answer(
        reconfirmation=kept, resident=kept.resident, keep=True, now=session.starts_at - 5 * H
    )
    deadline = session.starts_at - 2 * H
    assert noshow.releases_due(now=deadline - timedelta(minutes=1)) == []
    assert session.pk in noshow.releases_due(now=deadline)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = noshow.reconfirmations_release(session_id=session.pk, now=deadline)
    assert outcome == {"released": 2, "lapsed": 0}
    # regs[0] and regs[2] did not answer: released; the two waiting moved up in the order they joined.
    assert [status_of(r) for r in regs] == ["cancelled", "confirmed", "cancelled", "confirmed", "confirmed"]
    assert Course.objects.get(pk=course.pk).confirmed_count == 3 == course.capacity
    released = Notice.objects.filter(purpose=Purpose.PLACE_RELEASED)
    assert sorted(released.values_list("recipient_id", flat=True)) == sorted(
        [regs[0].resident_id, regs[2].resident_id]
    )
    promoted = Notice.objects.filter(purpose=Purpose.REGISTRATION_PROMOTED)
    assert sorted(promoted.values_list("recipient_id", flat=True)) == sorted(
        [regs[3].resident_id, regs[4].resident_id]
    )
    assert snapshot(Registration.objects.filter(course=other), "status", "status_changed") == before
    # Running the release again changes nothing.
    assert noshow.reconfirmations_release(session_id=session.pk, now=deadline) == {"released": 0, "lapsed": 0}


def test_more_unanswered_places_than_people_waiting_keep_the_rest():
    course, session, regs = full_class(confirmed=2, waiting=1)
    noshow.reconfirmations_ask(session_id=session.pk, now=session.starts_at - 20 * H)
    outcome = noshow.reconfirmations_release(session_id=session.pk, now=session.starts_at - 2 * H)
    assert outcome == {"released": 1, "lapsed": 1}
    assert [status_of(r) for r in regs] == ["cancelled", "confirmed", "confirmed"]
    assert Course.objects.get(pk=course.pk).confirmed_count == 2


def test_no_release_once_the_session_has_started():
    _course, session, regs = full_class()
    noshow.reconfirmations_ask(session_id=session.pk, now=session.starts_at - 20 * H)
    assert noshow.releases_due(now=session.starts_at) == []
    assert noshow.reconfirmations_release(session_id=session.pk, now=session.starts_at) == {
        "released": 0,
        "lapsed": 0,
    }
    assert [status_of(r) for r in regs] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]


def test_one_tap_link_shows_the_question_and_gives_the_place_up(client):
    course, session, regs = full_class()
    asked = noshow.reconfirmations_ask(session_id=session.pk, now=timezone.now())  # window: session in 3 days
    assert asked == []  # three days ahead: not yet
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() + 20 * H, ends_at=timezone.now() + 21 * H
    )
    asked = noshow.reconfirmations_ask(session_id=session.pk)
    request = Reconfirmation.objects.get(pk__in=asked, registration=regs[0])
    url = reverse("activities:reconfirm_link", args=[noshow.reconfirmation_link_token(request)])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and course.title in page.content.decode()
    assert status_of(regs[0]) == "confirmed"  # opening the link changes nothing
    client.post(url, {"action": "give_up"})
    assert Reconfirmation.objects.get(pk=request.pk).status == ReconfirmationStatus.GIVEN_UP
    assert [status_of(r) for r in regs] == ["cancelled", "confirmed", "confirmed", "waitlisted"]


def test_forged_or_foreign_links_find_nothing(client):
    _course, session, regs = full_class()
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() + 20 * H, ends_at=timezone.now() + 21 * H
    )
    asked = noshow.reconfirmations_ask(session_id=session.pk)
    request = Reconfirmation.objects.get(pk__in=asked, registration=regs[0])
    token = noshow.reconfirmation_link_token(request)
    assert client.get(reverse("activities:reconfirm_link", args=[token[:-2] + "xx"])).status_code == 404
    # A token naming the request but another resident (tampered payload) is refused by the signature.
    from django.core import signing

    forged = signing.dumps({"r": request.pk, "u": regs[1].resident_id}, salt="wrong")
    assert (
        client.post(reverse("activities:reconfirm_link", args=[forged]), {"action": "give_up"}).status_code
        == 404
    )
    assert status_of(regs[0]) == "confirmed"


def test_portal_buttons_answer_only_my_own_requests(client):
    _course, session, regs = full_class()
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() + 20 * H, ends_at=timezone.now() + 21 * H
    )
    asked = noshow.reconfirmations_ask(session_id=session.pk)
    mine, theirs = (Reconfirmation.objects.get(pk__in=asked, registration=r) for r in regs[:2])
    client.force_login(mine.resident)
    page = client.get(reverse("interests:my_orders")).content.decode()
    assert f'id="reconfirmation-{mine.pk}"' in page and f'id="reconfirmation-{theirs.pk}"' not in page
    client.post(reverse("activities:reconfirmation_keep", args=[mine.pk]))
    assert client.post(reverse("activities:reconfirmation_give_up", args=[theirs.pk])).status_code == 404
    assert Reconfirmation.objects.get(pk=mine.pk).status == ReconfirmationStatus.CONFIRMED
    assert Reconfirmation.objects.get(pk=theirs.pk).status == ReconfirmationStatus.ASKED


# --- The no-show rule ----------------------------------------------------------------------------------------


def _absences(resident, course, n, *, excused=0):
    start = timezone.now() - timedelta(days=40)
    for i in range(n + excused):
        session = SessionFactory(
            course=course,
            starts_at=start + timedelta(days=7 * i),
            ends_at=start + timedelta(days=7 * i, hours=1),
        )
        AttendanceFactory(session=session, resident=resident, attended=False, excused=i >= n)


def test_three_absences_without_notice_impose_the_rule_once_excused_ones_do_not_count(
    django_capture_on_commit_callbacks,
):
    term = running_term()
    course = CourseFactory(term=term, capacity=5)
    truant, excused, elsewhere = (ResidentFactory(profile__community=course.community) for _ in range(3))
    _absences(truant, course, 3)
    _absences(excused, course, 2, excused=2)
    _absences(elsewhere, CourseFactory(term=TermFactory(status=TermStatus.ENDED)), 4)  # a term not running
    with django_capture_on_commit_callbacks(execute=True):
        made = noshow.noshow_rules_impose()
        assert noshow.noshow_rules_impose() == []
    rule = NoShowRule.objects.get(pk__in=made)
    assert (rule.resident, rule.term, rule.absences, rule.community_id) == (
        truant,
        term,
        3,
        course.community_id,
    )
    assert NoShowRule.objects.count() == 1
    assert list(
        Notice.objects.filter(purpose=Purpose.NOSHOW_RULE).values_list("recipient_id", flat=True)
    ) == [truant.pk]


def test_under_the_rule_every_session_is_reconfirmed_until_staff_lift_it():
    term = running_term()
    course, session, regs = full_class(waiting=0, term=term)  # no waiting list
    truant = regs[0].resident
    _absences(truant, course, 3)
    [rule_id] = noshow.noshow_rules_impose()
    now = session.starts_at - 20 * H
    assert noshow.reconfirmations_due(now=now) == [session.pk]
    asked = noshow.reconfirmations_ask(session_id=session.pk, now=now)
    assert list(Reconfirmation.objects.filter(pk__in=asked).values_list("resident_id", "reason")) == [
        (truant.pk, "noshow_rule")
    ]
    # Not answered, but no one waits: the place is kept.
    assert noshow.reconfirmations_release(session_id=session.pk, now=session.starts_at - 2 * H) == {
        "released": 0,
        "lapsed": 1,
    }
    assert status_of(regs[0]) == "confirmed"

    rule = NoShowRule.objects.get(pk=rule_id)
    with pytest.raises(ScopeError):
        noshow.noshow_rule_lift(rule=rule, actor=StaffFactory(community=CommunityFactory()), reason="另一个社区")
    staff = StaffFactory(community=course.community)
    noshow.noshow_rule_lift(rule=rule, actor=staff, reason="已说明情况")
    rule.refresh_from_db()
    assert (rule.lifted_by, rule.lift_reason) == (staff, "已说明情况")
    later = SessionFactory(
        course=course,
        starts_at=session.starts_at + timedelta(days=7),
        ends_at=session.ends_at + timedelta(days=7),
    )
    assert noshow.reconfirmations_ask(session_id=later.pk, now=later.starts_at - 20 * H) == []
    assert noshow.noshow_rules_impose() == []  # not imposed again in the same term


def test_the_beat_sweep_asks_through_tasks(django_capture_on_commit_callbacks):
    _course, session, regs = full_class()
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() + 20 * H, ends_at=timezone.now() + 21 * H
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = sweep_reconfirmations.apply().get()
    assert outcome == {"rules_imposed": 0, "sessions_to_ask": 1, "sessions_to_release": 0}
    assert Reconfirmation.objects.filter(session=session).count() == 2


# --- Concurrency (PostgreSQL) --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_and_a_late_answer_at_once_never_oversell(on_postgres):
    course, session, regs = full_class(confirmed=4, waiting=3)
    noshow.reconfirmations_ask(session_id=session.pk, now=session.starts_at - 20 * H)
    deadline = session.starts_at - 2 * H
    barrier = threading.Barrier(3)
    errors = []
    answer = Reconfirmation.objects.get(session=session, registration=regs[0])

    def release():
        try:
            barrier.wait()
            noshow.reconfirmations_release(session_id=session.pk, now=deadline)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def give_up():
        try:
            barrier.wait()
            noshow.reconfirmation_answer(
                reconfirmation=answer,
                resident=answer.resident,
                keep=False,
                now=deadline - timedelta(minutes=1),
            )
        except ConflictError:
            pass  # the release took it first
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=release),
        threading.Thread(target=release),
        threading.Thread(target=give_up),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    statuses = [status_of(r) for r in regs]
    # Three waiting took three of the four places left unanswered, in order; the fourth had no one to go
    # to and was kept. Never a place twice, never more than the class holds.
    assert statuses[4:] == ["confirmed"] * 3
    assert statuses[:3] == ["cancelled"] * 3 and statuses[3] == "confirmed"
    assert Course.objects.get(pk=course.pk).confirmed_count == 4 == course.capacity
    assert Registration.objects.filter(course=course, status="confirmed").count() == 4
    assert Reconfirmation.objects.filter(session=session, status=ReconfirmationStatus.ASKED).count() == 0
