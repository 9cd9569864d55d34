"""The matching fan-out (issue 18): a district-wide run split into independent parts, solved by Celery
tasks and gathered into one proposal, equal to the single-process run on the same instance and seed."""

from __future__ import annotations

from datetime import time

import pytest

from activities.dispatch import service as dispatch
from activities.dispatch.build import build_instance
from activities.dispatch.fanout import (
    fanout_gather,
    fanout_plan,
    match_city_fanout,
    match_fanout,
    solve_parts,
    solve_split,
)
from activities.matching.split import split
from activities.models import MatchRun, Order, ProposedClass
from community_college.models import Weekday
from interests.enums import OrderStatus
from tests.factories import CommunityFactory, DistrictFactory, StreetFactory, TermFactory

from .helpers import category, north, orders, teacher, venue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager_celery():
    """The chord runs in this process, also when REDIS_URL is set for the PostgreSQL run (the real worker's
    test is test_fanout_worker)."""
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def _two_corners(town):
    """Yoga at community A and calligraphy at community C, 30 km apart: two independent parts."""
    yoga = category("瑜伽", min_size=3, max_size=10)
    ink = category("书法", min_size=3, max_size=10)
    a_orders = orders(5, town.a, yoga, staff=town.staff_a)
    c_orders = orders(4, town.c, ink, km=30.2)
    teacher([yoga], km=0.0, max_km=5)
    teacher([ink], km=30.0, max_km=5, windows=((Weekday.TUESDAY, time(8), time(12)),))
    venue(town.a)
    venue(town.c, hours=((Weekday.TUESDAY, time(8), time(21)),))
    return a_orders, c_orders


def _classes(run: MatchRun) -> list[tuple]:
    return sorted(
        (
            pc.category_id,
            pc.teacher_id,
            pc.venue_id,
            pc.slot.code,
            tuple(sorted(pl.order_id for pl in pc.placements.all())),
        )
        for pc in ProposedClass.objects.filter(run=run).select_related("slot").prefetch_related("placements")
    )


def _solution_classes(solution, built) -> list[tuple]:
    slot_pk = built.slot_pks
    return sorted(
        (c.category, c.teacher, c.venue, c.slot, tuple(sorted(c.orders))) for c in solution.classes if slot_pk
    )


def test_fanout_gives_the_single_process_proposal(town):
    a_orders, c_orders = _two_corners(town)
    built = build_instance(node=town.district, term=town.term)
    assert len(split(built.instance)) == 2
    alone = dispatch.match_run(node=town.district, term=town.term, time_limit=5, seed=3, dry_run=True)
    result = match_fanout(node=town.district, term=town.term, time_limit=5, seed=3, tasks=2)
    run = MatchRun.objects.get(pk=result.get())
    # One proposal for the district, the same classes as the single-process run.
    assert MatchRun.objects.count() == 1 and run.district == town.district
    assert _classes(run) == _solution_classes(alone.solution, built) != []
    assert run.orders_assigned == 9 and run.classes == 2
    assert run.assigned_weight == pytest.approx(alone.objective.weight)
    # The in-process split gives the same, and the proposal is stored the way match_run stores it.
    assert _solution_classes(solve_split(built.instance, seed=3, time_limit=5), built) == _classes(run)
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.ACCEPTED}


def test_fanout_with_one_task_or_many_is_the_same(town):
    _two_corners(town)
    one = MatchRun.objects.get(
        pk=match_fanout(node=town.district, term=town.term, time_limit=5, seed=1, tasks=1).get()
    )
    first = _classes(one)
    dispatch.run_discard(run=one, actor=None)
    many = match_fanout(node=town.district, term=town.term, time_limit=5, seed=1, tasks=8).get()
    assert _classes(MatchRun.objects.get(pk=many)) == first


def test_fanout_of_a_district_leaves_another_district_alone(town):
    _two_corners(town)
    other = CommunityFactory(
        street=StreetFactory(district=DistrictFactory(code="yubei", name="渝北区")), **north(0.3)
    )
    yoga = category("太极", min_size=3, max_size=10)
    elsewhere = orders(4, other, yoga)
    teacher([yoga], km=0.3, max_km=5)
    venue(other)
    run = MatchRun.objects.get(pk=match_fanout(node=town.district, term=town.term, time_limit=5).get())
    assert run.orders_assigned == 9
    assert not ProposedClass.objects.filter(placements__order__in=elsewhere).exists()
    assert not MatchRun.objects.filter(district=other.street.district).exists()


def test_city_fanout_gives_each_district_its_own_proposal(town):
    _two_corners(town)
    other = CommunityFactory(
        street=StreetFactory(district=DistrictFactory(code="yubei", name="渝北区", city=town.district.city)),
        **north(60),
    )
    # Terms are per district: each district's run takes its own current term.
    TermFactory(district=other.street.district, starts_on=town.term.starts_on, ends_on=town.term.ends_on)
    tai = category("太极", min_size=3, max_size=10)
    orders(4, other, tai, km=60.1)
    teacher([tai], km=60.0, max_km=5, community=other)
    venue(other)
    results = match_city_fanout(city=town.district.city, time_limit=5)
    runs = {d.pk: MatchRun.objects.get(pk=r.get()) for d, r in results}
    assert {d: r.orders_assigned for d, r in runs.items()} == {
        town.district.pk: 9,
        other.street.district_id: 4,
    }


def test_districts_built_at_once_sharing_a_teacher_the_second_gather_runs_its_district_again(town):
    """Two districts' chords built before either is stored both count on one teacher whose travel range
    crosses their border; the gather stored second meets the one-class-per-teacher-and-slot guard and runs
    its district again, which now sees the teacher taken."""
    yoga = category("瑜伽", min_size=3, max_size=10)
    yubei = DistrictFactory(code="yubei", name="渝北区", city=town.district.city)
    other = CommunityFactory(street=StreetFactory(district=yubei), **north(2))
    orders(4, town.a, yoga, staff=town.staff_a)
    orders(4, other, yoga, km=2.1)
    # Of 两江's pool, and offered to its neighbours (城市师资共享): both districts' runs may count on them.
    shared = teacher([yoga], km=1.0, max_km=10, max_weekly=1, serves_neighbouring_districts=True)
    venue(town.a)
    venue(other)
    plans = [
        fanout_plan(
            build_instance(node=d, term=town.term), actor=None, time_limit=5, seed=0, tasks=2, today=None
        )
        for d in (town.district, yubei)
    ]
    assert all(shared.pk in {t["id"] for t in plan["instance"]["teachers"]} for _b, plan in plans)
    outcomes = [
        fanout_gather(results=[solve_parts(batch, seed=0, time_limit=5) for batch in batches], plan=plan)
        for batches, plan in plans
    ]
    assert [o.run.classes for o in outcomes] == [1, 0]
    assert [o.run.district_id for o in outcomes] == [town.district.pk, yubei.pk]
    assert ProposedClass.objects.filter(teacher=shared).count() == 1
