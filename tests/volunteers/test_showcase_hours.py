"""Volunteers at showcases: the showing group's leader (or staff) records hours at the showcase's meeting,
staff of its community confirm them through the same service, and they count with class hours; the other
showcase's people and shifts are untouched."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.enums import Role
from activities.enums import VolunteerShiftStatus
from activities.models import VolunteerShift
from activities.volunteering import (
    volunteer_hours,
    volunteer_shift_decide,
    volunteer_shift_record,
    volunteer_shift_record_at_showcase,
)
from community_college.errors import ConflictError, ScopeError
from ratings.enums import CandidateKind
from ratings.recognition import figures
from tests.factories import ResidentFactory, RoleAssignmentFactory, SessionFactory, TermFactory
from tests.factories.pairs import snapshot, two_of_everything
from tests.factories.showcases import approved, backdate, leader_of, propose

pytestmark = pytest.mark.django_db


def _volunteer(community):
    user = ResidentFactory(profile__community=community)
    RoleAssignmentFactory(user=user, role=Role.VOLUNTEER)
    return user


@pytest.fixture
def world():
    pair = two_of_everything()
    leader_a, leader_b = leader_of(pair.group_a), leader_of(pair.group_b)
    shown_a = backdate(approved(group=pair.group_a, leader=leader_a, venue=pair.venue_a, staff=pair.staff_a))
    shown_b = backdate(approved(group=pair.group_b, leader=leader_b, venue=pair.venue_b, staff=pair.staff_b))
    return pair, leader_a, leader_b, shown_a, shown_b


def test_hours_at_a_showcase_count_with_class_hours_once_confirmed(world):
    pair, leader_a, leader_b, shown_a, shown_b = world
    helper, other = _volunteer(pair.a), _volunteer(pair.b)
    start = timezone.now().replace(microsecond=0) - timedelta(days=3)
    class_meeting = SessionFactory(course=pair.a1, starts_at=start, ends_at=start + timedelta(hours=1))
    volunteer_shift_decide(
        shift=volunteer_shift_record(session=class_meeting, volunteer=helper, actor=pair.staff_a),
        actor=pair.staff_a,
        confirm=True,
    )
    at_a = volunteer_shift_record_at_showcase(
        showcase=shown_a, volunteer=helper, actor=leader_a, task="引导观众"
    )
    at_b = volunteer_shift_record_at_showcase(showcase=shown_b, volunteer=other, actor=leader_b)
    assert (at_a.session.course_id, at_a.hours) == (
        shown_a.audience_id,
        Decimal("2.0"),
    )  # the showcase's length
    assert volunteer_hours(volunteer=helper).awaiting == Decimal("2.0")
    before_b = snapshot(VolunteerShift.objects.filter(pk=at_b.pk), "status", "decided_by", "hours")
    # Staff of the other community cannot confirm it; the showcase's community's staff can.
    with pytest.raises(ScopeError):
        volunteer_shift_decide(shift=at_a, actor=pair.staff_b, confirm=True)
    volunteer_shift_decide(shift=at_a, actor=pair.staff_a, confirm=True)
    hours = volunteer_hours(volunteer=helper)
    assert (hours.confirmed, hours.awaiting, hours.shifts) == (Decimal("3.0"), Decimal("0.0"), 2)
    # The recognition figure counts them too (the showcase has no term: its date places it in one).
    area = figures.Area(term_id=TermFactory().pk, street_id=pair.a.street_id)
    assert (
        figures.figures(CandidateKind.VOLUNTEER, area, ids=[helper.pk])[0].figures["volunteer_hours"] == 3.0
    )
    assert snapshot(VolunteerShift.objects.filter(pk=at_b.pk), "status", "decided_by", "hours") == before_b
    assert volunteer_hours(volunteer=other).confirmed == Decimal("0.0")


def test_only_the_showcases_group_or_staff_record_hours_at_it(world):
    pair, leader_a, leader_b, shown_a, shown_b = world
    helper = _volunteer(pair.a)
    for outsider in (leader_b, pair.staff_b, pair.resident()):
        with pytest.raises(ScopeError):
            volunteer_shift_record_at_showcase(showcase=shown_a, volunteer=helper, actor=outsider)
    shift = volunteer_shift_record_at_showcase(
        showcase=shown_a, volunteer=helper, actor=pair.staff_a, hours=1
    )
    assert shift.status == VolunteerShiftStatus.RECORDED
    assert VolunteerShift.objects.count() == 1


def test_no_hours_at_a_showcase_still_to_come_or_never_approved(world):
    pair, leader_a, leader_b, shown_a, shown_b = world
    helper = _volunteer(pair.a)
    coming = approved(group=pair.group_a, leader=leader_a, venue=pair.venue_a, staff=pair.staff_a)
    with pytest.raises(ConflictError) as refused:
        volunteer_shift_record_at_showcase(showcase=coming, volunteer=helper, actor=leader_a)
    assert refused.value.code == "not_started"
    proposal = backdate(
        propose(
            group=pair.group_a,
            leader=leader_a,
            venue=pair.venue_a,
            starts_at=coming.ends_at + timedelta(days=1),
        ),
        days=5,
    )
    with pytest.raises(ConflictError) as refused:
        volunteer_shift_record_at_showcase(showcase=proposal, volunteer=helper, actor=leader_a)
    assert refused.value.code == "showcase_not_held"
    assert VolunteerShift.objects.count() == 0
