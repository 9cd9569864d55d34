"""seed_demo: the demo district keeps every invariant the models and the services keep.

The `tiny` scale runs once for the class below (and is rolled back after it); "today" is pinned so the
split between past and upcoming sessions does not depend on the day the suite runs.
"""

from collections import Counter, defaultdict
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.test import RequestFactory, override_settings

from accounts.enums import Role
from accounts.models import College, RoleAssignment, User
from activities.models import Attendance, Course, Order, OrderEvent, PolicyTalk, Registration, Session
from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, SCALES, demo_logins, seed_demo
from interests.enums import OPEN_ORDER_STATUSES, ORDER_TRANSITIONS, OrderStatus
from interests.models import Category, GroupMembership, InterestGroup, ResidentProfile
from ratings.models import CollegeStarRecord, SessionRating
from teachers.enums import TeacherKind, TeacherSource
from teachers.models import Teacher
from venues.enums import HOLDING_STATUSES, OwnerType
from venues.models import Booking, Venue

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TINY = SCALES["tiny"]


@pytest.fixture(scope="class")
def tiny(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER), transaction.atomic():
        yield seed_demo(scale="tiny", now=NOW)
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("tiny")
class TestTinyScale:
    def test_seed_counts_match_the_scale(self, tiny):
        assert ResidentProfile.objects.count() == TINY.residents
        # demo.demand adds the demo resident's quiet interest and up to two neighbours' (issue 22).
        assert TINY.orders <= Order.objects.count() <= TINY.orders + 3
        assert InterestGroup.objects.count() == TINY.groups
        assert Venue.objects.count() == TINY.venues
        assert Teacher.objects.count() == TINY.teachers
        # Classes' meetings; showcases (demo/showcases.py) hold one meeting each on top.
        assert Session.objects.filter(status="held", course__kind="class").count() == TINY.held_sessions
        assert Session.objects.filter(status="scheduled").exists()
        assert 60 <= Category.objects.count() <= 100
        assert PolicyTalk.objects.exists() and SessionRating.objects.exists() and Attendance.objects.exists()
        # What the report counted is what the database holds.
        assert tiny.rows["accounts.User"] == User.objects.count()
        assert tiny.rows["activities.Registration"] == Registration.objects.count()

    def test_seed_every_owner_type_teacher_source_and_kind_present(self):
        assert set(Venue.objects.values_list("owner_type", flat=True)) == set(OwnerType.values)
        assert set(Teacher.objects.values_list("source", flat=True)) == set(TeacherSource.values)
        assert set(Teacher.objects.values_list("kind", flat=True)) == set(TeacherKind.values)
        assert Venue.objects.filter(requires_confirmation=True).exists()
        assert set(Order.objects.values_list("status", flat=True)) == set(OrderStatus.values)

    def test_seed_confirmed_count_equals_confirmed_registrations(self):
        confirmed = Counter(
            Registration.objects.filter(status="confirmed").values_list("course_id", flat=True)
        )
        courses = list(Course.objects.values_list("id", "confirmed_count", "capacity"))
        assert courses
        for course_id, count, capacity in courses:
            assert count == confirmed[course_id] <= capacity
        assert Registration.objects.filter(status="waitlisted").exists()

    def test_seed_holding_bookings_of_a_venue_never_overlap(self):
        by_venue = defaultdict(list)
        for venue_id, starts, ends in Booking.objects.filter(status__in=HOLDING_STATUSES).values_list(
            "venue_id", "starts_at", "ends_at"
        ):
            by_venue[venue_id].append((starts, ends))
        assert by_venue
        for spans in by_venue.values():
            spans.sort()
            for (_s1, end), (start, _e2) in zip(spans, spans[1:], strict=False):
                assert end <= start
        # Every session has its booking, in the same room at the same time.
        mismatched = Session.objects.exclude(booking__venue_id=F("venue_id")).count()
        assert mismatched == 0

    def test_seed_sessions_past_are_held_and_future_scheduled(self):
        assert not Session.objects.filter(status="held", ends_at__gt=NOW).exists()
        assert not Session.objects.filter(status="scheduled", ends_at__lte=NOW).exists()
        assert not Booking.objects.filter(session__status="cancelled").exclude(status="cancelled").exists()

    def test_seed_orders_follow_the_loop(self):
        open_orders = Counter(
            Order.objects.filter(status__in=OPEN_ORDER_STATUSES).values_list("resident_id", "category_id")
        )
        assert max(open_orders.values()) == 1
        timelines = defaultdict(list)
        for event in OrderEvent.objects.order_by("at", "id"):
            timelines[event.order_id].append(event)
        for order in Order.objects.all():
            events = timelines[order.pk]
            assert events[0].from_status == "" and events[0].to_status == OrderStatus.SUBMITTED
            for before, after in zip(events, events[1:], strict=False):
                assert after.from_status == before.to_status
                assert after.to_status in ORDER_TRANSITIONS[before.to_status]
            assert events[-1].to_status == order.status
            assert all(e.at <= NOW for e in events)
            if order.status in ("dispatched", "completed"):
                assert order.course_id is not None
                assert Registration.objects.filter(
                    order=order, resident_id=order.resident_id, course_id=order.course_id
                ).exists()

    def test_seed_groups_have_exactly_one_leader(self):
        leaders = Counter(GroupMembership.objects.filter(role="leader").values_list("group_id", flat=True))
        assert set(leaders) == set(InterestGroup.objects.values_list("id", flat=True))
        assert set(leaders.values()) == {1}

    def test_seed_ratings_come_from_attendees_and_name_the_courses_teacher(self):
        attended = set(Attendance.objects.filter(attended=True).values_list("session_id", "resident_id"))
        for session_id, resident_id, teacher_id, course_teacher_id in SessionRating.objects.values_list(
            "session_id", "resident_id", "teacher_id", "session__course__teacher_id"
        ):
            assert (session_id, resident_id) in attended
            assert teacher_id == course_teacher_id
        stars = Counter(SessionRating.objects.values_list("stars", flat=True))
        assert stars[4] + stars[5] > stars[1] + stars[2] + stars[3]  # skewed positive

    def test_seed_college_stars_match_latest_record(self):
        for college in College.objects.all():
            latest = CollegeStarRecord.objects.filter(college=college).order_by("-period").first()
            assert latest is not None and college.stars == latest.stars

    def test_seed_phones_are_mainland_mobiles_and_unique(self):
        phones = list(User.objects.values_list("phone", flat=True))
        assert len(phones) == len(set(phones))
        assert all(p and len(p) == 11 and p[0] == "1" and p[1] in "3456789" and p.isdigit() for p in phones)

    def test_seed_categories_have_pinyin_and_leaf_sizes(self):
        taiji = Category.objects.get(name="太极拳")
        assert (taiji.pinyin, taiji.pinyin_initials) == ("taijiquan", "tjq")
        assert taiji.parent.parent.name == "体育" and taiji.name_en == "Tai chi"
        assert list(taiji.facilities.values_list("code", flat=True)) == ["open_ground"]
        assert not Category.objects.filter(children__isnull=True, min_size__gt=F("max_size")).exists()

    def test_seed_one_login_per_role_authenticates(self):
        logins = demo_logins()
        assert [login.role for login in logins] == list(Role.values)
        for login in logins:
            user = authenticate(RequestFactory().post("/"), username=login.phone, password=DEMO_PASSWORD)
            assert user is not None and user.phone == login.phone, login
        users = {login.role: User.objects.get(phone=login.phone) for login in logins}
        assert ResidentProfile.objects.filter(user=users[Role.RESIDENT]).exists()
        assert Teacher.objects.get(user=users[Role.TEACHER]).courses.exists()
        for role in (Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_OFFICE):
            assert (
                users[role].is_staff and RoleAssignment.objects.filter(user=users[role], role=role).exists()
            )
        assert RoleAssignment.objects.get(user=users[Role.DEPARTMENT_LIAISON]).department is not None
        # The demo resident has something to look at: a class, an order and a group.
        resident = users[Role.RESIDENT]
        assert Registration.objects.filter(resident=resident, status="confirmed").exists()
        assert Order.objects.filter(resident=resident).exists()
        assert GroupMembership.objects.filter(user=resident, role="leader").exists()

    def test_seed_teacher_and_venue_owner_logins_have_something_to_do(self):
        from activities.teaching import teacher_week
        from teachers.selectors import teacher_for
        from venues.selectors import owner_pending_bookings

        teacher = Teacher.objects.get(user__phone="13800000002")
        assert teacher_for(teacher.user) == teacher
        week = list(teacher_week(teacher=teacher, day=NOW.date()))
        assert week and all(s.course.confirmed_count > 0 for s in week)
        owner = User.objects.get(phone="13800000007")
        pending = list(owner_pending_bookings(user=owner, now=NOW))
        assert all(b.session is not None for b in pending)
        # Three class sessions wait for the owner's answer, and a showcase seeded in their venue asks too.
        assert Counter(b.session.course.kind for b in pending) == {"class": 3, "showcase": 1}


def _snapshot(seed: int) -> list:
    with override_settings(PASSWORD_HASHERS=FAST_HASHER), transaction.atomic():
        seed_demo(scale="tiny", seed=seed, now=NOW)
        snapshot = [
            list(User.objects.filter(profile__isnull=False).order_by("id").values_list("name", "phone")[:30]),
            list(Venue.objects.order_by("id").values_list("name", "capacity")),
            list(Course.objects.order_by("id").values_list("title", "capacity", "confirmed_count")),
            Session.objects.filter(status="held").count(),
        ]
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.django_db
def test_seed_same_seed_gives_same_data():
    first = _snapshot(7)
    assert first == _snapshot(7)
    assert first[0] != _snapshot(8)[0]


@pytest.mark.django_db
def test_seed_demo_command_refuses_a_database_with_data_unless_if_empty():
    out = StringIO()
    call_command("seed_demo", "--scale", "tiny", "--no-progress", stdout=out)
    assert "13800000001" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
    with pytest.raises(CommandError, match="already has data"):
        call_command("seed_demo", "--scale", "tiny", "--no-progress", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--scale", "tiny", "--if-empty", stdout=out)
    assert "nothing seeded" in out.getvalue()
    assert ResidentProfile.objects.count() == TINY.residents
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert all(phone in out.getvalue() for phone in ("13800000001", "13800000006"))


@pytest.mark.django_db
def test_seed_demo_no_logins_leaves_the_logins_to_demo_logins():
    # `make run` seeds with --no-logins and then runs demo_logins, so the logins print once.
    seeded = StringIO()
    call_command("seed_demo", "--scale", "tiny", "--no-progress", "--no-logins", stdout=seeded)
    assert "13800000001" not in seeded.getvalue()
    listed = StringIO()
    call_command("demo_logins", stdout=listed)
    assert listed.getvalue().count("13800000001") == 1 and DEMO_PASSWORD in listed.getvalue()


@pytest.mark.django_db
def test_seed_street_demand_lets_a_matching_run_place_most_accepted_orders():
    """The street demo (what `make run` loads) gives a newcomer's first matching run classes to confirm."""
    from django.utils import timezone

    from activities.dispatch.build import resolve_node
    from activities.dispatch.service import match_run
    from activities.matching.problem import Reason

    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        seed_demo(scale="street", now=NOW)
    accepted = Order.objects.filter(status=OrderStatus.ACCEPTED).count()
    outcome = match_run(node=resolve_node("street", None), today=timezone.localdate(NOW), time_limit=60)
    built = outcome.built
    # Every accepted order is either placed or told why not.
    assert len(built.instance.orders) + len(built.no_slot) == accepted
    assert outcome.objective.assigned + len(outcome.solution.unassigned) + len(built.no_slot) == accepted
    assert outcome.objective.assigned >= 0.6 * accepted
    assert {u.reason for u in outcome.solution.unassigned} <= set(Reason)
    # The proposal is stored: its classes hold the placed orders, and the demand was skewed, not uniform.
    assert outcome.run.orders_assigned == outcome.objective.assigned and outcome.run.classes >= 5
    top = Counter(Order.objects.filter(status=OrderStatus.ACCEPTED).values_list("category__name", flat=True))
    assert sum(n for _name, n in top.most_common(5)) >= 0.6 * accepted
    # Issue 22: the run finds near misses (staff see them in the admin), and the demo resident's waiting
    # order shows how many neighbours wait with her.
    from activities.dispatch.selectors import gathering_for_orders
    from activities.models import NearMiss

    assert NearMiss.objects.filter(run=outcome.run).count() == len(outcome.near_misses.near_misses) >= 1
    mine = Order.objects.get(resident__phone=DEMO_ACCOUNTS[0].phone, status=OrderStatus.ACCEPTED)
    gathering = gathering_for_orders([mine.pk])[mine.pk]
    assert gathering.neighbours >= 2 and gathering.missing == max(0, mine.category.min_size - gathering.neighbours - 1)
