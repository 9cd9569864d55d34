"""seed_demo --districts N (issue 18): N districts of the one-district seed's shape, each its own, the first
the same as a one-district seed's."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from accounts.enums import Role
from accounts.models import College, Community, District, RoleAssignment, Street, User
from activities.models import Course, Order, Session
from demo.data import district_accounts
from demo.seed import SCALES, seed_demo
from funds.models import Account, StipendRate
from interests.models import ResidentProfile
from teachers.models import Teacher
from venues.models import Venue

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TINY = SCALES["tiny"]


def _district_snapshot(district: District) -> list:
    """What a district is, by value (no ids: ids of a later district depend on the earlier ones)."""
    in_district = {"community__street__district": district}
    return [
        (district.name, district.code, district.latitude, district.longitude),
        list(
            Street.objects.filter(district=district).order_by("code").values_list("name", "code", "latitude")
        ),
        list(
            Community.objects.filter(street__district=district)
            .order_by("code")
            .values_list("name", "code", "population", "latitude", "longitude")
        ),
        list(
            User.objects.filter(profile__community__street__district=district)
            .order_by("phone")
            .values_list("name", "phone", "birth_year")
        ),
        list(
            Course.objects.filter(**in_district)
            .order_by("title", "term__name", "slot__code", "capacity")
            .values_list("title", "capacity", "slot__code")
        ),
        sorted(Order.objects.filter(**in_district).values_list("status", "category__name")),
    ]


def _seed(districts: int, seed: int = 7) -> tuple[list, dict]:
    with override_settings(PASSWORD_HASHERS=FAST_HASHER), transaction.atomic():
        report = seed_demo(scale="tiny", seed=seed, now=NOW, districts=districts)
        snapshots = [_district_snapshot(d) for d in District.objects.order_by("pk")]
        counts = {
            "profiles": ResidentProfile.objects.count(),
            "teachers": Teacher.objects.count(),
            "venues": Venue.objects.count(),
            "orders": Order.objects.count(),
            "held": Session.objects.filter(status="held", course__kind="class").count(),
            "stipend rates": StipendRate.objects.count(),
            "accounts per district": sorted(
                Account.objects.filter(college__community__street__district=d).count()
                == 0
                < College.objects.filter(community__street__district=d).count()
                for d in District.objects.all()
            ),
            "report districts": sorted(k for k in report.stages if k.startswith("district ")),
            "district offices": sorted(
                RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICE)
                .values_list("district__code", "user__phone")
                .filter(user__phone__in=[a.phone for k in range(districts) for a in district_accounts(k)])
            ),
            "city offices": RoleAssignment.objects.filter(role=Role.CITY_OFFICE).count(),
        }
        transaction.set_rollback(True)
    return snapshots, counts


@pytest.mark.django_db
def test_city_seed_first_district_is_the_one_district_seed_and_the_rest_differ():
    (alone,), _ = _seed(1)
    city, counts = _seed(3)
    assert len(city) == 3
    # Ordered by pk: the first district seeded is 两江新区, the same rows as a one-district seed.
    assert city[0] == alone
    assert [c[0][1] for c in city] == ["liangjiang", "yubei", "jiangbei"]
    # The others have the same shape (as many residents, communities by the same rule) but their own rows.
    assert city[1] != city[0] and city[2] != city[1]
    assert [len(c[3]) for c in city] == [TINY.residents] * 3
    assert all(code.startswith("yb-") for _n, code, _lat in city[1][1])
    assert city[1][1][0][2] != city[0][1][0][2]  # moved to the district's own centre
    assert counts["profiles"] == 3 * TINY.residents
    assert counts["teachers"] == 3 * TINY.teachers and counts["venues"] == 3 * TINY.venues
    assert counts["held"] == 3 * TINY.held_sessions
    assert 3 * TINY.orders <= counts["orders"] <= 3 * (TINY.orders + 3)
    # The city's own rows once; every district's colleges have their fund accounts.
    assert counts["stipend rates"] == 3 and counts["city offices"] == 1
    assert counts["accounts per district"] == [False, False, False]
    assert counts["report districts"] == ["district 1", "district 2", "district 3"]
    assert counts["district offices"] == [
        ("jiangbei", "13802000005"),
        ("liangjiang", "13800000005"),
        ("yubei", "13801000005"),
    ]


@pytest.mark.django_db
def test_city_seed_same_seed_same_city():
    first = _seed(2, seed=11)[0]
    assert first == _seed(2, seed=11)[0]
    assert first[1] != _seed(2, seed=12)[0][1]


@pytest.mark.django_db
def test_city_seed_command_and_bad_count():
    out = StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        call_command("seed_demo", "--scale", "tiny", "--districts", "2", "--no-progress", stdout=out)
    assert District.objects.count() == 2
    assert "13800000001" in out.getvalue()
    with pytest.raises(CommandError, match="already has data"):
        call_command("seed_demo", "--scale", "tiny", "--districts", "2", "--no-progress", stdout=StringIO())


@pytest.mark.django_db
def test_city_seed_refuses_zero_districts_and_writes_nothing():
    with pytest.raises(CommandError, match="between 1 and"):
        call_command("seed_demo", "--scale", "tiny", "--districts", "0", "--no-progress", stdout=StringIO())
    assert not District.objects.exists()
