"""What the pages show, and that the .xlsx exports hold the same tables."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.enums import Role
from accounts.models import College
from dashboards import services
from interests.enums import OrderStatus
from ratings import stars
from tests.factories import (
    CategoryFactory,
    OrderFactory,
    ResidentFactory,
    StaffFactory,
    TeacherFactory,
    TeacherSkillFactory,
)

from .conftest import populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    populate(world.a1, units=2)
    populate(world.b1, units=1)
    services.rollups_refresh()
    return world


def cards(response) -> dict[str, str]:
    return {card.label: card.value for card in response.context["page"].cards}


def table(response, key):
    return next(t for t in response.context["page"].tables if t.key == key)


def test_overview_figures(data, login):
    response = login(data.district_office).get(reverse("dashboards:overview"))
    shown = cards(response)
    # a1: 2 units × (3 raters + 3 orderers) + the world's resident; b1: 1 × 6.
    assert shown["Residents reached"] == "19"
    assert shown["Active residents"] == "6"  # each session has one absent of three
    assert shown["Active interest groups"] == "3"
    assert shown["Orders (点单)"] == "9"
    assert shown["Satisfaction"] == f"{(4 + 5 + 4) * 3 / 9:.2f} ★"
    assert shown["Policy talks held"] == "3"
    funnel = table(response, "funnel").rows
    assert [row[1] for row in funnel[:4]] == [9, 6, 3, 3]
    assert funnel[1][2] == pytest.approx(6 / 9)  # conversion 点单 → 接单
    assert funnel[1][3] == pytest.approx(6.0)  # median of 10 h, 2 h (three of each) → 6 h
    assert funnel[2][3] == pytest.approx(48.0)
    charts = response.context["page"].charts
    assert [d["value"] for d in charts["funnel"]["series"][0]["data"]] == [9, 6, 3, 3]
    assert b'id="dashboard-charts"' in response.content
    assert b"vendor/echarts-5.6.0/echarts.min.js" in response.content


def test_category_filter_narrows_to_the_interest_and_below(data, login):
    parent = CategoryFactory(name="体育")
    child = CategoryFactory(name="太极拳", parent=parent)
    OrderFactory(resident=ResidentFactory(profile__community=data.a1), category=child)
    response = login(data.district_office).get(reverse("dashboards:demand"), {"category": parent.pk})
    rows = table(response, "interests").rows
    assert [(row[0], row[1], row[2]) for row in rows] == [("体育", "太极拳", 1)]


def test_demand_shows_unmet_orders_and_teachers_of_the_skill(data, login):
    category = CategoryFactory(name="书法")
    for _ in range(3):  # populate's interests have two unmet orders each: this one comes first
        OrderFactory(resident=ResidentFactory(profile__community=data.a2), category=category,
                     submitted_at=timezone.now() - timedelta(days=10))
    TeacherSkillFactory(teacher=TeacherFactory(), category=category)
    response = login(data.district_office).get(reverse("dashboards:demand"))
    first = table(response, "interests").rows[0]
    assert (first[1], first[2], first[6]) == ("书法", 3, 1)
    assert first[3] == pytest.approx(10, abs=0.01)
    heat = response.context["page"].charts["heatmap"]
    assert "书法" in heat["yAxis"]["data"] and "甲二社区" in heat["xAxis"]["data"]
    # No run has left these orders out.
    assert any("has left none" in note for note in response.context["page"].notes)


def test_venues_utilisation(data, login):
    response = login(data.district_office).get(reverse("dashboards:venues"), {"period": "week"})
    rows = {row[0]: row for row in table(response, "streets").rows}
    # Street A: two venues open 4 h on Mondays; one Monday in any 7 days → 8 h, 1.5 h booked per venue.
    weekly, period_hours, booked = rows["A街道"][2:5]
    assert weekly == pytest.approx(8.0)
    assert period_hours == pytest.approx(8.0)
    assert booked == pytest.approx(3.0)
    assert rows["A街道"][5] == pytest.approx(3 / 8)


def test_teachers_load_and_ratings(data, login):
    response = login(data.district_office).get(reverse("dashboards:teachers"))
    rows = table(response, "teachers").rows
    assert len(rows) == 3
    assert all(row[8] == pytest.approx(13 / 3) for row in rows)  # 4, 5, 4 a day ago: equal weights
    assert {row[9] for row in rows} == {3}
    assert len(table(response, "sessions").rows) == 3


def test_star_page_and_college_history(data, login):
    last = stars.previous_month(timezone.localdate())
    services.college_stars_recompute(period=stars.previous_month(last))
    services.college_stars_recompute(period=last)
    client = login(data.district_office)
    response = client.get(reverse("dashboards:stars"))
    colleges = table(response, "colleges").rows
    assert len(colleges) == 3
    college = College.objects.get(community=data.a1)
    link = next(row[0] for row in colleges if row[0].text == college.name)
    assert link.url == reverse("dashboards:college", args=[college.pk])

    page = client.get(link.url)
    history = table(page, "history").rows
    assert [row[0] for row in history] == [last, stars.previous_month(last)]
    contributions = table(page, "indicators").rows
    assert len(contributions) == len(stars.INDICATORS)
    assert sum(row[9] for row in contributions) == pytest.approx(history[0][1], abs=0.01)
    assert "history" in page.context["page"].charts and "pillars" in page.context["page"].charts
    # An earlier month can be chosen.
    older = client.get(link.url, {"month": stars.previous_month(last).strftime("%Y-%m")})
    assert older.context["selected"].period == stars.previous_month(last)


def test_college_without_records(world, login):
    college = College.objects.get(community=world.a1)
    response = login(world.district_office).get(reverse("dashboards:college", args=[college.pk]))
    assert response.status_code == 200
    assert b"has not been rated yet" in response.content


def test_export_has_every_table_with_header_and_rows(data, login):
    response = login(data.district_office).get(reverse("dashboards:overview_xlsx"))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="dashboard-overview-')
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["Order funnel", "By community", "By day"]
    sheet = book["By community"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Street", "Community", "Residents", "Active residents"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2]) for r in rows] == [("A街道", "甲一社区", 13), ("B街道", "乙一社区", 6)]
    funnel = list(book["Order funnel"].iter_rows(min_row=2, values_only=True))
    assert funnel[0][:2] == ("点单 submitted", 9)
    assert book["Order funnel"]["C3"].number_format == "0.0%"
    days = list(book["By day"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert days[0][0].date() == timezone.localdate()  # a real date cell, today first


def test_export_of_one_table(data, login):
    client = login(data.district_office)
    response = client.get(reverse("dashboards:teachers_xlsx"), {"table": "teachers", "period": "year"})
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["Teachers"]
    assert book["Teachers"].max_row == 1 + 3
    assert "teachers-" in response["Content-Disposition"]
    assert client.get(reverse("dashboards:teachers_xlsx"), {"table": "nope"}).status_code == 404


def test_export_has_every_row_the_page_cuts(data, login, settings):
    from dashboards import selectors

    category = CategoryFactory()
    for _ in range(selectors.PAGE_ROWS + 5):
        OrderFactory(resident=ResidentFactory(profile__community=data.a1), category=category)
    # One unmet cell per (community, interest): a hundred and five interests make a long table.
    for _ in range(selectors.PAGE_ROWS + 4):
        OrderFactory(resident=ResidentFactory(profile__community=data.a2), category=CategoryFactory())
    client = login(data.district_office)
    page = client.get(reverse("dashboards:demand"))
    unmet = table(page, "unmet")
    assert len(unmet.shown) == selectors.PAGE_ROWS and unmet.hidden_count > 0
    book = load_workbook(BytesIO(client.get(reverse("dashboards:demand_xlsx"), {"table": "unmet"}).content))
    assert book.worksheets[0].max_row == 1 + len(unmet.rows)


def test_college_export(data, login):
    services.college_stars_recompute(period=stars.previous_month(timezone.localdate()))
    college = College.objects.get(community=data.a1)
    response = login(data.district_office).get(reverse("dashboards:college_xlsx", args=[college.pk]))
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["How each indicator contributed", "History"]
    assert book["History"].max_row == 2


def test_orders_with_every_status_count_in_the_funnel(world, login):
    now = timezone.now()
    for status, stamps in (
        (OrderStatus.REJECTED, {"reject_reason": "无"}),
        (OrderStatus.CANCELLED, {}),
    ):
        OrderFactory(resident=ResidentFactory(profile__community=world.a1), status=status, submitted_at=now, **stamps)
    response = login(world.district_office).get(reverse("dashboards:overview"))
    rows = {row[0]: row[1] for row in table(response, "funnel").rows}
    assert (rows["Rejected"], rows["Withdrawn"], rows["点单 submitted"]) == (1, 1, 2)


def test_periods(data, login):
    client = login(data.district_office)
    for period, days in (("week", 7), ("month", 30), ("quarter", 90), ("year", 365)):
        response = client.get(reverse("dashboards:overview"), {"period": period})
        assert len(table(response, "days").rows) == days
    # An unknown period falls back to the default.
    assert len(table(client.get(reverse("dashboards:overview"), {"period": "decade"}), "days").rows) == 30


def test_demand_counts_the_matching_services_reasons_for_unmet_orders(world, login):
    from activities.dispatch.enums import UnassignedReason
    from activities.models import MatchRun, UnassignedOrder
    from tests.factories import TermFactory

    category = CategoryFactory(name="钢琴")
    run = MatchRun.objects.create(scope="community", community=world.a1, term=TermFactory())
    now = timezone.now()
    waiting = [
        OrderFactory(resident=ResidentFactory(profile__community=world.a1), category=category,
                     status=OrderStatus.ACCEPTED, accepted_at=now)
        for _ in range(3)
    ]
    done = OrderFactory(
        resident=ResidentFactory(profile__community=world.a1), category=category, status=OrderStatus.DISPATCHED,
        accepted_at=now, dispatched_at=now,
    )
    for order, reason in zip([*waiting, done], ["no_teacher", "no_teacher", "no_venue", "no_teacher"], strict=True):
        UnassignedOrder.objects.create(run=run, order=order, community=world.a1, category=category, reason=reason)
    response = login(world.district_office).get(reverse("dashboards:demand"))
    rows = table(response, "reasons").rows
    labels = {str(k): str(v) for k, v in UnassignedReason.choices}
    # The dispatched order no longer counts: it found its class after the run.
    assert rows == [["钢琴", labels["no_teacher"], 2], ["钢琴", labels["no_venue"], 1]]
    assert response.context["page"].charts["reasons"]["series"][0]["data"] == [2, 1]
    # a1's own staff see them, even when asking for another community (a filter outside the scope is
    # ignored); street B's staff see none.
    own = login(world.community_staff).get(reverse("dashboards:demand"), {"community": world.b1.pk})
    assert table(own, "reasons").rows == rows
    street_b = StaffFactory(role=Role.STREET_STAFF, street=world.street_b)
    assert table(login(street_b).get(reverse("dashboards:demand")), "reasons").rows == []


def test_demand_lists_near_misses_and_teachers_to_recruit_within_scope(world, login):
    from activities.models import MatchRun, NearMiss, NearMissMember, UnassignedOrder
    from tests.factories import TermFactory, VenueFactory

    category = CategoryFactory(name="书法", min_size=3)
    now = timezone.now()
    run = MatchRun.objects.create(scope="community", community=world.a1, term=TermFactory())
    near = NearMiss.objects.create(
        run=run, relaxation="radius", category=category, community=world.a1,
        venue=VenueFactory(community=world.a1), needed=3, min_size=3, radius_km=1.6,
    )
    waiting = [
        OrderFactory(resident=ResidentFactory(profile__community=world.a1), category=category,
                     status=OrderStatus.ACCEPTED, accepted_at=now)
        for _ in range(3)
    ]
    for order, extra in zip(waiting, [False, False, True], strict=True):
        NearMissMember.objects.create(near_miss=near, order=order, extra=extra)
        UnassignedOrder.objects.create(run=run, order=order, community=world.a1, category=category,
                                       reason="no_venue" if extra else "below_min_size")
    piano = CategoryFactory(name="钢琴")
    lonely = OrderFactory(resident=ResidentFactory(profile__community=world.a1), category=piano,
                          status=OrderStatus.ACCEPTED, accepted_at=now)
    UnassignedOrder.objects.create(run=run, order=lonely, community=world.a1, category=piano, reason="no_teacher")

    with translation.override("en"):
        response = login(world.district_office).get(reverse("dashboards:demand"), HTTP_ACCEPT_LANGUAGE="en")
    rows = table(response, "near_misses").rows
    assert [[str(c) for c in row] for row in rows] == [
        [world.a1.name, "书法", "Walk up to 2 km", "2 of 3, 1 more resident within 1.6 km", "Open"]
    ]
    assert rows[0][3].url == reverse("admin:activities_nearmiss_change", args=[near.pk])
    recruit = table(response, "recruit").rows
    assert [[str(c) for c in row] for row in recruit] == [["钢琴", "1", "Teachers and recommendations"]]
    # Street B's staff see neither.
    street_b = StaffFactory(role=Role.STREET_STAFF, street=world.street_b)
    other = login(street_b).get(reverse("dashboards:demand"))
    assert (table(other, "near_misses").rows, table(other, "recruit").rows) == ([], [])
