"""The governance indicator of the star rating: matters answered on time, per community."""

from __future__ import annotations

from datetime import date, datetime

from dashboards import services as dashboard_services
from dashboards.selectors import college_figures
from ratings import stars
from tests.factories.accounts import CollegeFactory

from .conftest import SHANGHAI


def test_matters_answered_on_time_feeds_the_indicator(world, clock):
    home_college = CollegeFactory(community=world.home)
    other_college = CollegeFactory(community=world.other)
    clock.set("2026-09-01 09:00")
    on_time = world.raise_matter("按时")
    late = world.raise_matter("超时", resident=world.residents[1])
    world.raise_matter("未答", resident=world.residents[2])  # due 8 September, still unanswered: late
    world.raise_matter("别处", resident=world.neighbours[0])  # the other community
    from consultation import services

    clock.set("2026-09-03 09:00")
    services.matter_answer(matter=on_time, actor=world.staff, answer="已处理")
    clock.set("2026-09-20 09:00")
    services.matter_to_deliberation(matter=late, actor=world.staff)
    clock.set("2026-10-05 09:00")
    _colleges, figures = college_figures(period=date(2026, 9, 1), now=datetime(2026, 10, 5, tzinfo=SHANGHAI))
    home = figures[home_college.pk]
    assert (home.matters_due, home.matters_on_time) == (3, 1)
    assert stars.indicator_values(home)["matters_answered_on_time"].value == 1 / 3
    other = figures[other_college.pk]
    assert (other.matters_due, other.matters_on_time) == (1, 0)
    # The default standard carries the indicator with weight 0: shown, not counted, until the district weighs it.
    standard = dashboard_services.standard_in_force(period=date(2026, 9, 1)).as_standard()
    assert standard.anchors["matters_answered_on_time"].weight == 0
