"""Residents recommend a teacher from the portal; the recommendation waits in their community's review queue."""

import pytest
from django.urls import reverse

from teachers.models import RecommendationStatus, TeacherRecommendation
from tests.factories import CategoryFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("teachers:recommend")


@pytest.fixture
def resident_client(client):
    resident = ResidentFactory()
    client.force_login(resident, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.resident = resident
    return client


def test_the_form_needs_a_signed_in_resident(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_resident_without_a_home_community_chooses_one_first(client):
    client.force_login(UserFactory(), backend="accounts.backends.PhoneOrEmailBackend")
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("interests:profile"))


def test_recommendation_goes_to_the_residents_community(resident_client):
    taiji = CategoryFactory(name="太极拳")
    page = resident_client.get(URL)
    assert page.status_code == 200 and "太极拳" in page.content.decode()
    response = resident_client.post(
        URL,
        {"name": "陈师傅", "phone": "139 0000 1111", "categories": [taiji.pk], "note": "练了三十年"},
        follow=True,
    )
    recommendation = TeacherRecommendation.objects.get()
    assert (
        recommendation.name,
        recommendation.phone,
        recommendation.community,
        recommendation.recommended_by,
        recommendation.status,
        list(recommendation.categories.all()),
    ) == (
        "陈师傅",
        "13900001111",
        resident_client.resident.profile.community,
        resident_client.resident,
        RecommendationStatus.PENDING,
        [taiji],
    )
    assert "Thank you" in [str(m) for m in response.context["messages"]][0]


def test_bad_input_is_explained_and_nothing_is_saved(resident_client):
    taiji = CategoryFactory()
    missing = resident_client.post(URL, {"name": "", "categories": []})
    bad_phone = resident_client.post(URL, {"name": "陈师傅", "phone": "12345", "categories": [taiji.pk]})
    assert (missing.status_code, bad_phone.status_code) == (400, 400)
    assert set(missing.context["form"].errors) == {"name", "categories"}
    assert bad_phone.context["form"].non_field_errors()
    assert TeacherRecommendation.objects.count() == 0
