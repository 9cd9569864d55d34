"""The star computation without a database: indicators, normalisation, weights, thresholds, no jitter."""

import pytest

from ratings import stars
from ratings.stars import Anchor, CollegeFigures, Move, Standard


def test_every_catalogue_indicator_has_a_value_and_a_pillar():
    values = stars.indicator_values(CollegeFigures())
    assert set(values) == set(stars.INDICATOR_BY_CODE)
    assert {spec.pillar for spec in stars.INDICATORS} == set(stars.Pillar)


def test_money_pillar_reads_the_ledger_with_weight():
    # The placeholder of the first standard ("funding", weight 0, no value) gave way to the fund's ledger.
    money = [spec for spec in stars.INDICATORS if spec.pillar == stars.Pillar.MONEY]
    assert [spec.code for spec in money] == ["non_fiscal_share", "budget_execution", "cost_per_hour_vs_median"]
    assert all(spec.weight > 0 for spec in money)
    assert "funding" not in stars.INDICATOR_BY_CODE
    fig = CollegeFigures(
        income_total=10_000.0, income_non_fiscal=3_000.0, budget=8_000.0, budget_spent=6_000.0,
        spending=6_000.0, participant_hours=400.0, district_median_cost=10.0,
    )
    values = stars.indicator_values(fig)
    assert values["non_fiscal_share"].value == pytest.approx(0.3)
    assert values["budget_execution"].value == pytest.approx(0.75)
    assert values["cost_per_hour_vs_median"].value == pytest.approx(1.5)  # 15 yuan an hour against 10
    assert values["cost_per_hour_vs_median"].inputs["participant_hours"] == 400.0
    # No ledger, no evidence: no value, as for every other indicator.
    empty = stars.indicator_values(CollegeFigures())
    assert [empty[spec.code].value for spec in money] == [None, None, None]


def test_cost_per_hour_needs_hours_spending_and_a_district_median():
    assert stars.indicator_values(CollegeFigures(spending=100.0, district_median_cost=5.0))["cost_per_hour_vs_median"].value is None
    assert stars.indicator_values(CollegeFigures(spending=100.0, participant_hours=10.0))["cost_per_hour_vs_median"].value is None
    cheaper = stars.indicator_values(CollegeFigures(spending=50.0, participant_hours=10.0, district_median_cost=10.0))
    assert cheaper["cost_per_hour_vs_median"].value == pytest.approx(0.5)


def test_indicator_values_on_constructed_figures():
    fig = CollegeFigures(
        population=8_000,
        weekly_open_hours=40.0,
        month_open_hours=160.0,
        booked_hours=40.0,
        active_teacher_ids=frozenset({1, 2, 3}),
        teacher_scores={1: 4.0, 2: 5.0, 9: 1.0},  # 3 has too few ratings; 9 did not teach here
        pool_teachers=4,
        categories_offered=5,
        orders_considered=10,
        orders_dispatched=4,
        hours_to_accept=(1.0, 3.0, 10.0),
        hours_to_dispatch=(10.0, 20.0, 30.0, 50.0),
        active_residents=40,
        attendance_records=50,
        attendance_present=45,
        ratings_count=4,
        ratings_sum=18,
        policy_talks=2,
        groups_active=7,
    )
    v = {code: value.value for code, value in stars.indicator_values(fig).items()}
    assert v["venue_hours_per_1000"] == pytest.approx(5.0)  # 40 / 8000 × 1000
    assert v["venue_utilisation"] == pytest.approx(0.25)  # 40 / 160
    assert v["active_teachers"] == 3
    assert v["teacher_rating"] == pytest.approx(4.5)  # mean of 4.0 and 5.0
    assert v["teachers_per_1000"] == pytest.approx(0.5)
    assert v["categories_offered"] == 5
    assert v["orders_dispatched_share"] == pytest.approx(0.4)
    assert v["median_hours_to_accept"] == pytest.approx(3.0)
    assert v["median_hours_to_dispatch"] == pytest.approx(25.0)  # (20 + 30) / 2
    assert v["participation_per_1000"] == pytest.approx(5.0)
    assert v["attendance_rate"] == pytest.approx(0.9)
    assert v["satisfaction"] == pytest.approx(4.5)
    assert v["policy_talks"] == 2
    assert v["groups_active"] == 7


def test_no_evidence_gives_no_value():
    v = {code: value.value for code, value in stars.indicator_values(CollegeFigures()).items()}
    for code in ("venue_hours_per_1000", "venue_utilisation", "teacher_rating", "teachers_per_1000",
                 "orders_dispatched_share", "median_hours_to_accept", "participation_per_1000", "attendance_rate",
                 "satisfaction"):
        assert v[code] is None, code


def test_utilisation_is_capped_at_one():
    fig = CollegeFigures(month_open_hours=10, booked_hours=25)
    assert stars.indicator_values(fig)["venue_utilisation"].value == 1.0


@pytest.mark.parametrize(
    ("value", "worst", "best", "expected"),
    [
        (5, 0, 10, 0.5),
        (-3, 0, 10, 0.0),
        (12, 0, 10, 1.0),
        (None, 0, 10, 0.0),
        # Less is better: 4 hours scores full marks, a week none.
        (4, 168, 4, 1.0),
        (86, 168, 4, 0.5),
        (500, 168, 4, 0.0),
    ],
)
def test_normalise(value, worst, best, expected):
    assert stars.normalise(value, worst=worst, best=best) == pytest.approx(expected)


def test_score_is_the_weighted_share_of_points():
    standard = Standard(
        anchors={"satisfaction": Anchor(3, 3.0, 5.0), "policy_talks": Anchor(1, 0, 4), "budget_execution": Anchor(0, 0, 1)}
    )
    breakdown = stars.score_indicators({"satisfaction": 4.0, "policy_talks": 4, "budget_execution": 0.9}, standard)
    points = {c.code: c.points for c in breakdown.contributions}
    # satisfaction: half of weight 3; talks: all of weight 1; out of 4 → (1.5 + 1) / 4 = 62.5
    assert points["satisfaction"] == pytest.approx(37.5)
    assert points["policy_talks"] == pytest.approx(25.0)
    assert points["budget_execution"] == 0  # weight 0: shown, worth nothing, whatever its value
    assert points["attendance_rate"] == 0  # not in this standard: listed, worth nothing
    assert breakdown.score == pytest.approx(62.5)
    assert breakdown.by_pillar()["results"] == pytest.approx(62.5)


def test_changing_a_weight_changes_the_score():
    values = {"satisfaction": 5.0, "policy_talks": 0}
    equal = Standard(anchors={"satisfaction": Anchor(1, 3, 5), "policy_talks": Anchor(1, 0, 4)})
    heavy = Standard(anchors={"satisfaction": Anchor(3, 3, 5), "policy_talks": Anchor(1, 0, 4)})
    assert stars.score_indicators(values, equal).score == pytest.approx(50.0)
    assert stars.score_indicators(values, heavy).score == pytest.approx(75.0)


def test_full_marks_everywhere_is_a_hundred():
    standard = Standard.default()
    values = {code: a.best for code, a in standard.anchors.items()}
    assert stars.score_indicators(values, standard).score == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0, 1), (39.99, 1), (40, 2), (54.9, 2), (55, 3), (70, 4), (84.99, 4), (85, 5), (100, 5)],
)
def test_thresholds(score, expected):
    assert stars.stars_for_score(score, (40, 55, 70, 85)) == expected


def test_thresholds_validation():
    assert stars.thresholds_valid((40, 55, 70, 85))
    assert not stars.thresholds_valid((40, 40, 70, 85))
    assert not stars.thresholds_valid((40, 55, 70))
    assert not stars.thresholds_valid((40, 55, 70, 101))


@pytest.mark.parametrize(
    ("current", "target", "previous_target", "expected"),
    [
        (3, 3, None, (3, Move.SAME)),
        (3, 4, None, (4, Move.UP)),
        (3, 5, 5, (4, Move.UP)),  # at most one level up a period
        (1, 5, None, (2, Move.UP)),
        (3, 2, None, (3, Move.HELD)),  # first period below (or unknown before): no drop
        (3, 2, 3, (3, Move.HELD)),  # previous period was at the level
        (3, 2, 4, (3, Move.HELD)),
        (3, 2, 2, (2, Move.DOWN)),  # second period in a row below: one level down
        (3, 1, 1, (2, Move.DOWN)),  # never more than one level down
        (5, 1, 2, (4, Move.DOWN)),
        (5, 5, 1, (5, Move.SAME)),
    ],
)
def test_next_level_moves_without_jitter(current, target, previous_target, expected):
    assert stars.next_level(current=current, target=target, previous_target=previous_target) == expected


def test_a_score_bouncing_around_a_threshold_does_not_make_the_stars_jitter():
    """Targets alternating 3, 2, 3, 2 … keep the level at 3: a drop needs two periods in a row below."""
    level, previous = 3, None
    for target in (2, 3, 2, 3, 2, 3):
        level, _move = stars.next_level(current=level, target=target, previous_target=previous)
        previous = target
        assert level == 3


def test_a_sustained_fall_drops_one_level_per_period_after_the_first():
    level, previous, levels = 5, None, []
    for target in (1, 1, 1, 1, 1):
        level, _move = stars.next_level(current=level, target=target, previous_target=previous)
        previous = target
        levels.append(level)
    assert levels == [5, 4, 3, 2, 1]


def test_median():
    assert stars.median([]) is None
    assert stars.median([3]) == 3
    assert stars.median([5, 1, 3]) == 3
    assert stars.median([4, 1, 3, 2]) == 2.5
