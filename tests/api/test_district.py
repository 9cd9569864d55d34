"""District endpoints beyond the dashboards' JSON: a college's star history, and the tables as .xlsx."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from dashboards.views import XLSX
from tests.factories import CollegeFactory, CollegeStarRecordFactory

from .objects import owned_by

BREAKDOWN = {
    "schema": 1,
    "standard": {"id": 1, "name": "2026", "thresholds": [40.0, 55.0, 70.0, 85.0]},
    "target_stars": 4,
    "previous_stars": 3,
    "move": "up",
    "pillars": {"place": 12.5, "results": 30.25},
    "indicators": {
        "satisfaction": {
            "pillar": "results",
            "value": 4.5,
            "inputs": {"ratings": 12, "stars": 54},
            "weight": 10,
            "worst": 3.0,
            "best": 4.8,
            "normalised": 0.8333,
            "points": 8.333,
        },
        "venue_utilisation": {
            "pillar": "place",
            "value": None,
            "inputs": {},
            "weight": 8,
            "worst": 0,
            "best": 0.5,
            "normalised": 0.0,
            "points": 0.0,
        },
    },
}


def test_college_star_history_with_each_indicators_contribution(world, api):
    college = CollegeFactory(community=world.home, stars=4)
    CollegeStarRecordFactory(college=college, period=date(2026, 9, 1), score=60.0, stars=3, indicators={})
    CollegeStarRecordFactory(
        college=college, period=date(2026, 10, 1), score=72.5, stars=4, indicators=BREAKDOWN
    )
    body = api(world.staff).get(f"/api/v1/district/colleges/{college.pk}/stars/").json()
    assert (body["id"], body["stars"], [r["period"] for r in body["records"]]) == (
        college.pk,
        4,
        ["2026-10-01", "2026-09-01"],
    )
    latest, older = body["records"]
    assert (latest["target_stars"], latest["move"], latest["standard"], latest["thresholds"]) == (
        4,
        "up",
        "2026",
        [40.0, 55.0, 70.0, 85.0],
    )
    # The catalogue's order (place before results), each with its figures and where they came from.
    assert [(i["code"], i["value"], i["points"]) for i in latest["indicators"]] == [
        ("venue_utilisation", None, 0.0),
        ("satisfaction", 4.5, 8.333),
    ]
    assert latest["indicators"][1]["inputs"] == {"ratings": 12, "stars": 54}
    assert latest["pillars"] == {"place": 12.5, "results": 30.25}
    # A month rated before the portal computed stars itself: score and level only.
    assert (older["indicators"], older["target_stars"], older["move"]) == ([], None, None)


def test_another_communitys_college_does_not_exist(world, api):
    college = CollegeFactory(community=world.elsewhere)
    assert api(world.staff).get(f"/api/v1/district/colleges/{college.pk}/stars/").status_code == 404
    assert api(world.staff).get(f"/api/v1/district/colleges/{college.pk}/stars.xlsx").status_code == 404
    assert api(world.district_office).get(f"/api/v1/district/colleges/{college.pk}/stars/").status_code == 200
    assert api(world.staff).get("/api/v1/district/colleges/999999/stars/").status_code == 404


def _sheets(response) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_dashboard_tables_as_a_workbook(world, api):
    owned_by(world)
    response = api(world.district_office).get("/api/v1/district/dashboards/venues.xlsx")
    assert (response.status_code, response["Content-Type"]) == (200, XLSX)
    assert response["Content-Disposition"].startswith('attachment; filename="dashboard-venues-')
    sheets = _sheets(response)
    assert len(sheets) >= 2
    # The same tables as the JSON endpoint, titled alike.
    tables = api(world.district_office).get("/api/v1/district/dashboards/venues/").json()["tables"]
    assert [t["title"][:31] for t in tables] == list(sheets)
    assert [list(row) for row in list(sheets.values())[0][:1]] == [[c["label"] for c in tables[0]["columns"]]]


def test_one_table_and_the_refusals_keep_the_json_error_shape(world, api):
    owned_by(world)
    client = api(world.staff)
    one = client.get("/api/v1/district/dashboards/stars.xlsx", {"table": "colleges"})
    assert (one.status_code, len(_sheets(one))) == (200, 1)
    missing = client.get("/api/v1/district/dashboards/stars.xlsx", {"table": "nothing"}, HTTP_ACCEPT=XLSX)
    assert (missing.status_code, missing["Content-Type"], missing.json()["code"]) == (
        404,
        "application/json",
        "not_found",
    )
    bad = client.get("/api/v1/district/dashboards/overview.xlsx", {"period": "decade"})
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["period"])
    resident = api(world.owner).get("/api/v1/district/dashboards/overview.xlsx")
    assert (resident.status_code, resident["Content-Type"], resident.json()["code"]) == (
        403,
        "application/json",
        "permission_denied",
    )


def test_college_page_as_a_workbook(world, api):
    college = CollegeFactory(community=world.home)
    CollegeStarRecordFactory(college=college, period=date(2026, 10, 1), indicators=BREAKDOWN)
    response = api(world.staff).get(
        f"/api/v1/district/colleges/{college.pk}/stars.xlsx", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    sheets = _sheets(response)
    assert list(sheets) == ["How each indicator contributed", "History"]
    assert len(sheets["History"]) == 2  # the header and one month
