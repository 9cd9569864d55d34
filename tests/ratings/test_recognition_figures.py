"""The figures of volunteer hours and showcases beside candidates: computed from confirmed shifts and held,
approved showcases of the round's term and area; the other community's figures are its own."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.enums import Role
from activities.volunteering import volunteer_shift_decide, volunteer_shift_record
from ratings.enums import CandidateKind
from ratings.recognition import figures, services
from tests.factories import CourseFactory, RoleAssignmentFactory, TermFactory
from tests.factories.showcases import approved, backdate, leader_of, propose

from .recognition import held_session, recognition_world

pytestmark = pytest.mark.django_db


def _volunteer(community):
    from tests.factories import ResidentFactory

    user = ResidentFactory(profile__community=community)
    RoleAssignmentFactory(user=user, role=Role.VOLUNTEER)
    return user


def _helped(session, volunteer, staff, *, hours, confirm=True):
    shift = volunteer_shift_record(session=session, volunteer=volunteer, actor=staff, hours=hours)
    if confirm is not None:
        volunteer_shift_decide(shift=shift, actor=staff, confirm=confirm)
    return shift


def test_volunteer_hours_count_confirmed_hours_of_the_term_and_area(django_assert_num_queries):
    world = recognition_world()
    pair = world.pair
    ann, ben = _volunteer(pair.a), _volunteer(pair.b)
    _helped(held_session(pair.a1), ann, pair.staff_a, hours=2)
    _helped(held_session(pair.a2, days_ago=4), ann, pair.staff_a, hours=1.5)
    _helped(held_session(pair.b1), ben, pair.staff_b, hours=3)
    # Not counted: hours awaiting staff, refused hours, another term's class, a class outside the area.
    _helped(held_session(pair.a1, days_ago=5), ben, pair.staff_a, hours=4, confirm=None)
    _helped(held_session(pair.a2, days_ago=6), ben, pair.staff_a, hours=4, confirm=False)
    _helped(held_session(CourseFactory(community=pair.a, term=TermFactory())), ann, pair.staff_a, hours=5)
    outside_course = CourseFactory(community=world.outside, term=world.term)
    from tests.factories import StaffFactory

    _helped(held_session(outside_course), ann, StaffFactory(community=world.outside), hours=6)

    area = figures.Area.of(world.round)
    # The providers of volunteers (hours, attendance, showcases), then the subjects.
    with django_assert_num_queries(4):
        rows = {row.subject.id: row.figures for row in figures.figures(CandidateKind.VOLUNTEER, area)}
    assert rows == {
        ann.pk: {"volunteer_hours": 3.5, "attendance": 0, "showcases": 0},
        ben.pk: {"volunteer_hours": 3.0, "attendance": 0, "showcases": 0},
    }
    assert list(rows[ann.pk]) == ["volunteer_hours", "attendance", "showcases"]  # hours rank a volunteer

    # A volunteers' category takes its data candidates by hours.
    category = world.round.categories.create(name="优秀志愿者", kind=CandidateKind.VOLUNTEER, winners=1)
    chosen = services.candidates_from_data(category=category, actor=world.manager, limit=1)
    assert [c.person_id for c in chosen] == [ann.pk]
    assert Decimal(str(rows[ben.pk]["volunteer_hours"])) == Decimal("3.0")


def test_showcases_held_count_per_group_teacher_and_leader():
    world = recognition_world()
    pair = world.pair
    leader_a, leader_b = leader_of(pair.group_a), leader_of(pair.group_b)
    RoleAssignmentFactory(user=leader_a, role=Role.VOLUNTEER)
    RoleAssignmentFactory(user=leader_b, role=Role.VOLUNTEER)
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    for hour in (0, 4):
        shown = approved(
            group=pair.group_a,
            leader=leader_a,
            venue=pair.venue_a,
            staff=pair.staff_a,
            starts_at=start + timedelta(hours=hour),
        )
        backdate(shown, days=2 + hour)
    backdate(approved(group=pair.group_b, leader=leader_b, venue=pair.venue_b, staff=pair.staff_b), days=2)
    # Not counted: a showcase still to come, one only proposed (then held in the past by its date).
    approved(group=pair.group_b, leader=leader_b, venue=pair.venue_b, staff=pair.staff_b, starts_at=start)
    proposed = propose(
        group=pair.group_b, leader=leader_b, venue=pair.venue_b, starts_at=start + timedelta(hours=5)
    )
    backdate(proposed, days=4)

    area = figures.Area.of(world.round)
    groups = {row.subject.id: row.figures["showcases"] for row in figures.figures(CandidateKind.GROUP, area)}
    assert groups == {pair.group_a.pk: 2, pair.group_b.pk: 1}
    people = {
        row.subject.id: row.figures["showcases"] for row in figures.figures(CandidateKind.VOLUNTEER, area)
    }
    assert people == {leader_a.pk: 2, leader_b.pk: 1}
    teachers = {
        row.subject.id: row.figures["showcases"] for row in figures.figures(CandidateKind.TEACHER, area)
    }
    assert set(teachers.values()) == {0}  # group showcases are no class's

    # A showcase of another term is not this round's.
    other_round_area = figures.Area(
        term_id=TermFactory(
            starts_on=world.term.starts_on.replace(year=2020), ends_on=world.term.ends_on.replace(year=2021)
        ).pk,
        street_id=world.round.street_id,
    )
    assert {row.figures["showcases"] for row in figures.figures(CandidateKind.GROUP, other_round_area)} == {0}
