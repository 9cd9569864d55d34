"""Every model of the six apps has a usable admin: it is registered, its pages open, the checks pass."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command

from accounts.admin_scoping import ScopedAdminMixin

from .helpers import admin_url

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "interests", "venues", "teachers", "activities", "ratings")
OUR_MODELS = [
    model
    for label in OUR_APPS
    for model in apps.get_app_config(label).get_models()
    if not model.__name__.startswith("Historical")
]
MODEL_IDS = [model._meta.label for model in OUR_MODELS]


def test_every_model_of_the_six_apps_is_registered_with_a_scoped_admin():
    missing = [m._meta.label for m in OUR_MODELS if m not in admin.site._registry]
    unscoped = [m._meta.label for m in OUR_MODELS if not isinstance(admin.site._registry.get(m), ScopedAdminMixin)]
    assert (missing, unscoped) == ([], [])


def test_every_admin_has_search_and_select_related_where_it_lists_relations():
    lacking = []
    for model in OUR_MODELS:
        model_admin = admin.site._registry[model]
        shows_relation = any(
            model._meta.get_field(name).is_relation
            for name in model_admin.list_display
            if name in {f.name for f in model._meta.get_fields()}
        )
        if not model_admin.search_fields or (shows_relation and not model_admin.list_select_related):
            lacking.append(model._meta.label)
    assert lacking == []


def test_system_checks_pass_for_the_admin():
    call_command("check", "--fail-level", "WARNING", verbosity=0)


@pytest.mark.parametrize("model", OUR_MODELS, ids=MODEL_IDS)
def test_superuser_opens_changelist_add_and_change_pages(world, login, model):
    client = login(world.superuser)
    model_admin = admin.site._registry[model]

    changelist = client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1

    add = client.get(admin_url(model, "add"))
    request = changelist.wsgi_request
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)

    obj = model._default_manager.order_by("pk").first()
    change = client.get(admin_url(model, "change", obj.pk))
    assert change.status_code == 200
    assert change.context["original"] == obj


@pytest.mark.parametrize("model", OUR_MODELS, ids=MODEL_IDS)
def test_community_staff_opens_every_changelist_of_their_scope(world, login, model):
    response = login(world.community_staff).get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", OUR_MODELS, ids=MODEL_IDS)
def test_district_office_reads_every_changelist_and_adds_nothing(world, login, model):
    client = login(world.district_office)
    changelist = client.get(admin_url(model, "changelist"))
    assert (changelist.status_code, changelist.context["has_add_permission"]) == (200, False)
    assert changelist.context["cl"].result_count >= 1
    assert client.get(admin_url(model, "add")).status_code == 403


HISTORY_ROWS = {
    "order": lambda node: node.order,
    "registration": lambda node: node.registration,
    "booking": lambda node: node.booking,
    "teacher": lambda node: node.teacher,
}


@pytest.mark.parametrize("key", HISTORY_ROWS)
def test_history_is_visible_to_staff_of_the_row(world, login, key):
    obj = HISTORY_ROWS[key](world.a)
    url = admin_url(type(obj), "history", obj.pk)
    for user in (world.superuser, world.community_staff, world.district_office):
        response = login(user).get(url)
        assert (response.status_code, response.context["object"]) == (200, obj)
