"""order_place refuses an interest the resident's own district hides (issue 23; rule of 1881f2e): two
districts, the interest hidden in one only; the other district's resident orders it, and the refused
resident's order, its timeline and the other orders are compared."""

import pytest
from django.utils import translation

from accounts.enums import Role
from activities.models import Order, OrderEvent
from activities.orders import order_place
from community_college.errors import ConflictError
from interests import category_defaults
from interests.models import DistrictCategory
from tests.factories import CategoryFactory, ResidentFactory, StaffFactory
from tests.sharing.conftest import two_districts  # noqa: F401 (the two-district fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def taiji(two_districts):  # noqa: F811 (the fixture imported above)
    """太极拳, offered by the city, hidden by d1 (its district office adopted the city's list, then retired it)."""
    taiji = CategoryFactory(name="太极拳", parent=CategoryFactory(name="体育"))
    category_defaults.district_categories_adopt(district_id=two_districts.d1.pk, actor=two_districts.office1)
    version = DistrictCategory.objects.get(district=two_districts.d1, category=taiji)
    category_defaults.district_category_adapt(version=version, actor=two_districts.office1, is_active=False)
    return taiji


def test_an_interest_hidden_by_the_residents_district_is_refused_there_only(two_districts, taiji):  # noqa: F811
    mine, theirs = (ResidentFactory(profile__community=c) for c in (two_districts.c1, two_districts.c2))
    desk = StaffFactory(role=Role.COMMUNITY_STAFF, community=two_districts.c1)
    for placed_by in (None, desk):
        with translation.override("en"), pytest.raises(ConflictError) as refused:
            order_place(resident=mine, category=taiji, placed_by=placed_by)
        assert (refused.value.messages, refused.value.code) == (
            ["This interest is not offered in your district."],
            "not_offered",
        )
    assert not Order.objects.exists() and not OrderEvent.objects.exists()
    order = order_place(resident=theirs, category=taiji)
    assert list(Order.objects.values_list("pk", "resident_id", "community_id")) == [
        (order.pk, theirs.pk, two_districts.c2.pk)
    ]
    assert list(OrderEvent.objects.values_list("order_id", flat=True)) == [order.pk]
