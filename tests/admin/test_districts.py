"""Districts kept apart in the staff admin (issue 18): two districts of one city, every admin model × the
district office of each side, both ways; the city office reads both and changes nothing.

A page leaks when it shows any marker of the other district (see tests/admin/districts.py).
"""

from __future__ import annotations

import pytest
from django.contrib import admin

from accounts.models import City, Department, District, Street
from accounts.selectors import scope_for
from activities.models import CourseTemplate, Term
from interests.models import Category
from teachers.models import Teacher, TeacherAvailability, TeacherSkill
from tests.shared_rows import fresh, rolled_back_at_the_end

from .districts import build_cities, leaked
from .helpers import admin_url, changelist_pks
from .test_registration import OUR_MODELS

pytestmark = pytest.mark.django_db

SIDES = ["lj", "yb"]
MODEL_IDS = [m._meta.label for m in OUR_MODELS]


@pytest.fixture(scope="module")
def _cities_rows(django_db_setup, django_db_blocker):
    with rolled_back_at_the_end(django_db_blocker):
        yield build_cities()


@pytest.fixture
def cities(db, _cities_rows):
    """Made once for the module (tests/shared_rows.py); each test rolls back what it changed."""
    return fresh(_cities_rows)


def _rows_of(model, community) -> set[int]:
    path = admin.site._registry[model].community_path
    rows = model._default_manager.all()
    rows = rows.filter(pk=community.pk) if path == "" else rows.filter(**{path: community})
    return set(rows.values_list("pk", flat=True))


COMMUNITY_MODELS = [m for m in OUR_MODELS if admin.site._registry[m].community_path is not None]
# Shared on purpose (复制推广): every district reads the class templates the others publish, origin shown.
SHARED_MODELS = [CourseTemplate]


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("model", OUR_MODELS, ids=MODEL_IDS)
def test_district_office_changelist_shows_nothing_of_the_other_district(cities, login, side, model):
    mine = getattr(cities, side)
    other = cities.other(mine)
    response = login(mine.office).get(admin_url(model, "changelist"))
    assert response.status_code == 200
    if model in SHARED_MODELS:
        assert leaked(response.content.decode(), other) != []
        return
    assert leaked(response.content.decode(), other) == []
    if model in COMMUNITY_MODELS:
        own_rows, other_rows = _rows_of(model, mine.node.community), _rows_of(model, other.node.community)
        assert own_rows and other_rows, "the world needs a row on each side"
        shown = changelist_pks(response)
        assert (own_rows <= shown, shown & other_rows) == (True, set())
        assert login(mine.office).get(admin_url(model, "change", min(other_rows))).status_code == 404


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    ("model", "row"),
    [
        (Term, lambda s: s.term),
        (Department, lambda s: s.department),
        (District, lambda s: s.district),
        (Street, lambda s: s.node.community.street),
        (Teacher, lambda s: s.node.teacher),
        (Teacher, lambda s: s.lone_teacher),
        (TeacherSkill, lambda s: s.node.teacher.skills.get()),
        (TeacherAvailability, lambda s: s.node.teacher.availability.get()),
    ],
    ids=["term", "department", "district", "street", "teacher", "lone-teacher", "skill", "availability"],
)
@pytest.mark.parametrize("who", ["office", "community_staff"])
def test_district_owned_rows_stay_in_their_district(cities, login, side, model, row, who):
    mine = getattr(cities, side)
    other = cities.other(mine)
    client = login(getattr(mine, who))
    shown = changelist_pks(client.get(admin_url(model, "changelist")))
    assert (row(mine).pk in shown, row(other).pk in shown) == (True, False)
    assert client.get(admin_url(model, "change", row(mine).pk)).status_code == 200
    assert client.get(admin_url(model, "change", row(other).pk)).status_code == 404


AUTOCOMPLETES = sorted(
    {
        (model._meta.app_label, model._meta.model_name, field)
        for model in OUR_MODELS
        for field in admin.site._registry[model].autocomplete_fields
    }
)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    ("app_label", "model_name", "field"), AUTOCOMPLETES, ids=[".".join(a) for a in AUTOCOMPLETES]
)
def test_autocomplete_answers_nothing_of_the_other_district(
    cities, login, side, app_label, model_name, field
):
    mine = getattr(cities, side)
    other = cities.other(mine)
    response = login(mine.office).get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field, "term": ""},
    )
    # The district office may not be offered a field it cannot fill (403); when answered, nothing leaks.
    assert response.status_code in (200, 403)
    assert leaked(response.content.decode(), other) == []


@pytest.mark.parametrize("side", SIDES)
def test_resident_autocomplete_finds_own_district_residents_only(cities, login, side):
    mine = getattr(cities, side)
    other = cities.other(mine)
    client = login(mine.office)
    params = {"app_label": "activities", "model_name": "order", "field_name": "resident"}
    found = {
        row["id"] for row in client.get("/admin/autocomplete/", {**params, "term": "居民"}).json()["results"]
    }
    assert (str(mine.node.resident.pk) in found, str(other.node.resident.pk) in found) == (True, False)


# --- the city office ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", COMMUNITY_MODELS, ids=[m._meta.label for m in COMMUNITY_MODELS])
def test_city_office_reads_both_districts(cities, login, model):
    shown = changelist_pks(login(cities.city_office).get(admin_url(model, "changelist")))
    assert _rows_of(model, cities.lj.node.community) | _rows_of(model, cities.yb.node.community) <= shown


@pytest.mark.parametrize("model", [*OUR_MODELS, City], ids=[*MODEL_IDS, "accounts.City"])
def test_city_office_is_refused_every_write(cities, login, model):
    client = login(cities.city_office)
    obj = model._default_manager.order_by("pk").first()
    before = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
    # The city's default category tree is the one thing the city office writes (tests/sharing proves how);
    # every other model's add page is refused.
    assert client.get(admin_url(model, "add")).status_code == (200 if model is Category else 403)
    assert client.post(admin_url(model, "change", obj.pk), {}).status_code == (200 if model is Category else 403)
    if model is not Category:
        assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    obj.refresh_from_db()
    assert {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields} == before


def test_city_is_read_by_staff_and_changed_by_superusers_only(cities, login):
    city = cities.city
    for user in (cities.lj.office, cities.city_office, cities.yb.community_staff):
        page = login(user).get(admin_url(City, "change", city.pk))
        assert (page.status_code, page.context["has_change_permission"]) == (200, False)
    page = login(cities.superuser).get(admin_url(City, "change", city.pk))
    assert (page.status_code, page.context["has_change_permission"]) == (200, True)


# --- the scope itself --------------------------------------------------------------------------------------


def test_scopes_of_each_level(cities, django_assert_max_num_queries):
    lj, yb = cities.lj, cities.yb
    with django_assert_max_num_queries(2):
        office = scope_for(lj.office)
    assert (office.everything, office.can_change, office.district_wide) == (False, False, True)
    assert (lj.node.community.pk in office.community_ids, yb.node.community.pk in office.community_ids) == (
        True,
        False,
    )
    assert office.district_ids == {lj.district.pk}
    assert office.street_ids == {lj.node.community.street_id}
    with django_assert_max_num_queries(1):
        staff = scope_for(yb.community_staff)
    assert (staff.can_change, staff.district_wide, staff.community_ids, staff.district_ids) == (
        True,
        False,
        {yb.node.community.pk},
        {yb.district.pk},
    )
    city = scope_for(cities.city_office)
    assert (city.everything, city.can_change) == (True, False)


def test_a_teacher_belongs_to_one_district_only(cities):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Teacher.objects.filter(pk=cities.lj.node.teacher.pk).update(district=cities.lj.district)
    with pytest.raises(IntegrityError), transaction.atomic():
        Teacher.objects.filter(pk=cities.lj.lone_teacher.pk).update(district=None)


def test_term_names_are_unique_per_district(cities):
    from django.db import IntegrityError, transaction

    from tests.factories import TermFactory

    same_name = TermFactory(district=cities.yb.district, name=cities.lj.term.name)
    assert same_name.name == cities.lj.term.name
    with pytest.raises(IntegrityError), transaction.atomic():
        TermFactory(district=cities.lj.district, name=cities.lj.term.name)


def test_granting_the_city_office_opens_the_admin_read_only(db):
    from accounts.enums import Role
    from accounts.services import role_assign
    from tests.factories import DistrictFactory, UserFactory

    city = DistrictFactory().city
    user, bystander = UserFactory(), UserFactory()
    role_assign(user=user, role=Role.CITY_OFFICE, city=city)
    user.refresh_from_db()
    scope = scope_for(user)
    assert (user.is_staff, scope.everything, scope.can_change) == (True, True, False)
    bystander.refresh_from_db()
    assert (bystander.is_staff, scope_for(bystander).is_empty) == (False, True)
