"""The money pillar of the star rating, computed from the ledger by the monthly star computation."""

import datetime as dt

import pytest
from django.utils import timezone

from activities.enums import SessionStatus
from dashboards.selectors import college_figures
from funds import services
from funds.enums import DonorKind, Source, Use
from ratings import stars
from tests.factories.activities import AttendanceFactory, CourseFactory, SessionFactory

from .conftest import png

pytestmark = pytest.mark.django_db


def test_money_indicators_from_the_ledger(college, other, staff, staff2, other_staff, term):
    services.income_record(college=college, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政", amount="3000", actor=staff)
    services.income_record(college=college, source=Source.ALLOCATED, donor_kind=DonorKind.UNIT, donor_name="物业", amount="1000", actor=staff)
    services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="2000", actor=staff)
    services.expense_approve(
        expense=services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="400", description="纸", actor=staff, receipt=png()),
        actor=staff2,
    )
    services.income_record(college=other, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政", amount="500", actor=other_staff)
    services.budget_set(college=other, term=term, use=Use.EVENTS, amount="1000", actor=other_staff)
    services.expense_approve(
        expense=services.expense_request(college=other, term=term, use=Use.EVENTS, amount="300", description="展演", actor=other_staff, receipt=png()),
        actor=other_staff,
    )
    start = timezone.now() - dt.timedelta(days=2)
    # college: 10 participant-hours (400 yuan → 40/h); other: 30 participant-hours (300 yuan → 10/h).
    for c, people, hours in ((college, 5, 2), (other, 10, 3)):
        session = SessionFactory(course=CourseFactory(community=c.community), starts_at=start, ends_at=start + dt.timedelta(hours=hours), status=SessionStatus.HELD)
        for _ in range(people):
            AttendanceFactory(session=session)
    _, figures = college_figures(period=timezone.localdate().replace(day=1), now=timezone.now())
    mine = stars.indicator_values(figures[college.pk])
    theirs = stars.indicator_values(figures[other.pk])
    assert mine["non_fiscal_share"].value == pytest.approx(0.25)
    assert mine["budget_execution"].value == pytest.approx(0.2)
    # The district median of 40/h and 10/h is 25/h.
    assert mine["cost_per_hour_vs_median"].value == pytest.approx(40 / 25)
    assert theirs["cost_per_hour_vs_median"].value == pytest.approx(10 / 25)
    assert theirs["non_fiscal_share"].value == 0
    breakdown = stars.score_indicators({k: v.value for k, v in theirs.items()}, stars.Standard.default())
    money_points = breakdown.by_pillar()["money"]
    assert money_points > 0  # the cheaper college earns money points (budget execution and cost)
