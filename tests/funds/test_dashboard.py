"""The district's funds dashboard and the API: scoped, figures from the ledger, queries independent of size."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.enums import Role
from activities.enums import SessionStatus
from funds import services
from funds.enums import DonorKind, PaymentMethod, Source, Use
from tests.factories.accounts import StaffFactory
from tests.factories.activities import AttendanceFactory, CourseFactory, SessionFactory

from .conftest import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def money(college, other, staff, staff2, other_staff, term, resident):
    services.income_record(college=college, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政", amount="6000", actor=staff)
    services.income_record(college=college, source=Source.ALLOCATED, donor_kind=DonorKind.DEPARTMENT, donor_name="文旅局", amount="2000", actor=staff)
    campaign = services.campaign_create(college=college, title="买琴", purpose="琴", use=Use.EQUIPMENT, target="5000", deadline=term.ends_on, actor=staff)
    services.pledge_receive(pledge=services.pledge_create(campaign=campaign, amount="2000", pledger=resident), actor=staff, method=PaymentMethod.CASH)
    services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="4000", actor=staff)
    expense = services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="1000", description="材料", actor=staff, receipt=png())
    services.expense_approve(expense=expense, actor=staff2)
    services.income_record(college=other, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政", amount="3000", actor=other_staff)
    # 20 participant-hours at a held session of `college`: 10 residents × 2 hours.
    start = timezone.now() - dt.timedelta(days=3)
    session = SessionFactory(course=CourseFactory(community=college.community), starts_at=start, ends_at=start + dt.timedelta(hours=2), status=SessionStatus.HELD)
    for _ in range(10):
        AttendanceFactory(session=session)


def test_funds_dashboard_for_the_district(client, district_officer, money, college, other):
    client.force_login(district_officer)
    with translation.override("en"):  # the cards are named by their English labels below
        response = client.get(reverse("dashboards:funds"), headers={"Accept-Language": "en"})
        assert response.status_code == 200
        cards = {str(c.label): c.value for c in response.context["page"].cards}
    assert cards["Income"] == "¥13,000"
    assert cards["Not from the fiscal budget"] == "30.8 %"  # 4,000 of 13,000
    assert cards["Budget execution"] == "25.0 %"
    assert cards["Cost per participant-hour"] == "¥50"  # 1,000 ÷ 20
    rows = response.context["page"].tables[0].rows
    assert len(rows) == 2


def test_funds_dashboard_is_scoped(client, staff, money, college, other):
    client.force_login(staff)
    with translation.override("en"):
        page = client.get(reverse("dashboards:funds"), headers={"Accept-Language": "en"}).context["page"]
        assert [row[1] for row in page.tables[0].rows] == [college.community.name]
        assert {str(c.label): c.value for c in page.cards}["Income"] == "¥10,000"


def test_funds_dashboard_refuses_residents_and_anonymous(client, resident, money):
    url = reverse("dashboards:funds")
    assert client.get(url).status_code == 302
    client.force_login(resident)
    assert client.get(url).status_code == 403


def test_funds_dashboard_export_and_api(client, district_officer, money):
    client.force_login(district_officer)
    assert client.get(reverse("dashboards:funds_xlsx"))["Content-Type"].startswith("application/vnd.openxmlformats")
    body = client.get("/api/v1/district/dashboards/funds/").json()
    assert body["cards"][0]["value"] == "¥13,000"


def test_funds_dashboard_queries_do_not_grow_with_postings(client, district_officer, money, college, staff):
    client.force_login(district_officer)
    url = reverse("dashboards:funds")

    def cold():
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as counted:
            client.get(url)
        return len(counted.captured_queries)

    cold()  # the first request of a session pays for things that are not the page's (the session, last login)
    before = cold()
    for _ in range(5):
        services.income_record(college=college, source=Source.FISCAL, donor_kind=DonorKind.GOVERNMENT, donor_name="区财政", amount="1", actor=staff)
    assert cold() == before


def test_street_staff_see_their_street(client, money, college):
    street_staff = StaffFactory(role=Role.STREET_STAFF, street=college.community.street)
    client.force_login(street_staff)
    page = client.get(reverse("dashboards:funds")).context["page"]
    assert [row[1] for row in page.tables[0].rows] == [college.community.name]
