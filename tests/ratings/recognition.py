"""A recognition world for the tests: a street round over two communities (two of everything), a third
community on another street (outside the round's area), the street's staff who run the round."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from activities.enums import SessionStatus
from ratings.enums import CandidateKind
from ratings.recognition import services
from tests.factories import (
    AttendanceFactory,
    CommunityFactory,
    ResidentFactory,
    SessionFactory,
    StreetFactory,
    TermFactory,
)
from tests.factories.pairs import Pair, two_of_everything


@dataclass
class RecognitionWorld:
    pair: Pair
    outside: object  # a community on another street of the district
    term: object
    round: object
    teachers: object  # category 优秀教师
    groups: object  # category 优秀兴趣小组
    stars: object  # category 学习之星 (residents)
    manager: object  # the street's staff

    def resident(self, community=None):
        return ResidentFactory(profile__community=community or self.pair.a)


def recognition_world(**honours) -> RecognitionWorld:
    pair = two_of_everything()
    outside = CommunityFactory(street=StreetFactory(district=pair.district))
    term = TermFactory()
    for course in pair.courses:
        course.term = term
        course.save(update_fields=["term"])
    round = services.round_open(
        actor=pair.street_staff,
        title="2026年秋季榜样评选",
        term=term,
        street=pair.a.street,
        categories=[
            {"name": "优秀教师", "kind": CandidateKind.TEACHER, "winners": 1},
            {"name": "优秀兴趣小组", "kind": CandidateKind.GROUP, "winners": 1},
            {"name": "学习之星", "kind": CandidateKind.RESIDENT, "winners": 2},
        ],
        **honours,
    )
    teachers, groups, stars = round.categories.order_by("sort_order")
    return RecognitionWorld(
        pair=pair,
        outside=outside,
        term=term,
        round=round,
        teachers=teachers,
        groups=groups,
        stars=stars,
        manager=pair.street_staff,
    )


def held_session(course, *, attended=(), days_ago=3):
    """A held meeting of `course` a few days ago, attended by `attended`."""
    start = timezone.now() - timedelta(days=days_ago)
    session = SessionFactory(
        course=course, starts_at=start, ends_at=start + timedelta(hours=1), status=SessionStatus.HELD
    )
    for person in attended:
        AttendanceFactory(session=session, resident=person, attended=True)
    return session


def end_notice(round):
    """Move the public notice's end into the past (the days of the notice have gone by)."""
    round.refresh_from_db()
    type(round).objects.filter(pk=round.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
    round.refresh_from_db()
    return round
