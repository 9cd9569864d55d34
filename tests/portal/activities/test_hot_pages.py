"""The pages residents load when a popular class opens, as the second and later visitors load them: the class
page with the resident's place in the queue found in the same query as the queue, "classes near me" with its
filter options from the cache."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activities.enums import RegistrationStatus
from tests.factories import CategoryFactory, CommunityFactory, RegistrationFactory, ResidentFactory

from .conftest import make_course

NEARBY = reverse("activities:nearby")


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 3])
def test_nearby_again_reads_its_filter_options_from_the_cache(resident_client, resident, community, django_assert_num_queries, rows):
    resident.profile.interests.add(CategoryFactory())
    for _ in range(rows):
        make_course(CommunityFactory(street=community.street))
    resident_client.get(NEARBY)
    # session, user, profile, interests, free times, ratings (taste), classes, my registrations on the page
    with django_assert_num_queries(8):
        response = resident_client.get(NEARBY)
    assert len(response.context["rows"]) == rows
    # The options are still the ones the database gives.
    assert len(response.context["form"].fields["community"].choices) == rows + 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [RegistrationStatus.WAITLISTED, None])
def test_the_class_page_finds_my_place_with_the_queue(resident_client, resident, community, status):
    course = make_course(community, capacity=1)
    other = make_course(community, capacity=1)
    RegistrationFactory(course=course, resident=ResidentFactory(), status=RegistrationStatus.CONFIRMED)
    first = RegistrationFactory(course=course, resident=ResidentFactory(), status=RegistrationStatus.WAITLISTED)
    # Another class's queue and my place in it count for nothing here.
    RegistrationFactory(course=other, resident=resident, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(course=other, resident=ResidentFactory(), status=RegistrationStatus.WAITLISTED)
    mine = RegistrationFactory(course=course, resident=resident, status=status) if status else None
    last = RegistrationFactory(course=course, resident=ResidentFactory(), status=RegistrationStatus.WAITLISTED)
    state = resident_client.get(reverse("activities:course_detail", args=[course.pk])).context["state"]
    assert state.waiting == (3 if mine else 2)
    assert (state.registration.pk if state.registration else None) == (mine.pk if mine else None)
    assert state.position == (2 if mine else None)
    assert {first.pk, last.pk}.isdisjoint({state.registration.pk if state.registration else None})


@pytest.mark.django_db
def test_the_class_page_breaks_a_tie_in_the_queue_by_id(resident_client, resident, community):
    course = make_course(community, capacity=1)
    earlier = RegistrationFactory(course=course, resident=ResidentFactory(), status=RegistrationStatus.WAITLISTED)
    mine = RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.WAITLISTED)
    later = RegistrationFactory(course=course, resident=ResidentFactory(), status=RegistrationStatus.WAITLISTED)
    type(mine).objects.filter(pk__in=[earlier.pk, mine.pk, later.pk]).update(created=mine.created)
    state = resident_client.get(reverse("activities:course_detail", args=[course.pk])).context["state"]
    assert (state.registration.pk, state.position, state.waiting) == (mine.pk, 2, 3)
