"""The inputs recorded beside each indicator: the figures the college page shows to explain a score.

Every figure is distinct (and none is the value of another), so a dropped, renamed or swapped input, a
rounding lost, or an indicator computed from the wrong figure fails here.
"""

from datetime import date

import pytest

from ratings import stars
from ratings.stars import Anchor, CollegeFigures, Standard

FIGURES = CollegeFigures(
    population=7_919,
    weekly_open_hours=41.257,
    month_open_hours=163.333,
    booked_hours=37.125,
    active_teacher_ids=frozenset({11, 12, 13, 14}),
    teacher_scores={11: 4.2, 12: 4.8, 13: 3.9, 99: 1.0},  # 14 has too few ratings; 99 taught elsewhere
    pool_teachers=6,
    categories_offered=9,
    orders_considered=17,
    orders_dispatched=5,
    hours_to_accept=(30.0, 2.0, 7.0, 8.0, 1.0),
    hours_to_dispatch=(100.0, 300.0, 200.0, 500.0),
    active_residents=43,
    attendance_records=61,
    attendance_present=52,
    ratings_count=19,
    ratings_sum=83,
    policy_talks=3,
    groups_active=21,
    income_total=12_345.678,
    income_non_fiscal=4_321.125,
    budget=9_000.0,
    budget_spent=6_543.219,
    spending=7_777.777,
    participant_hours=123.45,
    district_median_cost=50.5,
    matters_due=13,
    matters_on_time=8,
    showcases_held=27,
)


def test_every_indicator_records_the_figures_it_was_computed_from():
    inputs = {code: value.inputs for code, value in stars.indicator_values(FIGURES).items()}
    assert inputs == {
        "venue_hours_per_1000": {"weekly_open_hours": 41.26, "population": 7_919},
        "venue_utilisation": {"booked_hours": 37.12, "open_hours": 163.33},
        "active_teachers": {"teachers": 4},
        "teacher_rating": {"teachers_rated": 3, "active_teachers": 4},
        "teachers_per_1000": {"pool_teachers": 6, "population": 7_919},
        "categories_offered": {"interests": 9},
        "orders_dispatched_share": {"dispatched": 5, "orders": 17},
        "median_hours_to_accept": {"orders": 5},
        "median_hours_to_dispatch": {"orders": 4},
        "non_fiscal_share": {"non_fiscal_yuan": 4_321.12, "income_yuan": 12_345.68},
        "budget_execution": {"spent_yuan": 6_543.22, "budget_yuan": 9_000.0},
        "cost_per_hour_vs_median": {
            "spending_yuan": 7_777.78,
            "participant_hours": 123.5,
            "district_median_yuan_per_hour": 50.5,
        },
        "participation_per_1000": {"active_residents": 43, "population": 7_919},
        "attendance_rate": {"present": 52, "records": 61},
        "satisfaction": {"ratings": 19, "stars": 83},
        "policy_talks": {"talks": 3},
        "groups_active": {"groups": 21},
        "matters_answered_on_time": {"on_time": 8, "due": 13},
        "showcases_held": {"showcases": 27},
    }


def test_every_indicator_value_comes_from_its_own_figures():
    values = {code: value.value for code, value in stars.indicator_values(FIGURES).items()}
    assert values == {
        "venue_hours_per_1000": pytest.approx(41.257 / 7_919 * 1000),
        "venue_utilisation": pytest.approx(37.125 / 163.333),
        "active_teachers": 4.0,
        "teacher_rating": pytest.approx((4.2 + 4.8 + 3.9) / 3),
        "teachers_per_1000": pytest.approx(6 / 7_919 * 1000),
        "categories_offered": 9.0,
        "orders_dispatched_share": pytest.approx(5 / 17),
        "median_hours_to_accept": 7.0,
        "median_hours_to_dispatch": 250.0,
        "non_fiscal_share": pytest.approx(4_321.125 / 12_345.678),
        "budget_execution": pytest.approx(6_543.219 / 9_000.0),
        "cost_per_hour_vs_median": pytest.approx(7_777.777 / 123.45 / 50.5),
        "participation_per_1000": pytest.approx(43 / 7_919 * 1000),
        "attendance_rate": pytest.approx(52 / 61),
        "satisfaction": pytest.approx(83 / 19),
        "policy_talks": 3.0,
        "groups_active": 21.0,
        "matters_answered_on_time": pytest.approx(8 / 13),
        "showcases_held": 27.0,
    }
    assert all(type(v) is float for v in values.values() if v is not None)


def test_no_population_or_hours_gives_no_value_but_keeps_the_inputs():
    fig = CollegeFigures(weekly_open_hours=12.0, booked_hours=3.0, pool_teachers=2, active_residents=5)
    out = stars.indicator_values(fig)
    assert [out[c].value for c in ("venue_hours_per_1000", "venue_utilisation", "teachers_per_1000")] == [None] * 3
    assert out["venue_utilisation"].inputs == {"booked_hours": 3.0, "open_hours": 0.0}
    assert out["teacher_rating"].value is None
    assert out["median_hours_to_accept"].value is None


def test_utilisation_over_the_opening_hours_is_one():
    out = stars.indicator_values(CollegeFigures(month_open_hours=10.0, booked_hours=12.5))
    assert out["venue_utilisation"].value == 1.0
    assert out["venue_utilisation"].inputs == {"booked_hours": 12.5, "open_hours": 10.0}


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), ([4.0], 4.0), ([5, 1], 3.0), ([9, 1, 5], 5.0), ([8, 2, 6, 4], 5.0), ([3, 1, 2, 10, 4], 3.0)],
)
def test_median_of_unsorted_values(values, expected):
    result = stars.median(values)
    assert result == expected
    assert result is None or type(result) is float


def test_ratio_scales_and_refuses_a_zero_denominator():
    assert stars._ratio(3, 4) == 0.75
    assert stars._ratio(3, 4, 1000) == 750.0
    assert stars._ratio(3, 0, 1000) is None


@pytest.mark.parametrize(
    ("value", "worst", "best", "expected"),
    [
        (None, 0, 10, 0.0),
        (5, 3, 3, 0.0),  # anchors equal: no scale
        (5, 0, 10, 0.5),
        (-1, 0, 10, 0.0),
        (12, 0, 10, 1.0),
        (10, 0, 10, 1.0),
        (0, 0, 10, 0.0),
        (86, 168, 4, 0.5),  # less is better
    ],
)
def test_normalise_edges(value, worst, best, expected):
    assert stars.normalise(value, worst=worst, best=best) == expected


def test_score_lists_every_indicator_with_its_part():
    standard = Standard(
        anchors={"active_teachers": Anchor(3.0, 0, 4), "groups_active": Anchor(1.0, 0, 10), "non_fiscal_share": Anchor(-5.0, 0, 1)}
    )
    breakdown = stars.score_indicators({"active_teachers": 2.0, "groups_active": 30.0, "non_fiscal_share": 1.0}, standard)
    parts = {c.code: (c.value, c.weight, c.normalised, c.points) for c in breakdown.contributions}
    assert [c.code for c in breakdown.contributions] == [s.code for s in stars.INDICATORS]
    # Total weight 4 (a negative weight counts as 0): 3 × 0.5 and 1 × 1 of 4, in points of 100.
    assert parts["active_teachers"] == (2.0, 3.0, 0.5, pytest.approx(37.5))
    assert parts["groups_active"] == (30.0, 1.0, 1.0, pytest.approx(25.0))
    assert parts["non_fiscal_share"] == (1.0, 0.0, 1.0, 0.0)
    assert parts["satisfaction"] == (None, 0.0, 0.0, 0.0)
    assert breakdown.score == 62.5
    assert breakdown.by_pillar() == {
        "place": 0.0,
        "teachers": pytest.approx(37.5),
        "classes": 0.0,
        "money": 0.0,
        "results": pytest.approx(25.0),
    }


def test_score_places_an_indicator_the_standard_leaves_out_on_the_catalogues_anchors():
    """Listed with the catalogue's anchors (satisfaction: 3.0 to 4.8) and weight 0: shown, never counted."""
    standard = Standard(anchors={"groups_active": Anchor(1.0, 0, 10)})
    breakdown = stars.score_indicators({"groups_active": 5.0, "satisfaction": 3.9}, standard)
    part = next(c for c in breakdown.contributions if c.code == "satisfaction")
    assert (part.value, part.weight, part.normalised, part.points) == (3.9, 0.0, pytest.approx(0.5), 0.0)
    assert breakdown.score == 50.0


def test_score_with_no_weight_at_all_is_zero():
    breakdown = stars.score_indicators({"groups_active": 30.0}, Standard(anchors={"groups_active": Anchor(0.0, 0, 10)}))
    assert breakdown.score == 0.0
    assert {c.points for c in breakdown.contributions} == {0.0}


def test_score_is_rounded_to_six_places():
    standard = Standard(anchors={"groups_active": Anchor(1.0, 0, 3), "policy_talks": Anchor(2.0, 0, 3)})
    breakdown = stars.score_indicators({"groups_active": 1.0, "policy_talks": 1.0}, standard)
    assert breakdown.score == 33.333333


def test_default_standard_mirrors_the_catalogue():
    default = Standard.default()
    assert default.name == "default"
    assert default.thresholds == stars.DEFAULT_THRESHOLDS
    assert default.anchors == {s.code: Anchor(s.weight, s.worst, s.best) for s in stars.INDICATORS}


@pytest.mark.parametrize(
    ("thresholds", "valid"),
    [
        ((40, 55, 70, 85), True),
        ((0, 1, 2, 100), True),
        ((40, 55, 70), False),
        ((40, 55, 70, 85, 95), False),
        ((40, 40, 70, 85), False),
        ((40, 55, 85, 70), False),
        ((-1, 55, 70, 85), False),
        ((40, 55, 70, 101), False),
    ],
)
def test_thresholds_valid_edges(thresholds, valid):
    assert stars.thresholds_valid(thresholds) is valid


@pytest.mark.parametrize(("score", "level"), [(0, 1), (39.99, 1), (40, 2), (55, 3), (84.9, 4), (85, 5), (100, 5)])
def test_stars_for_score_at_the_thresholds(score, level):
    assert stars.stars_for_score(score, stars.DEFAULT_THRESHOLDS) == level


@pytest.mark.parametrize(
    ("current", "target", "previous", "expected"),
    [
        (0, 1, None, (1, stars.Move.SAME)),  # clamped up to one star
        (7, 5, 5, (5, stars.Move.SAME)),  # clamped down to five
        (7, 1, 1, (4, stars.Move.DOWN)),
        (3, 3, 1, (3, stars.Move.SAME)),
        (3, 2, 3, (3, stars.Move.HELD)),  # the previous target was not below
    ],
)
def test_next_level_clamps_the_current_level(current, target, previous, expected):
    assert stars.next_level(current=current, target=target, previous_target=previous) == expected


@pytest.mark.parametrize(
    ("day", "start", "following", "before"),
    [
        (date(2026, 1, 31), date(2026, 1, 1), date(2026, 2, 1), date(2025, 12, 1)),
        (date(2026, 3, 1), date(2026, 3, 1), date(2026, 4, 1), date(2026, 2, 1)),
        (date(2026, 12, 15), date(2026, 12, 1), date(2027, 1, 1), date(2026, 11, 1)),
    ],
)
def test_periods(day, start, following, before):
    assert stars.month_start(day) == start
    assert stars.next_month(day) == following
    assert stars.previous_month(day) == before
