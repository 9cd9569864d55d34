"""Classes near me: recommended first, distance shown, filters, anonymous visitors, pagination, queries."""

from datetime import time

import pytest
from django.urls import reverse

from activities.enums import CourseStatus, RegistrationStatus
from activities.views import distance_label
from tests.factories import (
    CategoryFactory,
    CommunityFactory,
    RegistrationFactory,
    ResidentFactory,
    VenueFactory,
    WeeklySlotFactory,
)

from .conftest import make_course

URL = reverse("activities:nearby")


def _titles(response) -> list[str]:
    return [row.course.title for row in response.context["rows"]]


def test_distance_label_in_metres_and_kilometres():
    assert [distance_label(km) for km in (0.347, 0.9996, 1.44, None)] == ["350 m", "1.0 km", "1.4 km", ""]


@pytest.mark.django_db
def test_nearby_anonymous_sees_classes_and_a_prompt_to_sign_in(client, community):
    make_course(community, title="太极拳入门班")
    response = client.get(URL)
    assert response.status_code == 200
    assert _titles(response) == ["太极拳入门班"]
    assert "Sign in to see the classes closest to your home" in response.text
    assert response.context["rows"][0].reason == ""


@pytest.mark.django_db
def test_nearby_lists_only_open_classes_with_a_coming_session(client, community):
    make_course(community, title="open")
    make_course(community, title="closed", status=CourseStatus.CLOSED)
    make_course(community, title="proposed", status=CourseStatus.PROPOSED)
    make_course(community, title="no sessions", sessions=0)
    assert _titles(client.get(URL)) == ["open"]


@pytest.mark.django_db
def test_nearby_recommends_my_interest_first_with_the_reason(resident_client, resident, community):
    taiji = CategoryFactory(name="太极拳", name_en="Tai chi")
    resident.profile.interests.add(taiji)
    make_course(community, title="书法班")
    make_course(community, title="太极拳班", category=taiji)
    response = resident_client.get(URL)
    assert _titles(response) == ["太极拳班", "书法班"]
    first, second = response.context["rows"]
    assert (first.reason, first.recommended) == ("Matches your interest Tai chi", True)
    assert (second.reason, second.recommended) == ("Near home", False)
    assert "Recommended for you</span> Matches your interest Tai chi" in response.text


@pytest.mark.django_db
def test_nearby_shows_the_distance_and_the_walking_circle(resident_client, community):
    near = VenueFactory(community=community, latitude=29.6530, longitude=106.5500)  # ~330 m north
    far = VenueFactory(community=community, latitude=29.6800, longitude=106.5500)  # ~3.3 km north
    make_course(community, title="near", venue=near)
    make_course(community, title="far", venue=far)
    response = resident_client.get(URL)
    rows = {row.course.title: row for row in response.context["rows"]}
    assert (rows["near"].distance, rows["near"].within_walk) == ("330 m", True)
    assert (rows["far"].distance, rows["far"].within_walk) == ("3.3 km", False)
    assert _titles(response) == ["near", "far"]
    assert "330 m · within a 15-minute walk" in response.text


@pytest.mark.django_db
def test_nearby_without_consent_is_not_personalised(resident_client, resident, community):
    taiji = CategoryFactory(name="太极拳")
    resident.profile.interests.add(taiji)
    resident.profile.consent_recommendations = False
    resident.profile.save()
    make_course(community, title="太极拳班", category=taiji)
    response = resident_client.get(URL)
    assert [row.reason for row in response.context["rows"]] == [""]
    assert "turned off personalised recommendations" in response.text


@pytest.mark.django_db
def test_nearby_category_filter_includes_the_interests_of_a_field(client, community):
    sport = CategoryFactory(name="体育")
    taiji = CategoryFactory(name="太极拳", parent=sport)
    make_course(community, title="太极拳班", category=taiji)
    make_course(community, title="书法班", category=CategoryFactory(name="书法"))
    assert _titles(client.get(URL, {"category": sport.pk})) == ["太极拳班"]
    assert _titles(client.get(URL, {"category": taiji.pk})) == ["太极拳班"]


@pytest.mark.django_db
def test_nearby_weekday_and_time_of_day_filters(client, community):
    monday_morning = WeeklySlotFactory(code="mon-0900", weekday=0, start=time(9), end=time(10))
    monday_evening = WeeklySlotFactory(code="mon-1900", weekday=0, start=time(19), end=time(20))
    friday_afternoon = WeeklySlotFactory(code="fri-1400", weekday=4, start=time(14), end=time(15))
    make_course(community, title="mon am", slot=monday_morning)
    make_course(community, title="mon pm", slot=monday_evening)
    make_course(community, title="fri", slot=friday_afternoon)
    assert sorted(_titles(client.get(URL, {"weekday": 0}))) == ["mon am", "mon pm"]
    assert _titles(client.get(URL, {"weekday": 0, "daypart": "evening"})) == ["mon pm"]
    assert _titles(client.get(URL, {"daypart": "afternoon"})) == ["fri"]


@pytest.mark.django_db
def test_nearby_community_filter(client, community):
    other = CommunityFactory(street=community.street)
    make_course(community, title="here")
    make_course(other, title="there")
    assert _titles(client.get(URL, {"community": other.pk})) == ["there"]


@pytest.mark.django_db
def test_nearby_invalid_filters_are_ignored_not_a_500(client, community):
    make_course(community, title="here")
    response = client.get(URL, {"category": "x", "weekday": "9", "daypart": "midnight", "community": "-1"})
    assert response.status_code == 200
    assert _titles(response) == ["here"]


@pytest.mark.django_db
def test_nearby_marks_my_registrations(resident_client, resident, community):
    course = make_course(community, title="mine")
    RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.WAITLISTED)
    response = resident_client.get(URL)
    assert [row.status for row in response.context["rows"]] == ["waitlisted"]
    assert "You are on the waiting list" in response.text


@pytest.mark.django_db
def test_nearby_htmx_filter_returns_the_list_only(client, community):
    make_course(community, title="here")
    response = client.get(URL, headers={"HX-Request": "true", "HX-Target": "class-list"})
    assert response.text.lstrip().startswith('<section id="class-list"')
    assert "<html" not in response.text


@pytest.mark.django_db
def test_nearby_paginates_twenty_a_page(client, community):
    for n in range(23):
        make_course(community, title=f"class {n:02d}")
    first = client.get(URL)
    second = client.get(URL, {"page": 2})
    assert (len(first.context["rows"]), len(second.context["rows"])) == (20, 3)
    assert set(_titles(first)).isdisjoint(_titles(second))
    assert "Page 1 of 2" in first.text


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_nearby_queries_do_not_grow_with_rows(resident_client, resident, community, django_assert_num_queries, rows):
    resident.profile.interests.add(CategoryFactory())
    for _ in range(rows):
        course = make_course(CommunityFactory(street=community.street))
        RegistrationFactory(course=course, resident=ResidentFactory(), status=RegistrationStatus.CONFIRMED)
    # session, user, the resident's district (then cached), profile, interests, free times, ratings (taste),
    # classes, my registrations on the page, category options, community options (both then cached)
    with django_assert_num_queries(11):
        response = resident_client.get(URL)
    assert len(response.context["rows"]) == min(rows, 20)


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_nearby_anonymous_queries_do_not_grow_with_rows(client, community, django_assert_num_queries, rows):
    for _ in range(rows):
        make_course(CommunityFactory(street=community.street))
    # classes, category options, community options
    with django_assert_num_queries(3):
        response = client.get(URL)
    assert len(response.context["rows"]) == min(rows, 20)


@pytest.mark.django_db
def test_nearby_puts_the_walking_circle_first_nearest_first_even_above_a_better_match(resident_client, resident, community):
    # Issue 19 item 7: a class 2.5 km away that matches the resident's interest was listed above one 0 m away.
    taiji = CategoryFactory(name="太极拳", name_en="Tai chi")
    resident.profile.interests.add(taiji)
    here = VenueFactory(community=community, latitude=29.65, longitude=106.55)  # 0 m
    close = VenueFactory(community=community, latitude=29.6580, longitude=106.5500)  # ~890 m
    far = VenueFactory(community=community, latitude=29.6725, longitude=106.5500)  # ~2.5 km
    farther = VenueFactory(community=community, latitude=29.6800, longitude=106.5500)  # ~3.3 km
    make_course(community, title="close, my interest", venue=close, category=taiji)
    make_course(community, title="far, my interest", venue=far, category=taiji)
    make_course(community, title="here, other", venue=here)
    make_course(community, title="farther, other", venue=farther)
    response = resident_client.get(URL)
    assert _titles(response) == ["here, other", "close, my interest", "far, my interest", "farther, other"]
    assert [row.within_walk for row in response.context["rows"]] == [True, True, False, False]


@pytest.mark.django_db
def test_nearby_filters_are_folded_away_until_used(client, community):
    make_course(community, title="太极拳入门班")
    html = client.get(URL).text
    assert '<details class="card mb-3" id="class-filters">' in html
    filtered = client.get(URL, {"weekday": 2}).text
    assert '<details class="card mb-3" id="class-filters" open>' in filtered
