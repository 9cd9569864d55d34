"""The rounding of the figures recorded beside each indicator (tests/ratings/test_stars_inputs.py has the rest).

Every input here has more decimals than are kept, so any money or hours figure rounded otherwise changes the
record; and a college without a district median records 0. Found by mutation testing (issue 23).
"""

from ratings import stars
from ratings.stars import CollegeFigures

FIGURES = CollegeFigures(
    population=8_001,
    weekly_open_hours=40.123,
    month_open_hours=160.456,
    booked_hours=40.789,
    active_teacher_ids=frozenset({1, 2, 3}),
    teacher_scores={1: 4.0, 2: 5.0, 9: 1.0},  # 3 has too few ratings; 9 did not teach here
    pool_teachers=4,
    categories_offered=5,
    orders_considered=10,
    orders_dispatched=6,
    hours_to_accept=(1.0, 3.0, 10.0),
    hours_to_dispatch=(10.0, 20.0, 30.0, 50.0),
    active_residents=41,
    attendance_records=50,
    attendance_present=45,
    ratings_count=4,
    ratings_sum=18,
    policy_talks=2,
    groups_active=7,
    income_total=10_000.126,
    income_non_fiscal=3_000.234,
    budget=8_000.345,
    budget_spent=6_000.456,
    spending=6_000.567,
    participant_hours=400.46,
    district_median_cost=10.556,
    matters_due=9,
    matters_on_time=8,
    showcases_held=3,
)

INPUTS = {
    "venue_hours_per_1000": {"weekly_open_hours": 40.12, "population": 8_001},
    "venue_utilisation": {"booked_hours": 40.79, "open_hours": 160.46},
    "active_teachers": {"teachers": 3},
    "teacher_rating": {"teachers_rated": 2, "active_teachers": 3},
    "teachers_per_1000": {"pool_teachers": 4, "population": 8_001},
    "categories_offered": {"interests": 5},
    "orders_dispatched_share": {"dispatched": 6, "orders": 10},
    "median_hours_to_accept": {"orders": 3},
    "median_hours_to_dispatch": {"orders": 4},
    "non_fiscal_share": {"non_fiscal_yuan": 3_000.23, "income_yuan": 10_000.13},
    "budget_execution": {"spent_yuan": 6_000.46, "budget_yuan": 8_000.35},
    "cost_per_hour_vs_median": {
        "spending_yuan": 6_000.57,
        "participant_hours": 400.5,
        "district_median_yuan_per_hour": 10.56,
    },
    "participation_per_1000": {"active_residents": 41, "population": 8_001},
    "attendance_rate": {"present": 45, "records": 50},
    "satisfaction": {"ratings": 4, "stars": 18},
    "policy_talks": {"talks": 2},
    "groups_active": {"groups": 7},
    "matters_answered_on_time": {"on_time": 8, "due": 9},
    "showcases_held": {"showcases": 3},
}


def test_every_indicator_records_the_figures_it_was_computed_from():
    values = stars.indicator_values(FIGURES)
    assert {code: value.inputs for code, value in values.items()} == INPUTS


def test_without_a_district_median_the_record_says_zero_and_there_is_no_value():
    value = stars.indicator_values(CollegeFigures(spending=100.0, participant_hours=10.0))[
        "cost_per_hour_vs_median"
    ]
    assert value.value is None
    assert value.inputs == {
        "spending_yuan": 100.0,
        "participant_hours": 10.0,
        "district_median_yuan_per_hour": 0,
    }
