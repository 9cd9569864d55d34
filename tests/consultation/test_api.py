"""/api/v1/consultation/…: the access matrix (anonymous, a resident, a neighbour of another community, staff
of another community, the district office, the liaisons), the error shape, and the whole staff path."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from consultation import services
from consultation.enums import MatterStatus, OwnerKind
from consultation.models import Matter


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def referred(world):
    matter = world.raise_matter("井盖松动")
    services.matter_refer(matter=matter, actor=world.staff, department=world.department)
    return matter


def _status(api, user, method, url, body=None):
    api.force_authenticate(user)
    response = getattr(api, method)(url, body or {}, format="json")
    return response.status_code


def test_access_matrix(api, world, referred):
    m = world.raise_matter()
    actors = {
        "anonymous": None,
        "resident": world.residents[1],
        "neighbour": world.neighbours[0],
        "other_staff": world.other_staff,
        "district": world.district,
        "liaison": world.liaison,
        "other_liaison": world.other_liaison,
    }
    matrix = [
        ("get", "/api/v1/consultation/matters/", None, [401, 200, 200, 200, 200, 200, 200]),
        ("get", f"/api/v1/consultation/matters/{m.pk}/", None, [401, 200, 404, 404, 404, 404, 404]),
        ("post", f"/api/v1/consultation/matters/{m.pk}/support/", None, [401, 200, 404, 404, 404, 404, 404]),
        ("get", "/api/v1/consultation/staff/matters/", None, [401, 403, 403, 200, 200, 403, 403]),
        ("get", f"/api/v1/consultation/staff/matters/{m.pk}/", None, [401, 403, 403, 404, 200, 403, 403]),
        ("post", f"/api/v1/consultation/staff/matters/{m.pk}/deliberate/", None, [401, 403, 403, 404, 403, 403, 403]),
        ("get", f"/api/v1/consultation/liaison/matters/{referred.pk}/", None, [401, 404, 404, 404, 404, 200, 404]),
        ("post", f"/api/v1/consultation/liaison/matters/{referred.pk}/answer/", {"text": "已修复"}, [401, 404, 404, 404, 404, 200, 404]),
    ]
    for method, url, body, expected in matrix:
        got = [
            _status(api, user, method, url, body) if user is not None else APIClient().generic(method.upper(), url).status_code
            for user in actors.values()
        ]
        assert got == expected, (method, url, dict(zip(actors, got, strict=True)))
    m.refresh_from_db()
    assert m.status == MatterStatus.RAISED and m.support_count == 1


def test_list_hides_names_unless_chosen_and_staff_see_masked_phone(api, world):
    world.raise_matter("不署名")
    world.raise_matter("署名", resident=world.residents[1], show_name=True)
    api.force_authenticate(world.residents[2])
    rows = {r["title"]: r for r in api.get("/api/v1/consultation/matters/").json()["results"]}
    assert rows["不署名"]["raised_by_name"] == "" and rows["署名"]["raised_by_name"] == world.residents[1].name
    assert "raised_by_phone" not in rows["署名"]
    api.force_authenticate(world.staff)
    rows = {r["title"]: r for r in api.get("/api/v1/consultation/staff/matters/").json()["results"]}
    assert rows["不署名"]["raised_by_name"] == world.residents[0].name
    assert rows["不署名"]["raised_by_phone"] == world.residents[0].phone[:3] + "****" + world.residents[0].phone[-4:]


@pytest.mark.parametrize("count", [1, 3])
def test_resident_list_queries_do_not_grow(api, world, django_assert_num_queries, count):
    for n in range(count):
        world.raise_matter(f"事{n}", resident=world.residents[n % 4])
    api.force_authenticate(User.objects.get(pk=world.residents[0].pk))  # nothing cached on the instance
    # profile (home community), count, page (with category, raiser and my support)
    with django_assert_num_queries(3):
        response = api.get("/api/v1/consultation/matters/")
    assert response.json()["count"] == count


def test_raise_errors_in_the_api_shape_and_nothing_saved(api, world):
    api.force_authenticate(world.residents[0])
    response = api.post("/api/v1/consultation/matters/", {"category": world.category.pk, "title": "", "description": "x"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid" and "title" in response.json()["fields"]
    response = api.post(
        "/api/v1/consultation/matters/",
        {"category": world.category.pk, "title": "路灯", "description": "x", "latitude": 29.6},
        format="json",
    )
    assert response.status_code == 400
    api.force_authenticate(world.staff)  # staff without a home community
    response = api.post("/api/v1/consultation/matters/", {"category": world.category.pk, "title": "路灯", "description": "x"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_profile"
    assert Matter.objects.count() == 0


def test_staff_path_over_the_api(api, world, clock):
    api.force_authenticate(world.residents[0])
    response = api.post(
        "/api/v1/consultation/matters/",
        {"category": world.category.pk, "title": "健身器材损坏", "description": "广场的单杠断了"},
        format="json",
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    response = api.get("/api/v1/consultation/matters/similar/", {"title": "健身器材坏了"})
    assert [r["id"] for r in response.json()] == [pk]
    api.force_authenticate(world.staff)
    assert api.post(f"/api/v1/consultation/staff/matters/{pk}/deliberate/").json()["status"] == "deliberation"
    assert api.post(f"/api/v1/consultation/staff/matters/{pk}/answer/", {"text": "x"}, format="json").status_code == 409
    matter = Matter.objects.get(pk=pk)
    from datetime import datetime

    from .conftest import SHANGHAI

    meeting = services.meeting_schedule(
        community=world.home, venue=world.venue, starts_at=datetime(2026, 9, 22, 19, tzinfo=SHANGHAI),
        ends_at=datetime(2026, 9, 22, 20, tzinfo=SHANGHAI), title="议事会", actor=world.staff, matters=[matter],
    )
    decision = services.decision_record(
        meeting=meeting, matter=matter, actor=world.staff, text="更换单杠", owner_kind=OwnerKind.DEPARTMENT,
        owner_department=world.department, due_date=date(2026, 10, 1),
    )
    api.force_authenticate(world.liaison)
    response = api.post(f"/api/v1/consultation/decisions/{decision.pk}/progress/", {"text": "已采购", "progress": 50}, format="json")
    assert response.status_code == 200 and response.json()["progress"] == 50
    api.force_authenticate(world.other_liaison)
    assert api.post(f"/api/v1/consultation/decisions/{decision.pk}/done/", {}, format="json").status_code == 404
    api.force_authenticate(world.liaison)
    assert api.post(f"/api/v1/consultation/decisions/{decision.pk}/done/", {"text": "已更换"}, format="json").json()["status"] == "done"
    api.force_authenticate(world.residents[0])
    response = api.post(f"/api/v1/consultation/matters/{pk}/confirm/", {"is_done": True, "satisfaction": 5}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
