"""The teacher export works for every role; the district office is told it reads only."""

from __future__ import annotations

import io

import openpyxl
import pytest

from accounts.models import User
from activities.models import Order
from activities.orders import order_place
from tests.factories import CategoryFactory, ResidentFactory, TeacherFactory, TeacherSkillFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


@pytest.mark.parametrize("role", ["staff", "other_staff", "district_office", "superuser"])
def test_teacher_export_works_for_every_role(world, client, role):
    calligraphy = CategoryFactory(name="书法", parent=world.field)
    here = TeacherFactory(community=world.home, name="李老师")
    TeacherSkillFactory(teacher=here, category=world.leaf)
    TeacherSkillFactory(teacher=here, category=calligraphy)
    there = TeacherFactory(community=world.elsewhere, name="周老师")
    TeacherSkillFactory(teacher=there, category=world.leaf)
    user = User.objects.create_superuser(phone="13700000001", password="x") if role == "superuser" else getattr(world, role)
    client.force_login(user)
    response = client.post(
        "/admin/teachers/teacher/export/",
        {"format": "0", **{f"teacherresource_{f}": "on" for f in ("id", "name", "skills")}},
    )
    assert response.status_code == 200
    rows = _rows(response)
    # The teacher pool is shared: every role reads every teacher, with their skills.
    assert rows[0] == ("id", "name", "skills")
    assert sorted(rows[1:]) == sorted([(here.pk, "李老师", "书法;太极拳"), (there.pk, "周老师", "太极拳")])


def test_the_district_office_is_told_it_reads_only(world, api):
    order = order_place(resident=world.owner, category=world.leaf)
    response = api(world.district_office).post(f"/api/v1/staff/orders/{order.pk}/accept/")
    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "detail": "The district office reads only: the staff of the community or street make this change.",
    }
    order.refresh_from_db()
    assert order.status == "submitted"


def test_staff_of_another_community_are_still_told_it_is_not_theirs(world, api):
    order = order_place(resident=ResidentFactory(profile__community=world.home), category=world.leaf)
    other = order_place(resident=ResidentFactory(profile__community=world.elsewhere), category=world.leaf)
    # Outside the scope the order does not exist at all for the other community's staff.
    assert api(world.other_staff).post(f"/api/v1/staff/orders/{order.pk}/accept/").status_code == 404
    assert api(world.other_staff).post(f"/api/v1/staff/orders/{other.pk}/accept/").status_code == 200
    assert Order.objects.get(pk=order.pk).status == "submitted"

