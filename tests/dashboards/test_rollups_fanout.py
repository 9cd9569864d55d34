"""The roll-ups of a city fan out (issue 18): one task per district in a Celery group, each rebuilding its
district's rows only; the figures are those of one whole rebuild."""

import pytest
from django.db.models import Sum

from dashboards import services, tasks
from dashboards.models import CategoryDay, CommunityDay, ResidentActivity
from tests.factories import CommunityFactory, DistrictFactory, StreetFactory

from .conftest import populate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager_celery():
    """The group's tasks run in this process, also when REDIS_URL is set for the PostgreSQL run."""
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def _rows():
    return (
        sorted(CategoryDay.objects.values_list("day", "community_id", "category_id", *CategoryDay.COUNTERS)),
        sorted(CommunityDay.objects.values_list("day", "community_id", "residents_joined")),
        sorted(
            ResidentActivity.objects.values_list("resident_id", "community_id", "category_id", "last_day")
        ),
    )


@pytest.fixture
def city(world):
    """The world's district and a second one of the same city, each with activity."""
    other = DistrictFactory(code="yubei", name="渝北区", city=world.district.city)
    c1 = CommunityFactory(street=StreetFactory(district=other), name="丙一社区")
    populate(world.a1, units=2)
    populate(world.b1, units=1)
    populate(c1, units=1)
    return other, c1


def test_rebuild_fans_out_per_district_and_equals_one_whole_rebuild(world, city):
    other, c1 = city
    services.rollups_refresh()
    whole = _rows()
    CategoryDay.objects.all().delete()
    CommunityDay.objects.all().delete()
    ResidentActivity.objects.all().delete()
    # Eager here: the group's tasks run in turn; on workers, side by side.
    assert tasks.rebuild_rollups.apply().get() == 2
    assert _rows() == whole
    assert (
        CategoryDay.objects.filter(community=c1).exists()
        and CategoryDay.objects.filter(community=world.a1).exists()
    )
    assert tasks.refresh_recent_rollups.apply().get() == 2
    assert _rows() == whole


def test_a_districts_task_leaves_the_other_district_alone(world, city):
    other, c1 = city
    services.rollups_refresh()
    before_other = list(CategoryDay.objects.filter(community=c1).values_list("id", flat=True))
    populate(world.a1, units=1)  # new activity in the first district only
    sessions_before = CategoryDay.objects.aggregate(n=Sum("sessions"))["n"]
    assert tasks.rebuild_rollups.apply(args=[world.district.pk]).get() > 0
    # The first district's rows were rebuilt (they count the new class); the other's rows are the same rows.
    assert CategoryDay.objects.aggregate(n=Sum("sessions"))["n"] == sessions_before + 1
    assert list(CategoryDay.objects.filter(community=c1).values_list("id", flat=True)) == before_other
