"""Masked mobile numbers cannot be read back by searching for their hidden digits, one guess at a time."""

from __future__ import annotations

import pytest

from activities.orders import order_place
from notices.models import Notice
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db

TARGET = "19812342395"  # shown as 198****2395; the four middle digits are the secret


@pytest.fixture
def target(world):
    resident = ResidentFactory(profile__community=world.home, phone=TARGET, name="赵大爷")
    # A neighbour whose number shares the visible parts, so a search that matches on them finds both.
    ResidentFactory(profile__community=world.home, phone="19800002395", name="钱阿姨")
    order_place(resident=resident, category=world.leaf)
    Notice.objects.create(
        recipient=resident, purpose="order_accepted", object_key="order:1", language="zh-hans", title="t", body="b"
    )
    return resident


def _found_by_changelist(client, path):
    def found(term: str) -> set[str]:
        response = client.get(path, {"q": term})
        assert response.status_code == 200
        return {getattr(row, "phone", None) or _phone_of(row) for row in response.context["cl"].result_list}

    return found


def _phone_of(row) -> str:
    for path in ("resident", "recipient", "user"):
        if hasattr(row, path):
            return getattr(row, path).phone
    raise AssertionError(row)


def _found_by_autocomplete(client, path, params):
    def found(term: str) -> set[str]:
        response = client.get(path, {**params, "term": term})
        assert response.status_code == 200
        return {item["text"] for item in response.json()["results"]}

    return found


def _enumerate(found, hit) -> tuple[str, int]:
    """The attack from the report: grow a known prefix one digit at a time; return what it learnt."""
    known, requests = TARGET[:3], 0
    while len(known) < 7:
        for digit in "0123456789":
            requests += 1
            if hit(found(known + digit)):
                known += digit
                break
        else:
            return known, requests
    return known, requests


SEARCHES = {
    "users": lambda c: _found_by_changelist(c, "/admin/accounts/user/"),
    "orders": lambda c: _found_by_changelist(c, "/admin/activities/order/"),
    "notices": lambda c: _found_by_changelist(c, "/admin/notices/notice/"),
    "profiles": lambda c: _found_by_changelist(c, "/admin/interests/residentprofile/"),
    "autocomplete": lambda c: _found_by_autocomplete(
        c,
        "/admin/autocomplete/",
        {"app_label": "activities", "model_name": "order", "field_name": "resident"},
    ),
    "phone order look-up": lambda c: _found_by_autocomplete(
        c,
        "/admin/activities/order/phone/residents/",
        {"app_label": "activities", "model_name": "order", "field_name": "resident"},
    ),
}


def _hit(result: set[str]) -> bool:
    return any(TARGET in item or "赵大爷" in item for item in result)


@pytest.mark.parametrize("where", list(SEARCHES))
@pytest.mark.parametrize("role", ["district_office", "staff"])
def test_digit_by_digit_enumeration_learns_nothing(world, client, target, where, role):
    client.force_login(getattr(world, role))
    learnt, requests = _enumerate(SEARCHES[where](client), _hit)
    assert learnt == TARGET[:3]  # not one hidden digit
    assert requests == 10  # the first position already fails all ten guesses


@pytest.mark.parametrize("where", ["users", "orders", "notices", "autocomplete", "phone order look-up"])
def test_the_district_office_cannot_search_by_phone_at_all(world, client, target, where):
    client.force_login(world.district_office)
    found = SEARCHES[where](client)
    assert not _hit(found(TARGET))
    assert not _hit(found("2395"))
    assert _hit(found("赵大爷"))  # a name still finds the resident


@pytest.mark.parametrize("where", ["users", "orders", "notices", "autocomplete", "phone order look-up"])
def test_community_staff_find_a_caller_by_whole_number_or_last_four_digits(world, client, target, where):
    client.force_login(world.staff)
    found = SEARCHES[where](client)
    assert _hit(found(TARGET))
    assert _hit(found("198 1234 2395"))
    assert _hit(found("2395"))
    assert not _hit(found("1234"))  # the middle digits
    assert not _hit(found("1981234"))


def test_staff_of_another_community_find_nothing_even_by_whole_number(world, client, target):
    client.force_login(world.other_staff)
    assert not _hit(SEARCHES["users"](client)(TARGET))


def test_admin_search_is_rate_limited_per_user(world, client, target, settings):
    settings.ADMIN_SEARCH_RATE = (3, 60)
    client.force_login(world.staff)
    found = SEARCHES["users"](client)
    assert [_hit(found("赵大爷")) for _ in range(3)] == [True, True, True]
    response = client.get("/admin/accounts/user/", {"q": "赵大爷"}, HTTP_ACCEPT_LANGUAGE="en")
    assert list(response.context["cl"].result_list) == []
    assert [str(m) for m in response.context["messages"]] == ["Too many searches: wait a minute and search again."]
    # Another staff member has a budget of their own; browsing without a search is never limited.
    assert client.get("/admin/accounts/user/").status_code == 200
    client.force_login(world.other_staff)
    assert client.get("/admin/accounts/user/", {"q": "x"}).context["messages"]._loaded_messages == []


def test_the_district_office_cannot_sort_by_the_masked_number(world, client, target):
    client.force_login(world.district_office)
    response = client.get("/admin/accounts/user/")
    column = list(response.context["cl"].list_display).index("masked_phone")
    sorted_up = client.get("/admin/accounts/user/", {"o": str(column)})
    sorted_down = client.get("/admin/accounts/user/", {"o": f"-{column}"})
    # The order is the default one, whichever way the masked column is asked for.
    assert [u.pk for u in sorted_up.context["cl"].result_list] == [u.pk for u in sorted_down.context["cl"].result_list]
    assert "masked_phone" not in sorted_up.context["cl"].sortable_by


def test_community_staff_may_sort_by_number(world, client, target):
    client.force_login(world.staff)
    response = client.get("/admin/accounts/user/")
    column = list(response.context["cl"].list_display).index("masked_phone")
    up = [u.phone for u in client.get("/admin/accounts/user/", {"o": str(column)}).context["cl"].result_list]
    down = [u.phone for u in client.get("/admin/accounts/user/", {"o": f"-{column}"}).context["cl"].result_list]
    assert up == sorted(up) and down == sorted(down, reverse=True) and up != down


def test_the_shared_teacher_pool_cannot_be_sorted_by_masked_numbers(world, client):
    from tests.factories import TeacherFactory

    TeacherFactory(community=world.elsewhere, name="甲", phone="13900000001")
    TeacherFactory(community=world.elsewhere, name="乙", phone="13999999999")
    client.force_login(world.staff)  # sees the other community's teachers, numbers masked
    response = client.get("/admin/teachers/teacher/")
    column = list(response.context["cl"].list_display).index("masked_phone")
    up = [t.pk for t in client.get("/admin/teachers/teacher/", {"o": str(column)}).context["cl"].result_list]
    down = [t.pk for t in client.get("/admin/teachers/teacher/", {"o": f"-{column}"}).context["cl"].result_list]
    assert up == down
