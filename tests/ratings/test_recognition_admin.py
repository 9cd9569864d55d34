"""Recognition rounds in the staff admin: the rows stay read-only, and the steps staff take are actions
calling the services (the notice, answers to objections, decisions with their reason, the close) — for the
round's managers only; another street's round is untouched."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.enums import Role
from ratings.enums import CandidateKind, Decision, RoundStatus
from ratings.models import Candidate, Objection, RecognitionRound
from ratings.recognition import services
from tests.factories import CourseFactory, ResidentFactory, StaffFactory
from tests.factories.pairs import snapshot

from .recognition import end_notice, recognition_world

pytestmark = pytest.mark.django_db


def _other_round(world):
    """A round of the other street, with a candidate: nothing done in the first street's admin touches it."""
    street_staff = StaffFactory(role=Role.STREET_STAFF, street=world.outside.street)
    round = services.round_open(
        actor=street_staff,
        title="另一条街道的评选",
        term=world.term,
        street=world.outside.street,
        categories=[{"name": "优秀教师", "kind": CandidateKind.TEACHER, "winners": 1}],
    )
    teacher = CourseFactory(community=world.outside, term=world.term).teacher
    services.nomination_create(
        category=round.categories.get(),
        nominator=ResidentFactory(profile__community=world.outside),
        subject_id=teacher.pk,
        reason="认真负责",
    )
    return round


def _act(client, model, action, ids, **extra):
    url = reverse(f"admin:ratings_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": ids, **extra}, follow=True)


def _rows():
    return (
        snapshot(RecognitionRound.objects.all(), "status", "notice_ends_at", "closed_at"),
        snapshot(Candidate.objects.all(), "decision", "decision_reason"),
        snapshot(Objection.objects.all(), "answer", "answered_by"),
    )


def test_a_round_is_run_through_admin_actions_and_the_other_street_is_untouched(client):
    world = recognition_world()
    other = _other_round(world)
    a = services.nomination_create(
        category=world.teachers, nominator=world.resident(), subject_id=world.pair.a1.teacher_id, reason="好"
    ).candidate
    other_before = snapshot(RecognitionRound.objects.filter(pk=other.pk), "status", "notice_ends_at")
    other_candidates = snapshot(Candidate.objects.filter(round=other), "decision", "decision_reason")
    client.force_login(world.manager)

    _act(client, "recognitionround", "start_notice", [world.round.pk, other.pk])
    world.round.refresh_from_db()
    assert world.round.status == RoundStatus.NOTICE
    objection = services.objection_raise(candidate=a, resident=world.resident(), reason="常迟到")
    end_notice(world.round)

    # Closing with an objection unanswered is refused and changes nothing.
    _act(client, "recognitionround", "close_rounds", [world.round.pk])
    world.round.refresh_from_db()
    assert world.round.status == RoundStatus.NOTICE

    # An answer and a decision need their text: an empty one is refused, nothing saved.
    _act(client, "objection", "answer_objections", [objection.pk], reason="")
    _act(client, "candidate", "decide_won", [a.pk], reason=" ")
    assert Objection.objects.get().answered_at is None
    assert Candidate.objects.get(pk=a.pk).decision == Decision.PENDING

    _act(client, "objection", "answer_objections", [objection.pk], reason="经核实，系场地调整")
    _act(
        client,
        "candidate",
        "decide_won",
        [a.pk, *Candidate.objects.filter(round=other).values_list("pk", flat=True)],
        reason="票数最高",
    )
    _act(client, "recognitionround", "close_rounds", [world.round.pk, other.pk])

    world.round.refresh_from_db()
    assert world.round.status == RoundStatus.CLOSED
    assert (Objection.objects.get().answer, Objection.objects.get().answered_by) == (
        "经核实，系场地调整",
        world.manager,
    )
    assert Candidate.objects.filter(pk=a.pk).values_list("decision", "decision_reason").get() == (
        Decision.WON,
        "票数最高",
    )
    assert snapshot(RecognitionRound.objects.filter(pk=other.pk), "status", "notice_ends_at") == other_before
    assert snapshot(Candidate.objects.filter(round=other), "decision", "decision_reason") == other_candidates


def test_community_staff_see_the_actions_but_the_services_refuse_them(client):
    world = recognition_world()
    services.nomination_create(
        category=world.teachers, nominator=world.resident(), subject_id=world.pair.a1.teacher_id, reason="好"
    )
    before = _rows()
    client.force_login(world.pair.staff_a)
    response = _act(client, "recognitionround", "start_notice", [world.round.pk])
    assert _rows() == before
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and world.round.title in shown[0]  # the refusal names the round


def test_the_rows_stay_read_only(client):
    world = recognition_world()
    client.force_login(world.manager)
    assert client.get(reverse("admin:ratings_recognitionround_add")).status_code == 403
    change = client.post(
        reverse("admin:ratings_recognitionround_change", args=[world.round.pk]), {"title": "改名"}
    )
    assert change.status_code == 403
    world.round.refresh_from_db()
    assert world.round.title == "2026年秋季榜样评选"
