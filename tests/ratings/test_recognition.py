"""榜样评选 and 礼遇: a round from its candidates (figures and nominations) through the public notice, votes,
objections and decisions to the wall and the honours; every refusal leaves nothing behind."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Max
from django.utils import timezone, translation

from accounts.enums import Role
from activities import services as activities_services
from activities.models import PriorityPass, Registration
from community_college.errors import ConflictError, ScopeError
from interests.enums import GroupRole
from ratings.enums import CandidateKind, Decision, RoundStatus, StoryStatus
from ratings.models import Candidate, Nomination, Objection, RecognitionRound, Vote
from ratings.recognition import figures, selectors, services
from teachers.models import Teacher
from tests.factories import (
    CourseFactory,
    GroupMembershipFactory,
    SessionRatingFactory,
    StaffFactory,
    TermFactory,
    UserFactory,
)
from tests.factories.pairs import snapshot

from .recognition import end_notice, held_session, recognition_world

pytestmark = pytest.mark.django_db


def _nominate(world, category, subject_id, nominator=None, reason="每周都来，热心帮助邻居"):
    return services.nomination_create(
        category=category, nominator=nominator or world.resident(), subject_id=subject_id, reason=reason
    )


def _in_notice(world):
    """The world's round with a teacher candidate per community of the pair, in its public notice."""
    a = _nominate(world, world.teachers, world.pair.a1.teacher_id).candidate
    b = _nominate(world, world.teachers, world.pair.b1.teacher_id).candidate
    services.round_start_notice(round=world.round, actor=world.manager)
    world.round.refresh_from_db()
    a.refresh_from_db()
    b.refresh_from_db()
    return a, b


# --- Opening -----------------------------------------------------------------------------------------------


def test_round_is_opened_only_by_its_level():
    world = recognition_world()
    with pytest.raises(ScopeError):
        services.round_open(
            actor=world.pair.staff_a,
            title="社区自评",
            term=world.term,
            street=world.pair.a.street,
            categories=[{"name": "优秀教师", "kind": CandidateKind.TEACHER}],
        )
    office = StaffFactory(role=Role.DISTRICT_OFFICE, district=world.pair.district)
    district_round = services.round_open(
        actor=office,
        title="区级评选",
        term=world.term,
        district=world.pair.district,
        categories=[{"name": "学习之星", "kind": "resident"}],
    )
    assert RecognitionRound.objects.count() == 2
    assert list(district_round.categories.values_list("name", flat=True)) == ["学习之星"]
    assert world.round.status == RoundStatus.NOMINATING


# --- Figures ------------------------------------------------------------------------------------------------


def _figured_world():
    world = recognition_world()
    pair = world.pair
    ann, bob, cat = world.resident(), world.resident(), world.resident(pair.b)
    held_session(pair.a1, attended=[ann, bob])
    held_session(pair.a1, attended=[ann])
    held_session(pair.b1, attended=[cat])
    pair.a1.group = pair.group_a
    pair.a1.save(update_fields=["group"])
    # Not counted: a meeting still to come, a class of another term, a class outside the round's area.
    from tests.factories import SessionFactory

    SessionFactory(course=pair.a1)
    held_session(
        CourseFactory(community=pair.a, teacher=pair.a1.teacher, term=TermFactory()), attended=[ann, bob]
    )
    held_session(CourseFactory(community=world.outside, term=world.term), attended=[bob])
    for person in (ann, bob, cat):
        GroupMembershipFactory(group=pair.group_a if person is not cat else pair.group_b, user=person)
    return world, ann, bob, cat


def test_figures_are_computed_from_the_data(django_assert_num_queries):
    world, ann, bob, cat = _figured_world()
    pair = world.pair
    for _ in range(3):
        SessionRatingFactory(session=pair.a1.sessions.first(), teacher=pair.a1.teacher, stars=4)
    area = figures.Area.of(world.round)
    # Teachers: the subjects, then one query per provider (sessions, attendance, rating, showcases).
    with django_assert_num_queries(5):
        teachers = {row.subject.id: row.figures for row in figures.figures(CandidateKind.TEACHER, area)}
    assert teachers == {
        pair.a1.teacher_id: {"sessions": 2, "attendance": 3, "rating": pytest.approx(4.0), "showcases": 0},
        pair.a2.teacher_id: {"sessions": 0, "attendance": 0, "rating": None, "showcases": 0},
        pair.b1.teacher_id: {"sessions": 1, "attendance": 1, "rating": None, "showcases": 0},
    }
    groups = {row.subject.id: row.figures for row in figures.figures(CandidateKind.GROUP, area)}
    assert groups == {
        pair.group_a.pk: {"sessions": 2, "attendance": 3, "members": 2, "showcases": 0},
        pair.group_b.pk: {"sessions": 0, "attendance": 0, "members": 1, "showcases": 0},
    }
    residents = {row.subject.id: row.figures for row in figures.figures(CandidateKind.RESIDENT, area)}
    assert residents == {ann.pk: {"attendance": 2}, bob.pk: {"attendance": 1}, cat.pk: {"attendance": 1}}


def test_candidates_from_data_take_the_best_figures_and_leave_others():
    world, ann, bob, cat = _figured_world()
    chosen = services.candidates_from_data(category=world.stars, actor=world.manager, limit=1)
    assert [c.person_id for c in chosen] == [ann.pk]
    chosen = services.candidates_from_data(category=world.teachers, actor=world.manager, limit=2)
    assert [c.teacher_id for c in chosen] == [world.pair.a1.teacher_id, world.pair.b1.teacher_id]
    assert Candidate.objects.filter(category=world.groups).count() == 0
    lines = {
        line.candidate.subject_id: (line.figures, line.votes)
        for line in selectors.candidate_lines(round=world.round)
    }
    assert lines[ann.pk] == ({"attendance": 2}, None)
    assert lines[world.pair.b1.teacher_id] == (
        {"sessions": 1, "attendance": 1, "rating": None, "showcases": 0},
        None,
    )


# --- Nominations -------------------------------------------------------------------------------------------


def test_nomination_of_someone_outside_the_area_is_refused_and_nothing_saved():
    world = recognition_world()
    outsider = CourseFactory(community=world.outside).teacher
    with translation.override("en"), pytest.raises(ConflictError) as excinfo:
        _nominate(world, world.teachers, outsider.pk)
    assert excinfo.value.code == "nominee_outside_area"
    assert "area" in excinfo.value.messages[0]
    assert Candidate.objects.count() == Nomination.objects.count() == 0


def test_nomination_rules():
    world = recognition_world()
    teacher_id = world.pair.a1.teacher_id
    outsider = world.resident(world.outside)
    refusals = [
        ({"nominator": outsider}, "nominator_outside_area"),
        ({"reason": "x" * 501}, "reason_too_long"),
        ({"reason": "  "}, "reason_required"),
        # No teacher has this id (a group's id plus an offset could be one, in a database whose sequences
        # the earlier tests moved on).
        ({"subject_id": Teacher.objects.aggregate(Max("pk"))["pk__max"] + 1}, "no_such_nominee"),
    ]
    for changes, code in refusals:
        args = {"nominator": world.resident(), "reason": "好老师", "subject_id": teacher_id, **changes}
        with pytest.raises(ConflictError) as excinfo:
            services.nomination_create(category=world.teachers, **args)
        assert excinfo.value.code == code
    assert Candidate.objects.count() == 0
    with pytest.raises(ScopeError):
        _nominate(world, world.teachers, world.pair.b1.teacher_id, nominator=world.pair.staff_a)
    first = _nominate(world, world.teachers, teacher_id, nominator=world.pair.staff_a, reason="x" * 500)
    assert first.by_staff and first.candidate.source == "nomination"
    resident = world.resident()
    _nominate(world, world.teachers, teacher_id, nominator=resident)
    with pytest.raises(ConflictError) as excinfo:
        _nominate(world, world.teachers, teacher_id, nominator=resident)
    assert excinfo.value.code == "already_nominated"
    assert Candidate.objects.count() == 1 and Nomination.objects.count() == 2


# --- 公示: votes and objections ----------------------------------------------------------------------------


def test_vote_once_per_category_and_only_in_the_area():
    world = recognition_world()
    a, b = _in_notice(world)
    voter = world.resident(world.pair.b)
    services.vote_cast(candidate=a, voter=voter)
    with translation.override("en"), pytest.raises(ConflictError) as excinfo:
        services.vote_cast(candidate=b, voter=voter)
    assert excinfo.value.code == "already_voted"
    assert excinfo.value.messages == ["You have already voted in this category."]
    with pytest.raises(ConflictError) as excinfo:
        services.vote_cast(candidate=a, voter=world.resident(world.outside))
    assert excinfo.value.code == "voter_outside_area"
    with pytest.raises(ConflictError) as excinfo:
        services.vote_cast(candidate=a, voter=world.pair.staff_a)  # no home in the area: not a resident voter
    assert excinfo.value.code == "voter_outside_area"
    assert list(Vote.objects.values_list("voter_id", "candidate_id")) == [(voter.pk, a.pk)]


def test_no_votes_before_or_after_the_notice():
    world = recognition_world()
    a = _nominate(world, world.teachers, world.pair.a1.teacher_id).candidate
    with pytest.raises(ConflictError) as excinfo:
        services.vote_cast(candidate=a, voter=world.resident())
    assert excinfo.value.code == "voting_closed"
    services.round_start_notice(round=world.round, actor=world.manager)
    end_notice(world.round)
    a.refresh_from_db()
    with pytest.raises(ConflictError):
        services.vote_cast(candidate=a, voter=world.resident())
    assert Vote.objects.count() == 0


def test_totals_are_hidden_until_voting_is_over():
    world = recognition_world()
    a, b = _in_notice(world)
    services.vote_cast(candidate=a, voter=world.resident())
    assert [line.votes for line in selectors.candidate_lines(round=world.round, viewer=world.manager)] == [
        None,
        None,
    ]
    end_notice(world.round)
    assert [line.votes for line in selectors.candidate_lines(round=world.round, viewer=world.manager)] == [
        1,
        0,
    ]
    # The public waits for the close.
    assert [line.votes for line in selectors.candidate_lines(round=world.round, viewer=world.resident())] == [
        None,
        None,
    ]


def test_notice_lasts_the_setting(settings):
    settings.RECOGNITION_NOTICE_DAYS = 9
    world = recognition_world()
    _nominate(world, world.teachers, world.pair.a1.teacher_id)
    round = services.round_start_notice(round=world.round, actor=world.manager)
    assert round.notice_ends_at - round.notice_starts_at == timedelta(days=9)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_votes_of_one_resident_count_once(on_postgres):
    world = recognition_world()
    a, b = _in_notice(world)
    voter = world.resident()
    barrier = threading.Barrier(2)
    outcomes = []

    def vote(candidate):
        try:
            barrier.wait()
            services.vote_cast(candidate=candidate, voter=voter)
            outcomes.append("counted")
        except ConflictError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(c,)) for c in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_voted", "counted"]
    assert Vote.objects.filter(voter=voter).count() == 1


# --- Decisions, objections, the close, the wall ---------------------------------------------------------------


def test_round_closes_only_after_the_notice_and_every_objection_is_answered():
    world = recognition_world()
    a, b = _in_notice(world)
    objection = services.objection_raise(candidate=a, resident=world.resident(), reason="他上课常迟到")
    with pytest.raises(ConflictError) as excinfo:
        services.candidate_decide(candidate=a, actor=world.manager, won=True, reason="票数最高")
    assert excinfo.value.code == "voting_not_over"
    end_notice(world.round)
    with pytest.raises(ScopeError):
        services.candidate_decide(candidate=a, actor=world.pair.staff_a, won=True, reason="票数最高")
    with pytest.raises(ConflictError) as excinfo:
        services.candidate_decide(candidate=a, actor=world.manager, won=True, reason=" ")
    assert excinfo.value.code == "reason_required"
    services.candidate_decide(candidate=a, actor=world.manager, won=True, reason="票数最高")
    with pytest.raises(ConflictError) as excinfo:
        services.candidate_decide(candidate=b, actor=world.manager, won=True, reason="也很好")
    assert excinfo.value.code == "places_taken"
    with pytest.raises(ConflictError) as excinfo:
        services.round_close(round=world.round, actor=world.manager)
    assert excinfo.value.code == "objections_unanswered"
    services.objection_answer(objection=objection, actor=world.manager, answer="经核实，系场地调整所致")
    round = services.round_close(round=world.round, actor=world.manager)
    assert round.status == RoundStatus.CLOSED
    assert Objection.objects.get().answered_by == world.manager
    assert snapshot(Candidate.objects.all(), "decision", "decision_reason") == {
        a.pk: {"pk": a.pk, "decision": Decision.WON, "decision_reason": "票数最高"},
        b.pk: {"pk": b.pk, "decision": Decision.PENDING, "decision_reason": ""},
    }


def _winner(world):
    """The a1 teacher (who signs in as a user) recognised, the b1 teacher not chosen, the round closed."""
    teacher = world.pair.a1.teacher
    teacher.user = UserFactory()
    teacher.save(update_fields=["user"])
    a, b = _in_notice(world)
    end_notice(world.round)
    services.candidate_decide(candidate=a, actor=world.manager, won=True, reason="票数最高")
    services.candidate_decide(candidate=b, actor=world.manager, won=False, reason="名额已满")
    services.round_close(round=world.round, actor=world.manager)
    a.refresh_from_db()
    return a


def test_the_wall_shows_winners_who_approved_their_story():
    world = recognition_world()
    winner = _winner(world)
    teacher_user = winner.teacher.user
    assert list(selectors.wall()) == []
    services.story_write(candidate=winner, actor=world.manager, story="十年如一日教太极")
    with pytest.raises(ScopeError):
        services.story_answer(candidate=winner, person=world.resident(), approve=True)
    services.story_answer(candidate=winner, person=teacher_user, approve=True)
    assert [c.pk for c in selectors.wall(district_id=world.pair.district.pk)] == [winner.pk]
    services.story_answer(candidate=winner, person=teacher_user, approve=False)
    assert Candidate.objects.get(pk=winner.pk).story_status == StoryStatus.DECLINED
    assert list(selectors.wall()) == []
    # The badge does not depend on the story.
    assert [
        b.title for b in selectors.badges(teacher_ids=[winner.teacher_id])[("teacher", winner.teacher_id)]
    ] == ["优秀教师"]
    assert selectors.badges(teacher_ids=[world.pair.b1.teacher_id]) == {}


def test_a_group_story_is_answered_by_its_leader():
    world = recognition_world()
    leader = world.resident()
    GroupMembershipFactory(group=world.pair.group_a, user=leader, role=GroupRole.LEADER)
    c = _nominate(world, world.groups, world.pair.group_a.pk).candidate
    services.round_start_notice(round=world.round, actor=world.manager)
    end_notice(world.round)
    services.candidate_decide(candidate=c, actor=world.manager, won=True, reason="展演出色")
    services.round_close(round=world.round, actor=world.manager)
    services.story_write(candidate=c, actor=world.manager, story="合唱团的故事")
    assert (
        services.story_answer(candidate=c, person=leader, approve=True).story_status == StoryStatus.APPROVED
    )


# --- 礼遇: priority registration, enforced by the registration service ---------------------------------------


def test_priority_registration_is_enforced_by_the_registration_service():
    world = recognition_world(priority_days=3)
    winner = _winner(world)
    holder = winner.teacher.user
    from interests.models import ResidentProfile

    ResidentProfile.objects.create(user=holder, community=world.pair.a)
    course = world.pair.a2
    course.registration_opens_at = timezone.now() + timedelta(days=2)
    course.save(update_fields=["registration_opens_at"])
    other = world.resident()
    with translation.override("en"), pytest.raises(ConflictError) as excinfo:
        activities_services.registration_create(course=course, resident=holder)
    assert excinfo.value.code == "registration_not_open"
    services.priority_pass_claim(candidate=winner, holder=holder, course=course)
    with pytest.raises(ConflictError) as excinfo:
        activities_services.registration_create(course=course, resident=other)
    assert excinfo.value.code == "registration_not_open"
    assert activities_services.registration_create(course=course, resident=holder).status == "confirmed"
    assert list(Registration.objects.values_list("resident_id", flat=True)) == [holder.pk]
    # The pass is for the class chosen: another class of the same opening stays closed to the holder.
    course_b = world.pair.b1
    course_b.registration_opens_at = course.registration_opens_at
    course_b.save(update_fields=["registration_opens_at"])
    with pytest.raises(ConflictError):
        activities_services.registration_create(course=course_b, resident=holder)
    # Beyond the window (opening more than three days away) the pass does not help yet.
    course_a1 = world.pair.a1
    course_a1.registration_opens_at = timezone.now() + timedelta(days=4)
    course_a1.save(update_fields=["registration_opens_at"])
    services.priority_pass_claim(candidate=winner, holder=holder, course=course_a1)
    with pytest.raises(ConflictError):
        activities_services.registration_create(course=course_a1, resident=holder)
    # Once registration opens, everyone may register.
    course.registration_opens_at = timezone.now() - timedelta(minutes=1)
    course.save(update_fields=["registration_opens_at"])
    assert activities_services.registration_create(course=course, resident=other).status == "confirmed"


def test_priority_pass_only_for_winners_of_rounds_that_give_it():
    world = recognition_world()  # no priority days
    winner = _winner(world)
    with pytest.raises(ConflictError) as excinfo:
        services.priority_pass_claim(candidate=winner, holder=winner.teacher.user, course=world.pair.a2)
    assert excinfo.value.code == "no_priority"
    assert PriorityPass.objects.count() == 0


def test_closing_a_round_issues_each_winner_one_certificate():
    from activities.models import Certificate

    world = recognition_world()
    winner = _winner(world)
    certificates = list(Certificate.objects.values_list("holder_id", "kind", "subject"))
    assert certificates == [
        (winner.teacher.user_id, "recognition", f"round:{world.round.pk}:category:{world.teachers.pk}")
    ]
    assert services.winner_certificate(candidate=winner).pk == Certificate.objects.get().pk


def test_a_round_without_certificates_issues_none():
    from activities.models import Certificate

    world = recognition_world(gives_certificate=False)
    _winner(world)
    assert Certificate.objects.count() == 0


def test_winners_and_their_nominators_are_told_when_the_round_closes(
    django_capture_on_commit_callbacks, eager_celery
):
    from notices.models import Notice

    world = recognition_world(priority_days=2)
    with django_capture_on_commit_callbacks(execute=True):
        winner = _winner(world)
    nominators = set(Nomination.objects.filter(candidate=winner).values_list("nominator_id", flat=True))
    got = sorted(Notice.objects.values_list("recipient_id", "purpose"))
    # The round gives certificates, so the winner also hears of theirs, as every certificate's holder does.
    assert got == sorted(
        [
            (winner.teacher.user_id, "recognition_winner"),
            (winner.teacher.user_id, "certificate_issued"),
            *[(n, "recognition_nominee") for n in nominators],
        ]
    )
    # The losing candidate's nominator hears nothing of this round.
    loser_nominators = Nomination.objects.exclude(candidate=winner).values_list("nominator_id", flat=True)
    assert not Notice.objects.filter(recipient_id__in=list(loser_nominators)).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.story_write(candidate=winner, actor=world.manager, story="故事")
    assert (
        Notice.objects.filter(recipient_id=winner.teacher.user_id, purpose="recognition_story").count() == 1
    )
