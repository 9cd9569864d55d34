"""Scoped access: every admin model × every role × own node / other node.

Community A sits on street 1, community B on street 2. Community staff of A and street staff of street 1
see and change A's rows only; B's rows are not there for them (404). The district office reads both and
changes nothing. A resident does not get into the admin at all.
"""

import pytest
from django.contrib import admin

from accounts.models import User
from activities.models import Course, CourseTemplate, Order, Registration, Session
from interests.models import DistrictCategory, InterestGroup, ResidentProfile
from teachers.models import Teacher
from venues.models import Booking, Venue

from .helpers import admin_url, changelist_pks
from .test_registration import OUR_MODELS

pytestmark = pytest.mark.django_db

CHANGING_STAFF = ["community_staff", "street_staff"]

# The models staff work with every day, each with how to find a node's row: chosen by hand, not derived
# from the admin's declared path, so that a wrong declaration fails here.
KEY_MODELS = {
    "order": (Order, lambda node: node.order),
    "venue": (Venue, lambda node: node.venue),
    "booking": (Booking, lambda node: node.booking),
    "course": (Course, lambda node: node.course),
    "session": (Session, lambda node: node.session),
    "registration": (Registration, lambda node: node.registration),
    "group": (InterestGroup, lambda node: node.group),
    "profile": (ResidentProfile, lambda node: node.profile),
    "user": (User, lambda node: node.resident),
}


@pytest.mark.parametrize("role", CHANGING_STAFF)
@pytest.mark.parametrize("key", KEY_MODELS)
def test_staff_see_their_nodes_rows_and_not_the_other_nodes(world, login, role, key):
    model, row = KEY_MODELS[key]
    client = login(getattr(world, role))
    shown = changelist_pks(client.get(admin_url(model, "changelist")))
    assert row(world.a).pk in shown
    assert row(world.b).pk not in shown


@pytest.mark.parametrize("role", CHANGING_STAFF)
@pytest.mark.parametrize("key", KEY_MODELS)
def test_other_nodes_row_opened_by_url_answers_404(world, login, role, key):
    model, row = KEY_MODELS[key]
    client = login(getattr(world, role))
    assert client.get(admin_url(model, "change", row(world.a).pk)).status_code == 200
    assert client.get(admin_url(model, "change", row(world.b).pk)).status_code == 404


@pytest.mark.parametrize("role", CHANGING_STAFF)
@pytest.mark.parametrize("key", KEY_MODELS)
def test_posting_a_change_to_the_other_nodes_row_is_refused(world, login, role, key):
    model, row = KEY_MODELS[key]
    target = row(world.b)
    before = {f.attname: getattr(target, f.attname) for f in model._meta.concrete_fields}
    response = login(getattr(world, role)).post(admin_url(model, "change", target.pk), {"name": "改掉", "note": "x"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert {f.attname: getattr(target, f.attname) for f in model._meta.concrete_fields} == before


@pytest.mark.parametrize("key", KEY_MODELS)
def test_district_office_reads_both_nodes_and_changes_neither(world, login, key):
    model, row = KEY_MODELS[key]
    client = login(world.district_office)
    response = client.get(admin_url(model, "changelist"))
    assert {row(world.a).pk, row(world.b).pk} <= changelist_pks(response)
    assert response.context["has_add_permission"] is False
    change_page = client.get(admin_url(model, "change", row(world.b).pk))
    assert (change_page.status_code, change_page.context["has_change_permission"]) == (200, False)
    assert client.post(admin_url(model, "change", row(world.a).pk), {}).status_code == 403


@pytest.mark.parametrize("key", KEY_MODELS)
def test_resident_is_sent_to_the_admin_login(world, login, key):
    model, row = KEY_MODELS[key]
    client = login(world.resident)
    for url in (admin_url(model, "changelist"), admin_url(model, "change", row(world.a).pk)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_street_staff_see_every_community_of_their_street_only(world, login):
    from tests.factories import CommunityFactory, VenueFactory

    neighbour = VenueFactory(community=CommunityFactory(street=world.a.community.street))
    shown = changelist_pks(login(world.street_staff).get(admin_url(Venue, "changelist")))
    assert shown == {world.a.venue.pk, neighbour.pk}


def test_community_staff_change_their_own_venue(world, login):
    client = login(world.community_staff)
    venue = world.a.venue
    data = {
        "name": "新名字活动室",
        "community": venue.community_id,
        "owner_type": venue.owner_type,
        "owner_name": "",
        "address": venue.address,
        "capacity": 40,
        "is_active": "on",
        "contact_name": "",
        "contact_phone": "",
        "latitude": venue.latitude,
        "longitude": venue.longitude,
        "opening_hours-TOTAL_FORMS": 0,
        "opening_hours-INITIAL_FORMS": 0,
        "managers-TOTAL_FORMS": 0,
        "managers-INITIAL_FORMS": 0,
    }
    response = client.post(admin_url(Venue, "change", venue.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    venue.refresh_from_db()
    assert (venue.name, venue.capacity) == ("新名字活动室", 40)


# --- the teacher pool is shared ------------------------------------------------------------------------------


def test_teacher_pool_is_read_district_wide_but_changed_by_the_home_community(world, login):
    client = login(world.community_staff)
    shown = changelist_pks(client.get(admin_url(Teacher, "changelist")))
    assert {world.a.teacher.pk, world.b.teacher.pk} <= shown

    own = client.get(admin_url(Teacher, "change", world.a.teacher.pk))
    other = client.get(admin_url(Teacher, "change", world.b.teacher.pk))
    assert (own.context["has_change_permission"], other.context["has_change_permission"]) == (True, False)
    assert client.post(admin_url(Teacher, "change", world.b.teacher.pk), {"name": "改掉"}).status_code == 403


def test_other_communitys_teacher_shows_a_masked_mobile_number(world, login):
    teacher = world.b.teacher
    Teacher.objects.filter(pk=teacher.pk).update(phone="13812345678")
    page = login(world.community_staff).get(admin_url(Teacher, "change", teacher.pk)).content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page


# --- every model, from its admin's declaration -----------------------------------------------------------------


def _rows_of(model, community):
    path = admin.site._registry[model].community_path
    rows = model._default_manager.all()
    rows = rows.filter(pk=community.pk) if path == "" else rows.filter(**{path: community})
    return set(rows.values_list("pk", flat=True))


SCOPED_MODELS = [
    m
    for m in OUR_MODELS
    if admin.site._registry[m].community_path is not None
    and not admin.site._registry[m].shared_read
    and not admin.site._registry[m].district_only
]
DISTRICT_ONLY_MODELS = [m for m in OUR_MODELS if admin.site._registry[m].district_only]


@pytest.mark.parametrize("role", CHANGING_STAFF)
@pytest.mark.parametrize("model", SCOPED_MODELS, ids=[m._meta.label for m in SCOPED_MODELS])
def test_every_scoped_admin_keeps_the_other_node_out(world, login, role, model):
    a_rows, b_rows = _rows_of(model, world.a.community), _rows_of(model, world.b.community)
    assert a_rows and b_rows, "the world needs a row on each side"
    client = login(getattr(world, role))
    shown = changelist_pks(client.get(admin_url(model, "changelist")))
    assert (a_rows <= shown, shown & b_rows) == (True, set())
    assert client.get(admin_url(model, "change", min(a_rows))).status_code == 200
    assert client.get(admin_url(model, "change", min(b_rows))).status_code == 404
    assert client.post(admin_url(model, "change", min(b_rows)), {}).status_code == 404
    assert client.get(admin_url(model, "delete", min(b_rows))).status_code == 404


@pytest.mark.parametrize("role", CHANGING_STAFF)
@pytest.mark.parametrize("model", DISTRICT_ONLY_MODELS, ids=[m._meta.label for m in DISTRICT_ONLY_MODELS])
def test_district_only_rows_are_read_by_the_district_office_alone(world, login, role, model):
    a_rows, b_rows = _rows_of(model, world.a.community), _rows_of(model, world.b.community)
    assert a_rows and b_rows, "the world needs a row on each side"
    client = login(getattr(world, role))
    assert changelist_pks(client.get(admin_url(model, "changelist"))) == set()
    assert client.get(admin_url(model, "change", min(a_rows))).status_code == 404
    district = login(world.district_office)
    assert a_rows | b_rows <= changelist_pks(district.get(admin_url(model, "changelist")))


@pytest.mark.parametrize("model", OUR_MODELS, ids=[m._meta.label for m in OUR_MODELS])
def test_district_office_is_refused_every_change(world, login, model):
    obj = model._default_manager.order_by("pk").first()
    client = login(world.district_office)
    # Its own district's adapted categories and published class templates are the district office's to edit
    # (through their services, tests/sharing); an empty form is answered with the form, and nothing saved.
    own = model in (DistrictCategory, CourseTemplate)
    before = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
    assert client.post(admin_url(model, "change", obj.pk), {}).status_code == (200 if own else 403)
    obj.refresh_from_db()
    assert {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields} == before
    assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403


REFERENCE_MODELS = [m for m in OUR_MODELS if admin.site._registry[m].community_path is None]


@pytest.mark.parametrize("model", REFERENCE_MODELS, ids=[m._meta.label for m in REFERENCE_MODELS])
def test_reference_data_is_read_by_staff_and_changed_by_superusers_only(world, login, model):
    obj = model._default_manager.order_by("pk").first()
    client = login(world.community_staff)
    page = client.get(admin_url(model, "change", obj.pk))
    assert (page.status_code, page.context["has_change_permission"]) == (200, False)
    assert client.post(admin_url(model, "change", obj.pk), {}).status_code == 403
    assert client.get(admin_url(model, "add")).status_code == 403


def test_staff_without_a_node_see_no_model(world, login):
    from tests.factories import UserFactory

    # A department liaison may carry is_staff for the policy-talk pages, but has no operational scope.
    liaison = UserFactory(is_staff=True)
    client = login(liaison)
    index = client.get("/admin/")
    assert index.context["app_list"] == []
    assert client.get(admin_url(Order, "changelist")).status_code == 403


def test_history_of_another_nodes_order_answers_404_and_revert_is_refused(world, login):
    client = login(world.community_staff)
    assert client.get(admin_url(Order, "history", world.a.order.pk)).status_code == 200
    assert client.get(admin_url(Order, "history", world.b.order.pk)).status_code == 404
    version = world.a.order.history.first()
    url = f"/admin/activities/order/{world.a.order.pk}/history/{version.history_id}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"note": "reverted"}).status_code == 403


def test_staff_cannot_grant_themselves_more_or_set_passwords(world, login):
    client = login(world.community_staff)
    page = client.get(admin_url(User, "change", world.a.resident.pk))
    fields = page.context["adminform"].form.fields
    assert {"is_superuser", "is_staff", "groups", "user_permissions"}.isdisjoint(fields)
    assert client.get(f"/admin/accounts/user/{world.a.resident.pk}/password/").status_code == 403
    assert login(world.community_staff).get(admin_url(User, "add")).status_code == 403


def test_history_of_another_communitys_teacher_is_not_shown(world, login):
    client = login(world.community_staff)
    assert client.get(admin_url(Teacher, "history", world.a.teacher.pk)).status_code == 200
    assert client.get(admin_url(Teacher, "history", world.b.teacher.pk)).status_code == 403
    assert login(world.district_office).get(admin_url(Teacher, "history", world.b.teacher.pk)).status_code == 200
