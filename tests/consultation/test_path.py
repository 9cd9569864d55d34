"""The whole path with a frozen clock: raise → support → deliberation → meeting (booked, never overlapping)
→ agenda → check-in and vote → decisions with owners → progress → overdue → done → confirmation/timeout."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError

from community_college.errors import ConflictError, InvalidTransition, ScopeError
from consultation import services
from consultation.enums import DecisionStatus, EventKind, MatterStatus, Outcome, OwnerKind, ParticipantKind
from consultation.models import Confirmation, Decision, MatterEvent, Participant
from notices.enums import Purpose
from notices.models import Notice
from venues.models import Booking

from .conftest import SHANGHAI


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def kinds(matter):
    return list(MatterEvent.objects.filter(matter=matter).order_by("at", "id").values_list("kind", flat=True))


@pytest.fixture
def deliberated(world, clock):
    clock.set("2026-09-21 09:00")
    matter = world.raise_matter()
    services.matter_support(matter=matter, user=world.residents[1])
    services.matter_support(matter=matter, user=world.residents[2])
    services.matter_to_deliberation(matter=matter, actor=world.staff)
    other = world.raise_matter("楼道堆物", resident=world.residents[3])
    services.matter_to_deliberation(matter=other, actor=world.staff)
    meeting = services.meeting_schedule(
        community=world.home,
        venue=world.venue,
        starts_at=at("2026-09-24 19:00"),
        ends_at=at("2026-09-24 21:00"),
        title="九月居民议事会",
        actor=world.staff,
        matters=[matter, other],
    )
    return matter, other, meeting


def test_meeting_books_the_venue_and_invites_raisers_and_supporters(world, deliberated):
    matter, other, meeting = deliberated
    assert meeting.booking.venue == world.venue
    assert (meeting.booking.starts_at, meeting.booking.ends_at) == (meeting.starts_at, meeting.ends_at)
    invited = dict(Participant.objects.filter(meeting=meeting).values_list("user_id", "kind"))
    assert invited == {
        world.residents[0].pk: ParticipantKind.RAISER,
        world.residents[3].pk: ParticipantKind.RAISER,
        world.residents[1].pk: ParticipantKind.SUPPORTER,
        world.residents[2].pk: ParticipantKind.SUPPORTER,
    }
    # The same room at an overlapping time is refused by the booking service, and nothing is half-saved.
    third = world.raise_matter("噪音", resident=world.residents[1])
    services.matter_to_deliberation(matter=third, actor=world.staff)
    with pytest.raises(ConflictError):
        services.meeting_schedule(
            community=world.home,
            venue=world.venue,
            starts_at=at("2026-09-24 20:00"),
            ends_at=at("2026-09-24 22:00"),
            title="撞车",
            actor=world.staff,
            matters=[third],
        )
    assert Booking.objects.filter(venue=world.venue).count() == 1
    with pytest.raises(ScopeError):
        services.meeting_schedule(
            community=world.home, venue=world.venue, starts_at=at("2026-09-25 19:00"), ends_at=at("2026-09-25 20:00"),
            title="越权", actor=world.other_staff, matters=[third],
        )


def test_whole_path_to_confirmed(world, clock, deliberated):
    matter, other, meeting = deliberated
    services.meeting_respond(meeting=meeting, user=world.residents[1], attend=True)
    with pytest.raises(ScopeError):
        services.meeting_respond(meeting=meeting, user=world.neighbours[0], attend=True)
    services.meeting_publish_agenda(meeting=meeting, actor=world.staff, agenda="1. 停车难 2. 楼道堆物")
    clock.set("2026-09-24 19:05")
    with pytest.raises(ConflictError):
        services.meeting_publish_agenda(meeting=meeting, actor=world.staff, agenda="迟到的议程")
    for resident in world.residents[:3]:
        services.meeting_check_in(meeting=meeting, user=resident, actor=world.staff)
    with pytest.raises(ScopeError):
        services.meeting_check_in(meeting=meeting, user=world.neighbours[0], actor=world.staff)
    services.meeting_record_minutes(meeting=meeting, actor=world.staff, minutes="讨论了停车与堆物。")
    parking = services.decision_record(
        meeting=meeting, matter=matter, actor=world.staff, text="夜间开放学校操场停车", owner_kind=OwnerKind.STAFF,
        owner_user=world.staff, due_date=date(2026, 10, 15), needs_vote=True,
    )
    signs = services.decision_record(
        meeting=meeting, matter=matter, actor=world.staff, text="消防通道划线", owner_kind=OwnerKind.DEPARTMENT,
        owner_department=world.department, due_date=date(2026, 10, 10),
    )
    services.decision_record(
        meeting=meeting, matter=other, actor=world.staff, text="楼长组织清理", owner_kind=OwnerKind.RESIDENTS,
        owner_name="3栋楼长", due_date=date(2026, 10, 1),
    )
    with pytest.raises(ValidationError):
        services.decision_record(
            meeting=meeting, matter=matter, actor=world.staff, text="无主", owner_kind=OwnerKind.UNIT,
            due_date=date(2026, 10, 1),
        )
    # One vote each, only residents present.
    services.vote_cast(decision=parking, voter=world.residents[0], choice="for")
    services.vote_cast(decision=parking, voter=world.residents[1], choice="against")
    with pytest.raises(ConflictError):
        services.vote_cast(decision=parking, voter=world.residents[0], choice="against")
    with pytest.raises(ScopeError):
        services.vote_cast(decision=parking, voter=world.residents[3], choice="for")  # invited, not present
    with pytest.raises(ConflictError):
        services.vote_cast(decision=signs, voter=world.residents[0], choice="for")  # not put to a vote
    assert services.vote_tally(parking) == {"for": 1, "against": 1, "abstain": 0}
    matter.refresh_from_db()
    assert matter.status == MatterStatus.DECIDED

    # Progress from the owners; another department's liaison may not report.
    clock.set("2026-10-08 10:00")
    services.decision_progress(decision=signs, actor=world.liaison, text="已勘测", progress=40)
    with pytest.raises(ScopeError):
        services.decision_progress(decision=signs, actor=world.other_liaison, text="x", progress=50)
    with pytest.raises(ScopeError):
        services.decision_progress(decision=parking, actor=world.residents[0], text="x", progress=50)

    # Overdue: the sweep after the due date flags the decisions once (the 3栋 one of the other matter too).
    clock.set("2026-10-11 00:30")
    assert services.decisions_flag_overdue() == 2
    assert services.decisions_flag_overdue() == 0
    assert set(Decision.objects.filter(overdue_at__isnull=False).values_list("text", flat=True)) == {"消防通道划线", "楼长组织清理"}

    services.decision_mark_done(decision=signs, actor=world.liaison, text="划线完成")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.DECIDED  # one decision still open
    services.decision_mark_done(decision=parking, actor=world.staff)
    matter.refresh_from_db()
    assert matter.status == MatterStatus.CONFIRMING
    assert matter.done_at == at("2026-10-11 00:30")

    with pytest.raises(ScopeError):
        services.matter_confirm(matter=matter, resident=world.residents[3], is_done=True, satisfaction=5)
    with pytest.raises(ValidationError):
        services.matter_confirm(matter=matter, resident=world.residents[0], is_done=True, satisfaction=6)
    for resident, stars in zip(world.residents[:3], (5, 4, 3), strict=True):
        services.matter_confirm(matter=matter, resident=resident, is_done=True, satisfaction=stars, comment="好")
    matter.refresh_from_db()
    assert (matter.status, matter.outcome) == (MatterStatus.CLOSED, Outcome.CONFIRMED)
    with pytest.raises(InvalidTransition):
        services.matter_confirm(matter=matter, resident=world.residents[0], is_done=True, satisfaction=5)
    assert kinds(matter) == [
        EventKind.RAISED,
        EventKind.DELIBERATION,
        EventKind.MEETING_SCHEDULED,
        EventKind.AGENDA_PUBLISHED,
        EventKind.DECIDED,
        EventKind.DECIDED,
        EventKind.PROGRESS,
        EventKind.DECISION_OVERDUE,
        EventKind.DECISION_DONE,
        EventKind.DECISION_DONE,
        EventKind.DONE,
        EventKind.CONFIRMED,
    ]
    other.refresh_from_db()
    assert other.status == MatterStatus.DECIDED
    from consultation.models import Matter
    from consultation.selectors import dashboard_figures

    figures = dashboard_figures(Matter.objects.all())
    assert (figures["satisfaction"], figures["confirmations"], figures["overdue_decisions"]) == (4.0, 3, 1)
    assert figures["totals"] | {} == {
        "raised": 2, "answered": 2, "on_time": 2, "deliberated": 2, "decided": 2, "done": 1, "open": 1,
    }


def test_unconfirmed_matter_closes_after_the_timeout(world, clock, deliberated, settings):
    settings.CONSULTATION_CONFIRM_DAYS = 14
    matter, other, meeting = deliberated
    clock.set("2026-09-24 21:00")
    decision = services.decision_record(
        meeting=meeting, matter=matter, actor=world.staff, text="划线", owner_kind=OwnerKind.UNIT,
        owner_name="物业公司", due_date=date(2026, 10, 1),
    )
    services.decision_mark_done(decision=decision, actor=world.staff)
    services.matter_confirm(matter=matter, resident=world.residents[1], is_done=False, satisfaction=2, comment="没划完")
    clock.set("2026-10-08 20:59")
    assert services.matters_close_unconfirmed() == 0
    clock.set("2026-10-08 21:00")
    assert services.matters_close_unconfirmed() == 1
    matter.refresh_from_db()
    assert (matter.status, matter.outcome) == (MatterStatus.CLOSED, Outcome.TIMEOUT)
    assert Confirmation.objects.filter(matter=matter).count() == 1
    other.refresh_from_db()
    assert other.status == MatterStatus.DELIBERATION
    assert Decision.objects.get(pk=decision.pk).status == DecisionStatus.DONE


def test_notices_follow_the_steps(world, clock, deliberated, django_capture_on_commit_callbacks):
    matter, _other, meeting = deliberated
    with django_capture_on_commit_callbacks(execute=True):
        services.matter_support(matter=matter, user=world.residents[3])
        decision = services.decision_record(
            meeting=meeting, matter=matter, actor=world.staff, text="划线", owner_kind=OwnerKind.UNIT,
            owner_name="物业公司", due_date=date(2026, 10, 1),
        )
        services.decision_mark_done(decision=decision, actor=world.staff)
    followers = {r.pk for r in world.residents}
    decided = Notice.objects.filter(purpose=Purpose.CONSULTATION_UPDATE, object_key__startswith="matter-event:")
    assert {n.recipient_id for n in decided if "划线" in n.body} == followers
    asked = set(Notice.objects.filter(purpose=Purpose.CONSULTATION_CONFIRM).values_list("recipient_id", flat=True))
    assert asked == followers
    assert not Notice.objects.filter(recipient__in=world.neighbours).exists()


def test_escalation_notice_goes_to_street_staff(world, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        matter = world.raise_matter()
    assert list(Notice.objects.filter(purpose=Purpose.CONSULTATION_TASK).values_list("recipient_id", flat=True)) == [world.staff.pk]
    clock.set("2026-09-28 09:00")
    with django_capture_on_commit_callbacks(execute=True):
        services.matters_escalate_due()
    tasks = set(Notice.objects.filter(purpose=Purpose.CONSULTATION_TASK).values_list("recipient_id", flat=True))
    assert tasks == {world.staff.pk, world.street_staff.pk}
    assert Notice.objects.filter(purpose=Purpose.CONSULTATION_UPDATE, recipient=matter.raised_by).count() == 1


def test_weekly_digest_counts_followed_open_matters(world, clock):
    from notices.consultation import digest_follow_counts, digest_line

    clock.set("2026-09-01 09:00")
    quiet = world.raise_matter("安静的事")
    clock.set("2026-09-10 09:00")
    busy = world.raise_matter("有进展的事", resident=world.residents[1])
    services.matter_support(matter=busy, user=world.residents[0])
    services.matter_support(matter=quiet, user=world.residents[2])
    closed = world.raise_matter("已答复", resident=world.residents[0])
    services.matter_answer(matter=closed, actor=world.staff, answer="好")
    ids = sorted(r.pk for r in world.residents + world.neighbours)
    counts = digest_follow_counts(first_id=ids[0], last_id=ids[-1], since=at("2026-09-07 00:00"))
    assert counts == {
        world.residents[0].pk: (2, 1),  # raised the quiet one, supports the busy one; the closed one left out
        world.residents[1].pk: (1, 1),
        world.residents[2].pk: (1, 0),
    }
    assert "2" in digest_line(open_count=2, moved=1, url="/consultation/")
