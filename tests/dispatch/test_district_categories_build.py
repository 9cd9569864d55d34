"""The matching instance reads the category as the node's district sees it (issue 18): a district that adapted
an interest's name or class sizes gets classes of its own sizes; a neighbour that did not keeps the city's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.enums import Role
from activities.dispatch import service as dispatch
from activities.dispatch.build import build_instance
from activities.models import ProposedClass
from interests import category_defaults
from interests.models import Category, DistrictCategory
from tests.factories import CommunityFactory, DistrictFactory, StaffFactory, StreetFactory, TermFactory
from tests.factories.pairs import snapshot

from .helpers import category, north, orders, teacher, venue
from .test_waitlist import run_a, waiting_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbour(town):
    district = DistrictFactory(name="渝北区", code="yubei", city=town.district.city)
    community = CommunityFactory(street=StreetFactory(district=district), **north(60))
    TermFactory(district=district, starts_on=town.term.starts_on, ends_on=town.term.ends_on)
    return district, community


def _adapt(district, category, **changes):
    office = StaffFactory(role=Role.DISTRICT_OFFICE, district=district)
    category_defaults.district_categories_adopt(district_id=district.pk, actor=office, categories=[category])
    return category_defaults.district_category_adapt(
        version=DistrictCategory.objects.get(district=district, category=category), actor=office, **changes
    )


def _spec(built, category):
    return next(c for c in built.instance.categories if c.id == category.pk)


def test_each_districts_instance_carries_its_own_sizes_and_name(town, neighbour):
    district, x = neighbour
    ink = category("书法", min_size=5, max_size=10, facilities=("desk",))
    orders(3, town.a, ink, staff=town.staff_a)
    orders(3, x, ink, km=60.1)
    venue(town.a)
    venue(x)
    _adapt(town.district, ink, name="软笔书法", min_size=3, max_size=8)
    city = snapshot(Category.objects.all(), "name", "min_size", "max_size")

    mine = _spec(build_instance(node=town.district, term=town.term), ink)
    theirs = _spec(build_instance(node=district), ink)

    assert (mine.name, mine.min_size, mine.max_size, mine.facilities) == ("软笔书法", 3, 8, ("desk",))
    assert (theirs.name, theirs.min_size, theirs.max_size, theirs.facilities) == ("书法", 5, 10, ("desk",))
    # Every node of the district reads the district's version.
    assert _spec(build_instance(node=town.a, term=town.term), ink).min_size == 3
    assert snapshot(Category.objects.all(), "name", "min_size", "max_size") == city


def test_a_lowered_minimum_forms_a_class_in_that_district_only(town, neighbour):
    """Three orders each side, the city's minimum five: only the district that lowered its minimum to three
    gets a class."""
    district, x = neighbour
    ink = category("书法", min_size=5, max_size=10)
    mine = orders(3, town.a, ink, staff=town.staff_a)
    theirs = orders(3, x, ink, km=60.1)
    teacher([ink], km=0.0, max_km=5)
    teacher([ink], km=60.0, max_km=5, community=x)
    venue(town.a)
    venue(x)
    _adapt(town.district, ink, min_size=3, max_size=4)

    here = dispatch.match_run(node=town.district, term=town.term, time_limit=5)
    there = dispatch.match_run(node=district, time_limit=5)

    assert (here.run.classes, here.run.orders_assigned) == (1, 3)
    assert (there.run.classes, there.run.orders_assigned) == (0, 0)
    assert {u.reason for u in there.solution.unassigned} == {"below_min_size"}
    assert all(o.placements.exists() for o in mine)
    assert not any(o.placements.exists() for o in theirs)
    # Confirming reads the same version: three orders are enough, and the class has the district's maximum.
    course = dispatch.proposed_class_confirm(
        proposed=ProposedClass.objects.get(run=here.run), actor=town.staff_a
    )
    assert (course.capacity, course.confirmed_count) == (4, 3)
    assert Category.objects.get(pk=ink.pk).max_size == 10


def test_the_build_reads_the_tree_in_queries_that_do_not_grow_with_adaptations(town, neighbour):
    cats = [category(f"兴趣{n}", min_size=2, max_size=10) for n in range(4)]
    for cat in cats:
        orders(2, town.a, cat, staff=town.staff_a)
    venue(town.a)
    teacher(cats, km=0.0)
    # Counted with no adaptation, then with every category adapted: the same number of queries.
    with CaptureQueriesContext(connection) as before:
        build_instance(node=town.district, term=town.term)
    for cat in cats:
        _adapt(town.district, cat, min_size=1)
    with CaptureQueriesContext(connection) as after:
        built = build_instance(node=town.district, term=town.term)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert {c.min_size for c in built.instance.categories} == {1}


@pytest.mark.parametrize("lowered_in", ["town", "neighbour"])
def test_a_waiting_list_reaches_the_minimum_of_its_own_district(town, neighbour, lowered_in):
    """Two residents waiting, the city's minimum three: a second class only where the class's district
    lowered its minimum to two."""
    w = waiting_for(town, 2)
    district = town.district if lowered_in == "town" else neighbour[0]
    _adapt(district, w.category, min_size=2)

    run = run_a(town)

    expected = (1, 2) if lowered_in == "town" else (0, 0)
    assert (run.classes, run.orders_total) == expected
