"""The monthly star rating on constructed data: each indicator from the portal's rows, the standard in
force, records and College.stars, and the no-jitter rule over several months."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import College
from activities.enums import PolicyTalkStatus, SessionStatus
from activities.models import Attendance
from community_college.models import Weekday
from dashboards import services
from dashboards.models import StandardIndicator, StarStandard
from dashboards.selectors import college_figures
from interests.enums import OrderStatus
from ratings import stars
from ratings.models import CollegeStarRecord
from tests.factories import (
    BookingFactory,
    CategoryFactory,
    CollegeStarRecordFactory,
    CourseFactory,
    InterestGroupFactory,
    OrderFactory,
    PolicyTalkFactory,
    ResidentFactory,
    SessionFactory,
    SessionRatingFactory,
    TeacherFactory,
    VenueFactory,
)
from venues.enums import BookingStatus
from venues.models import OpeningHours

pytestmark = pytest.mark.django_db

JAN = date(2026, 1, 1)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def held_session(course, day: date, venue=None, status=SessionStatus.HELD):
    return SessionFactory(course=course, venue=venue, starts_at=at(day), ends_at=at(day, 10, 30), status=status)


@pytest.fixture
def january(world):
    """Community a1 in January 2026, with rows chosen so that every indicator has a hand-computed value."""
    a1, a2 = world.a1, world.a2  # a1: 10,000 residents
    venue = VenueFactory(community=a1)
    OpeningHours.objects.create(venue=venue, weekday=Weekday.MONDAY, start=time(8), end=time(12))  # 4 h
    OpeningHours.objects.create(venue=venue, weekday=Weekday.WEDNESDAY, start=time(14), end=time(16))  # 2 h
    closed = VenueFactory(community=a1, is_active=False)
    OpeningHours.objects.create(venue=closed, weekday=Weekday.MONDAY, start=time(8), end=time(20))
    # January 2026 has four Mondays and four Wednesdays: 4 × 4 + 4 × 2 = 24 open hours.
    BookingFactory(venue=venue, starts_at=at(date(2026, 1, 5), 8), ends_at=at(date(2026, 1, 5), 10))  # 2 h
    BookingFactory(venue=venue, starts_at=at(date(2026, 1, 12), 8), ends_at=at(date(2026, 1, 12), 9), status=BookingStatus.PENDING)
    BookingFactory(venue=venue, starts_at=at(date(2026, 1, 19), 8), ends_at=at(date(2026, 1, 19), 11), status=BookingStatus.CANCELLED)
    BookingFactory(venue=venue, starts_at=at(date(2026, 2, 2), 8), ends_at=at(date(2026, 2, 2), 11))

    t1 = TeacherFactory(community=a1)
    t2 = TeacherFactory(community=a2)
    TeacherFactory(community=a1, is_active=False)
    t4 = TeacherFactory(community=a1)
    k1, k2, k3 = CategoryFactory(), CategoryFactory(), CategoryFactory()
    c1 = CourseFactory(community=a1, category=k1, teacher=t1)
    c2 = CourseFactory(community=a1, category=k2, teacher=t2)
    c3 = CourseFactory(community=a1, category=k3, teacher=t4)
    s1 = held_session(c1, date(2026, 1, 5), venue)
    s2 = held_session(c1, date(2026, 1, 12), venue)
    s3 = held_session(c2, date(2026, 1, 19), venue)
    held_session(c3, date(2026, 1, 26), venue, status=SessionStatus.CANCELLED)
    held_session(c3, date(2026, 2, 2), venue)  # February: not this period

    r1, r2, r3, r4 = (ResidentFactory(profile__community=a1) for _ in range(4))
    for session, present, absent in ((s1, [r1, r2], [r4]), (s2, [r1, r3], []), (s3, [r1], [])):
        for resident in present:
            Attendance.objects.create(session=session, resident=resident, attended=True)
        for resident in absent:
            Attendance.objects.create(session=session, resident=resident, attended=False)
    # t1: three visible ratings of 4 (shown), one hidden 1; t2: two ratings of 5 (too few to show).
    for session, resident, value in ((s1, r1, 4), (s1, r2, 4), (s2, r3, 4), (s3, r1, 5), (s3, r2, 5)):
        SessionRatingFactory(session=session, resident=resident, stars=value, created=session.ends_at + timedelta(hours=2))
    SessionRatingFactory(session=s2, resident=r1, stars=1, is_hidden=True, created=s2.ends_at + timedelta(hours=2))

    PolicyTalkFactory(session=s1, status=PolicyTalkStatus.HELD)
    PolicyTalkFactory(session=s2, status=PolicyTalkStatus.PROPOSED)

    InterestGroupFactory(community=a1, created=at(date(2025, 12, 1)))
    InterestGroupFactory(community=a1, created=at(date(2026, 1, 20)))
    InterestGroupFactory(community=a1, is_active=False)
    InterestGroupFactory(community=a1, created=at(date(2026, 2, 10)))

    def order(status, submitted, **stamps):
        return OrderFactory(resident=ResidentFactory(profile__community=a1), category=k1, status=status,
                            submitted_at=submitted, **stamps)

    jan10 = at(date(2026, 1, 10))
    order(OrderStatus.DISPATCHED, jan10, accepted_at=jan10 + timedelta(hours=2), dispatched_at=jan10 + timedelta(hours=48))
    jan20 = at(date(2026, 1, 20))
    order(OrderStatus.ACCEPTED, jan20, accepted_at=jan20 + timedelta(hours=6))
    order(OrderStatus.REJECTED, at(date(2025, 12, 1)), reject_reason="暂无老师")
    order(OrderStatus.CANCELLED, at(date(2026, 1, 25)))
    order(OrderStatus.SUBMITTED, at(date(2025, 10, 1)))  # before the 90 days
    jan30 = at(date(2026, 1, 30))
    order(OrderStatus.ACCEPTED, jan30, accepted_at=at(date(2026, 2, 2)))  # accepted after the month
    return world


def test_each_indicator_from_portal_rows(january):
    colleges, figures = college_figures(period=JAN, now=at(date(2026, 2, 5)))
    college = College.objects.get(community=january.a1)
    values = {code: v.value for code, v in stars.indicator_values(figures[college.pk]).items()}
    assert values["venue_hours_per_1000"] == pytest.approx(0.6)  # 6 weekly hours / 10,000 × 1,000
    assert values["venue_utilisation"] == pytest.approx(3 / 24)  # confirmed 2 h + pending 1 h of 24 h
    assert values["active_teachers"] == 2  # t1 and t2 taught here; t4's only January session was cancelled
    assert values["teacher_rating"] == pytest.approx(4.0)  # t1 only: t2 has two ratings; hidden ones left out
    assert values["teachers_per_1000"] == pytest.approx(0.2)  # t1 and t4 live here and are active
    assert values["categories_offered"] == 2  # k1 and k2; k3's session was cancelled
    assert values["orders_dispatched_share"] == pytest.approx(1 / 4)  # of Jan 10, Jan 20, Dec 1 (rejected), Jan 30
    assert values["median_hours_to_accept"] == pytest.approx(4.0)  # 2 h and 6 h; Jan 30's came in February
    assert values["median_hours_to_dispatch"] == pytest.approx(48.0)
    assert values["participation_per_1000"] == pytest.approx(0.3)  # r1, r2, r3
    assert values["attendance_rate"] == pytest.approx(5 / 6)
    assert values["satisfaction"] == pytest.approx(22 / 5)  # 4, 4, 4, 5, 5; the hidden 1 left out
    assert values["policy_talks"] == 1
    assert values["groups_active"] == 2
    # No fund ledger in this world: the money pillar has no evidence (its own tests are in tests/funds).
    assert values["non_fiscal_share"] is None
    assert values["budget_execution"] is None
    assert values["cost_per_hour_vs_median"] is None
    # A community without activity: no evidence, not an error.
    other = stars.indicator_values(figures[College.objects.get(community=january.b1).pk])
    assert other["satisfaction"].value is None
    assert other["active_teachers"].value == 0


def test_college_figures_cost_the_same_queries_for_any_number_of_colleges(january, django_assert_num_queries):
    # colleges, opening hours, bookings, active teachers, teacher scores, pool, interests offered, orders,
    # attendance, ratings, policy talks, groups, consultation matters, the fund's ledger entries, budget
    # lines and attended hours, and showcases held: 17, for three colleges as for a hundred.
    with django_assert_num_queries(17):
        college_figures(period=JAN, now=at(date(2026, 2, 5)))


def publish(*, anchors: dict[str, tuple[float, float, float]], thresholds=(20, 40, 60, 80), effective_from=date(2000, 1, 1),
            published=True, name="测试标准") -> StarStandard:
    standard = StarStandard.objects.create(
        name=name, effective_from=effective_from, two_stars=thresholds[0], three_stars=thresholds[1],
        four_stars=thresholds[2], five_stars=thresholds[3], published_at=timezone.now() if published else None,
    )
    for code in stars.INDICATOR_BY_CODE:
        weight, worst, best = anchors.get(code, (0, 0, 1))
        StandardIndicator.objects.create(standard=standard, code=code, weight=weight, worst=worst, best=best)
    return standard


SATISFACTION_ONLY = {"satisfaction": (1, 3.0, 5.0)}


def month_of_ratings(community, month: date, values: list[int]):
    """A session held on the 10th of `month` in `community`, rated `values`."""
    session = held_session(CourseFactory(community=community), month.replace(day=10))
    for value in values:
        SessionRatingFactory(session=session, resident=ResidentFactory(profile__community=community), stars=value,
                             created=session.ends_at + timedelta(hours=1))


def test_default_standard_is_published_by_the_migration(db):
    standard = services.standard_in_force(period=JAN)
    assert standard is not None
    assert standard.thresholds == stars.DEFAULT_THRESHOLDS
    loaded = standard.as_standard()
    assert {code: (a.weight, a.worst, a.best) for code, a in loaded.anchors.items()} == {
        s.code: (s.weight, s.worst, s.best) for s in stars.INDICATORS
    }


def test_recompute_writes_records_and_moves_the_level_one_step(january):
    standard = publish(anchors=SATISFACTION_ONLY, name="只看满意度")
    College.objects.filter(community=january.a1).update(stars=2)
    records = services.college_stars_recompute(period=JAN, now=at(date(2026, 2, 5)))
    assert len(records) == 3
    record = CollegeStarRecord.objects.get(college__community=january.a1, period=JAN)
    # satisfaction 4.4 → (4.4 − 3) / 2 = 70 % of the only weight → score 70 → target 4; from 2 only to 3.
    assert record.score == pytest.approx(70.0)
    assert record.stars == 3
    info = record.indicators
    assert info["target_stars"] == 4
    assert info["previous_stars"] == 2
    assert info["move"] == "up"
    assert info["standard"] == {"id": standard.pk, "name": "只看满意度", "thresholds": [20, 40, 60, 80]}
    assert info["indicators"]["satisfaction"]["value"] == pytest.approx(4.4)
    assert info["indicators"]["satisfaction"]["points"] == pytest.approx(70.0)
    assert info["indicators"]["satisfaction"]["inputs"] == {"ratings": 5, "stars": 22}
    assert info["indicators"]["policy_talks"]["points"] == 0  # weight 0 in this standard
    assert info["pillars"]["results"] == pytest.approx(70.0)
    assert College.objects.get(community=january.a1).stars == 3
    # No activity anywhere else: score 0, level 1 stays 1.
    assert CollegeStarRecord.objects.get(college__community=january.b1, period=JAN).stars == 1


def test_recompute_is_idempotent(january):
    publish(anchors=SATISFACTION_ONLY)
    College.objects.filter(community=january.a1).update(stars=2)
    services.college_stars_recompute(period=JAN, now=at(date(2026, 2, 5)))
    services.college_stars_recompute(period=JAN, now=at(date(2026, 2, 6)))
    assert CollegeStarRecord.objects.filter(period=JAN).count() == 3
    record = CollegeStarRecord.objects.get(college__community=january.a1, period=JAN)
    # The second run starts from the record before January (none: the college's own level), not from itself.
    assert (record.stars, record.indicators["previous_stars"]) == (3, 2)


def test_hysteresis_over_months(world):
    """Targets 4, 2, 2, 5, 2, 4 from level 3: up, held, down, up, held, same."""
    publish(anchors=SATISFACTION_ONLY)
    College.objects.filter(community=world.a1).update(stars=3)
    plan = [
        (date(2026, 1, 1), [5, 4, 4, 5, 4], 4, 4, "up"),  # mean 4.4 → 70
        (date(2026, 2, 1), [3, 4, 3, 4], 2, 4, "held"),  # mean 3.5 → 25: first month below
        (date(2026, 3, 1), [3, 4, 3, 4], 2, 3, "down"),  # second month below: one level down
        (date(2026, 4, 1), [5, 5, 5], 5, 4, "up"),  # 100 → 5, but one level at most
        (date(2026, 5, 1), [3, 4, 3, 4], 2, 4, "held"),
        (date(2026, 6, 1), [5, 4, 4, 5, 4], 4, 4, "same"),
    ]
    for month, values, _target, _level, _move in plan:
        month_of_ratings(world.a1, month, values)
    for month, _values, target, level, move in plan:
        services.college_stars_recompute(period=month, now=at(date(2026, 7, 5)))
        record = CollegeStarRecord.objects.get(college__community=world.a1, period=month)
        assert (record.indicators["target_stars"], record.stars, record.indicators["move"]) == (target, level, move), month
    assert College.objects.get(community=world.a1).stars == 4
    history = list(CollegeStarRecord.objects.filter(college__community=world.a1).order_by("period").values_list("stars", flat=True))
    assert history == [4, 4, 3, 4, 4, 4]


def test_a_gap_breaks_the_run_of_periods_below(world):
    publish(anchors=SATISFACTION_ONLY)
    College.objects.filter(community=world.a1).update(stars=3)
    month_of_ratings(world.a1, date(2026, 1, 1), [3, 4, 3, 4])
    month_of_ratings(world.a1, date(2026, 3, 1), [3, 4, 3, 4])
    services.college_stars_recompute(period=date(2026, 1, 1), now=at(date(2026, 4, 5)))
    services.college_stars_recompute(period=date(2026, 3, 1), now=at(date(2026, 4, 5)))  # February never computed
    record = CollegeStarRecord.objects.get(college__community=world.a1, period=date(2026, 3, 1))
    assert (record.stars, record.indicators["move"]) == (3, "held")


def test_records_written_before_the_portal_rated_count_by_their_score(world):
    """Demo or imported records have no target: the current thresholds read it from their score."""
    publish(anchors=SATISFACTION_ONLY)
    college = College.objects.get(community=world.a1)
    CollegeStarRecordFactory(college=college, period=date(2025, 12, 1), score=30.0, stars=3, indicators={"sessions_held": 4})
    month_of_ratings(world.a1, JAN, [3, 4, 3, 4])  # 25 → target 2
    services.college_stars_recompute(period=JAN, now=at(date(2026, 2, 5)))
    record = CollegeStarRecord.objects.get(college=college, period=JAN)
    # December's score 30 reads as 2 stars under (20, 40, 60, 80): below 3 twice in a row, so down to 2.
    assert (record.stars, record.indicators["move"]) == (2, "down")


def test_back_filling_an_old_month_leaves_todays_level_alone(world):
    publish(anchors=SATISFACTION_ONLY)
    college = College.objects.get(community=world.a1)
    CollegeStarRecordFactory(college=college, period=date(2026, 3, 1), score=90, stars=5)
    College.objects.filter(pk=college.pk).update(stars=5)
    month_of_ratings(world.a1, JAN, [3, 3, 3])
    services.college_stars_recompute(period=JAN, now=at(date(2026, 4, 5)))
    assert College.objects.get(pk=college.pk).stars == 5


def test_the_standard_in_force_is_the_latest_published_one_of_the_period(world):
    first = publish(anchors=SATISFACTION_ONLY, name="第一版")
    publish(anchors={"policy_talks": (1, 0, 4)}, name="草稿", published=False)
    later = publish(anchors={"policy_talks": (1, 0, 4)}, name="第二版", effective_from=date(2026, 3, 1))
    assert services.standard_in_force(period=JAN).pk == first.pk
    assert services.standard_in_force(period=date(2026, 3, 1)).pk == later.pk
    month_of_ratings(world.a1, JAN, [5, 5, 5])
    services.college_stars_recompute(period=JAN, now=at(date(2026, 2, 5)))
    record = CollegeStarRecord.objects.get(college__community=world.a1, period=JAN)
    assert record.indicators["standard"]["name"] == "第一版"
    assert record.score == pytest.approx(100.0)


def test_the_monthly_task_rates_last_month(world, settings):
    from dashboards.tasks import recompute_college_stars

    assert settings.CELERY_BEAT_SCHEDULE["ratings-college-stars"]["task"] == "dashboards.tasks.recompute_college_stars"
    # apply() runs the task here whether or not a broker is configured (the PostgreSQL + Redis run has one).
    assert recompute_college_stars.apply().get() == 3
    last_month = stars.previous_month(timezone.localdate())
    assert CollegeStarRecord.objects.filter(period=last_month).count() == 3
    assert recompute_college_stars.apply(args=("2026-01-15",)).get() == 3
    assert CollegeStarRecord.objects.filter(period=JAN).count() == 3
