"""城市师资共享: a district's matching sees its own teachers and those of other districts who opted in, within
their travel range; a shared teacher's sessions anywhere count once against their weekly maximum."""

from datetime import time

import pytest

from activities.dispatch.build import build_instance
from teachers.models import Teacher
from tests.factories import CommunityFactory, CourseFactory, DistrictFactory, SessionFactory, StreetFactory
from tests.factories.pairs import snapshot

from .helpers import category, north, orders, teacher, venue
from .test_build import MON, TUE, at, on

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbour(town):
    """A second district whose community `x` lies 3 km north of community `a` of the town's district."""
    district = DistrictFactory(name="渝北区", code="yubei")
    street = StreetFactory(district=district)
    return district, CommunityFactory(street=street, **north(3))


def ids(built):
    return sorted(t.id for t in built.instance.teachers)


def test_other_districts_teachers_join_only_when_they_opt_in_and_reach(town, neighbour):
    _district, x = neighbour
    cat = category("书法")
    orders(2, town.a, cat, staff=town.staff_a)
    venue(town.a)
    own = teacher([cat], km=1.0, community=town.a)
    kept_home = teacher([cat], km=3.0, community=x)
    shared = teacher([cat], km=3.0, community=x, serves_neighbouring_districts=True)
    teacher([cat], km=60.0, max_km=5.0, community=x, serves_neighbouring_districts=True)  # too far to travel
    before = snapshot(
        Teacher.objects.all(), "serves_neighbouring_districts", "max_weekly_sessions", "community_id"
    )

    assert ids(build_instance(node=town.district, term=town.term)) == sorted([own.pk, shared.pk])
    # Every node of the district uses the district's pool.
    assert ids(build_instance(node=town.a, term=town.term)) == sorted([own.pk, shared.pk])
    assert kept_home.pk not in ids(build_instance(node=town.street, term=town.term))
    assert (
        snapshot(
            Teacher.objects.all(), "serves_neighbouring_districts", "max_weekly_sessions", "community_id"
        )
        == before
    )


def test_the_neighbour_district_sees_its_own_and_not_the_towns_unshared_teachers(town, neighbour):
    district, x = neighbour
    cat = category("书法")
    orders(2, x, cat, km=3.1)
    venue(x)
    mine = teacher([cat], km=3.5, community=x)
    town_teacher = teacher([cat], km=1.0, community=town.a)
    town_shared = teacher([cat], km=1.0, community=town.a, serves_neighbouring_districts=True)

    pool = ids(build_instance(node=district, term=town.term))
    assert pool == sorted([mine.pk, town_shared.pk])
    assert town_teacher.pk not in pool


def test_a_shared_teachers_load_is_counted_once_across_districts(town, neighbour):
    district, x = neighbour
    cat = category("书法")
    orders(2, town.a, cat, staff=town.staff_a)
    orders(2, x, cat, km=3.1)
    venue(town.a, hours=[(MON, time(8), time(21)), (TUE, time(8), time(21))])
    venue(x, hours=[(MON, time(8), time(21)), (TUE, time(8), time(21))])
    shared = teacher(
        [cat],
        km=3.0,
        max_weekly=3,
        community=x,
        serves_neighbouring_districts=True,
        windows=[(MON, time(8), time(12)), (TUE, time(8), time(12))],
    )
    # Two sessions in one week of a class at home (district 2), on Thursday and Friday afternoons.
    home_class = CourseFactory(community=x, teacher=shared, category=cat)
    for weekday in (3, 4):
        SessionFactory(
            course=home_class, starts_at=at(on(town, weekday, 1), 14), ends_at=at(on(town, weekday, 1), 15)
        )
    # And one session of a class in the town's district in another week: the busiest week still counts two.
    town_class = CourseFactory(community=town.a, teacher=shared, category=cat)
    SessionFactory(course=town_class, starts_at=at(on(town, 3, 2), 14), ends_at=at(on(town, 3, 2), 15))

    in_town = {t.id: t for t in build_instance(node=town.district, term=town.term).instance.teachers}
    at_home = {t.id: t for t in build_instance(node=district, term=town.term).instance.teachers}
    assert in_town[shared.pk].max_sessions == at_home[shared.pk].max_sessions == 3 - 2

    # A third session in the busy week, in the town's district this time, leaves nothing to give anywhere.
    SessionFactory(course=town_class, starts_at=at(on(town, 2, 1), 14), ends_at=at(on(town, 2, 1), 15))
    assert shared.pk not in ids(build_instance(node=town.district, term=town.term))
    assert shared.pk not in ids(build_instance(node=district, term=town.term))
