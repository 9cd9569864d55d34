"""The daily roll-ups equal what the source tables say, and a refresh replaces a range of days."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from activities.models import Attendance
from dashboards import selectors, services
from dashboards.models import CategoryDay, CommunityDay, ResidentActivity
from interests.models import ResidentProfile
from ratings.models import SessionRating

from .conftest import populate

pytestmark = pytest.mark.django_db


def totals():
    return CategoryDay.objects.aggregate(**{name: Sum(name) for name in CategoryDay.COUNTERS})


def test_rollups_equal_the_source_rows(world):
    populate(world.a1, units=2)
    populate(world.b1, units=1, day=timezone.localdate() - timedelta(days=20))
    services.rollups_refresh()
    t = totals()
    assert t["sessions"] == t["sessions_held"] == 3
    assert t["attendance_records"] == Attendance.objects.count() == 9
    assert t["attendance_present"] == Attendance.objects.filter(attended=True).count() == 6
    assert t["ratings"] == SessionRating.objects.count() == 9
    assert t["rating_stars"] == sum(SessionRating.objects.values_list("stars", flat=True))
    assert t["talks_held"] == 3
    assert (t["orders_submitted"], t["orders_accepted"], t["orders_dispatched"], t["orders_completed"]) == (9, 6, 3, 3)
    assert CommunityDay.objects.aggregate(n=Sum("residents_joined"))["n"] == ResidentProfile.objects.count()
    # Each (day, community, interest) is one row: a1 has two interests, b1 one, per day with activity.
    assert CategoryDay.objects.filter(community=world.a1, sessions__gt=0).count() == 2


def test_a_refresh_replaces_its_days_and_is_idempotent(world):
    populate(world.a1, units=1)
    services.rollups_refresh()
    before = totals()
    services.rollups_refresh_recent()
    services.rollups_refresh_recent()
    assert totals() == before
    # A rating hidden later: the next refresh of that day takes it out.
    SessionRating.objects.filter(pk=SessionRating.objects.first().pk).update(is_hidden=True)
    services.rollups_refresh_recent()
    assert totals()["ratings"] == before["ratings"] - 1


def test_resident_activity_keeps_the_last_day_present(world):
    today = timezone.localdate()
    populate(world.a1, units=1, day=today - timedelta(days=30))
    services.rollups_refresh()
    present = set(Attendance.objects.filter(attended=True).values_list("resident_id", flat=True))
    assert set(ResidentActivity.objects.values_list("resident_id", flat=True)) == present
    assert set(ResidentActivity.objects.values_list("last_day", flat=True)) == {today - timedelta(days=30)}
    # The same residents come again yesterday: the recent refresh moves their day forward.
    session = Attendance.objects.first().session
    later = type(session).objects.create(
        course=session.course, venue=session.venue, capacity=10, status="held",
        starts_at=session.starts_at + timedelta(days=29), ends_at=session.ends_at + timedelta(days=29),
    )
    for resident_id in present:
        Attendance.objects.create(session=later, resident_id=resident_id)
    services.rollups_refresh_recent()
    assert set(ResidentActivity.objects.values_list("last_day", flat=True)) == {today - timedelta(days=1)}
    # A refresh of old days alone never moves a day back.
    services.rollups_refresh(start=today - timedelta(days=40), end=today - timedelta(days=20))
    assert set(ResidentActivity.objects.values_list("last_day", flat=True)) == {today - timedelta(days=1)}


def test_a_refresh_makes_cached_pages_stale(world, django_capture_on_commit_callbacks):
    populate(world.a1, units=1)
    services.rollups_refresh()
    from accounts.selectors import Scope

    filters = selectors.resolve_filters(scope=Scope(everything=True))
    assert selectors.page_data("overview", filters).period.sessions == 1
    populate(world.a1, units=1)
    assert selectors.page_data("overview", filters).period.sessions == 1  # cached
    with django_capture_on_commit_callbacks(execute=True):  # the generation moves once the refresh commits
        services.rollups_refresh_recent()
    assert selectors.page_data("overview", filters).period.sessions == 2


def test_the_rollup_tasks_are_scheduled_and_run(world, settings):
    from dashboards import tasks

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["dashboards-rollups-recent"]["task"] == "dashboards.tasks.refresh_recent_rollups"
    assert schedule["dashboards-rollups-rebuild"]["task"] == "dashboards.tasks.rebuild_rollups"
    assert "notices-reminders" in schedule  # the other apps' entries are still there
    populate(world.a1, units=1)
    assert tasks.refresh_recent_rollups.apply().get() == CategoryDay.objects.count() > 0
    assert tasks.rebuild_rollups.apply().get() == CategoryDay.objects.count()


def test_without_beat_the_first_read_builds_the_rollups(world, settings, login):
    """`make run` has no broker and no beat: reading a dashboard refreshes the roll-ups, at most every 15 min."""
    settings.DASHBOARDS_REFRESH_ON_DEMAND = True
    populate(world.a1, units=1)
    assert services.rollups_refresh_on_demand() is not None  # the first time: built whole
    assert CategoryDay.objects.exists()
    assert services.rollups_refresh_on_demand() is None  # not again within 15 minutes
    settings.DASHBOARDS_REFRESH_ON_DEMAND = False
    from django.core.cache import cache

    cache.delete(services.ON_DEMAND_KEY)
    assert services.rollups_refresh_on_demand() is None  # where beat runs, never
