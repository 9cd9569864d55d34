"""One walking circle: WALKING_CIRCLE_KM moves near-me, the matching runs and placement between runs alike."""

import pytest
from django.urls import reverse

from activities import orders as order_services
from activities.dispatch.build import build_instance
from activities.dispatch.incremental import placement_candidates
from interests.enums import OrderStatus

from .helpers import category, open_class, resident

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("circle_km", "fits"), [(0.3, False), (0.8, True)])
def test_the_documented_setting_moves_placement_and_the_runs(town, settings, circle_km, fits):
    settings.WALKING_CIRCLE_KM = circle_km
    cat = category("瑜伽")
    near = open_class(town, cat, km=0.5)  # 0.5 km north of the resident's home
    far = open_class(town, cat, km=5.0)
    user = resident(town.a, km=0.0)
    order = order_services.order_place(resident=user, category=cat)
    order = order_services.order_transition(order=order, to=OrderStatus.ACCEPTED, actor=town.staff_a)
    found = [c.course.pk for c in placement_candidates(order=order, actor=town.staff_a)]
    assert found == ([near.pk] if fits else [])
    assert far.pk not in found
    assert build_instance(node=town.a, term=town.term).instance.max_walk_km == circle_km


@pytest.mark.parametrize("circle_km", [0.3, 0.8])
def test_near_me_uses_the_same_circle(town, settings, client, circle_km):
    settings.WALKING_CIRCLE_KM = circle_km
    cat = category("瑜伽")
    open_class(town, cat, km=0.5)
    user = resident(town.a, km=0.0)
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(reverse("activities:nearby"))
    walkable = [row for row in response.context["rows"] if row.within_walk]
    assert len(walkable) == (1 if circle_km > 0.5 else 0)
