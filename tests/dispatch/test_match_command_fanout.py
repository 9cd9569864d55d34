"""`manage.py match --fanout`: the run goes through the Celery fan-out (a district's, or each district's of a
city) and stores the same proposal as the one-process command on the same instance and seed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from activities.dispatch import service as dispatch
from activities.dispatch.build import build_instance
from activities.models import MatchRun
from tests.factories import CommunityFactory, DistrictFactory, StreetFactory, TermFactory

from .helpers import category, north, orders, teacher, venue
from .test_fanout import _classes, _eager_celery, _solution_classes, _two_corners  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db


def _match(*args) -> str:
    out = StringIO()
    call_command("match", *args, stdout=out)
    return out.getvalue()


def test_fanout_stores_the_one_process_proposal(town):
    _two_corners(town)
    built = build_instance(node=town.district, term=town.term)
    alone = dispatch.match_run(node=town.district, term=town.term, time_limit=5, seed=3, dry_run=True)

    out = _match(
        "--scope",
        "district",
        "--node",
        str(town.district.pk),
        "--fanout",
        "--tasks",
        "2",
        "--time-limit",
        "5",
        "--seed",
        "3",
    )

    run = MatchRun.objects.get()
    assert f"Run #{run.pk}" in out and "9 of 9 orders in 2 classes" in out
    assert _classes(run) == _solution_classes(alone.solution, built) != []
    assert (run.seed, run.time_limit, run.district_id) == (3, 5.0, town.district.pk)


def test_fanout_of_one_street_leaves_the_other_streets_orders_alone(town):
    a_orders, c_orders = _two_corners(town)
    _match("--scope", "street", "--node", str(town.street.pk), "--fanout", "--time-limit", "5")
    run = MatchRun.objects.get()
    assert (run.street_id, run.orders_total, run.orders_assigned) == (town.street.pk, len(a_orders), 5)
    assert not any(o.placements.exists() for o in c_orders)


def test_replace_goes_through_the_fanout_too(town):
    _two_corners(town)
    _match("--scope", "district", "--fanout", "--time-limit", "5")
    again = _match("--scope", "district", "--fanout", "--time-limit", "5")
    # Everything is held by the first proposal: the second run finds nothing to place.
    assert "0 of 0 orders" in again
    replaced = _match("--scope", "district", "--fanout", "--time-limit", "5", "--replace")
    assert "9 of 9 orders in 2 classes" in replaced
    assert MatchRun.objects.count() == 3


def test_city_fanout_stores_one_run_per_district(town):
    _two_corners(town)
    other = CommunityFactory(
        street=StreetFactory(district=DistrictFactory(code="yubei", name="渝北区", city=town.district.city)),
        **north(60),
    )
    TermFactory(district=other.street.district, starts_on=town.term.starts_on, ends_on=town.term.ends_on)
    tai = category("太极", min_size=3, max_size=10)
    orders(4, other, tai, km=60.1)
    teacher([tai], km=60.0, max_km=5, community=other)
    venue(other)

    out = _match("--scope", "city", "--node", town.district.city.code, "--fanout", "--time-limit", "5")

    runs = {r.district_id: r.orders_assigned for r in MatchRun.objects.all()}
    assert runs == {town.district.pk: 9, other.street.district_id: 4}
    assert out.count("Run #") == 2


def test_no_wait_prints_the_gather_tasks_and_returns(town):
    _two_corners(town)
    out = _match("--scope", "district", "--fanout", "--no-wait", "--time-limit", "5")
    assert out.startswith(f"{town.district}: gather task ") and "Run #" not in out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--greedy"], "--greedy cannot go with --fanout"),
        (["--dry-run", "--export", "x.json"], "--dry-run, --export cannot go with --fanout"),
        (["--tasks", "0"], "--tasks must be at least 1"),
    ],
)
def test_options_a_fanout_cannot_honour_are_refused(town, extra, message):
    _two_corners(town)
    with pytest.raises(CommandError, match=message):
        _match("--scope", "district", "--fanout", *extra)
    assert not MatchRun.objects.exists()


def test_city_scope_and_no_wait_need_fanout(town):
    with pytest.raises(CommandError, match="--scope city goes with --fanout"):
        _match("--scope", "city")
    with pytest.raises(CommandError, match="--no-wait goes with --fanout"):
        _match("--scope", "district", "--no-wait")
    with pytest.raises(CommandError, match="No city has"):
        _match("--scope", "city", "--node", "nowhere", "--fanout")
