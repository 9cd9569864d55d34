"""The profile (画像): home community and location, interests, weekly free time, consent."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.enums import Role
from accounts.models import RoleAssignment
from interests.models import ResidentAvailability, ResidentProfile
from interests.services import profile_update
from tests.factories import CategoryFactory, CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(client):
    """Signed up, no profile yet: no home community chosen."""
    user = UserFactory(email=None)
    client.force_login(user)
    return user


def _post(community, **extra):
    data = {"community": community.pk, "location_source": "community", "consent_sms": "on", "consent_recommendations": "on"}
    data.update(extra)
    return data


def test_profile_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("interests:profile"))
    assert response["Location"] == f"{reverse('account_login')}?next={reverse('interests:profile')}"


def test_profile_offers_communities_grouped_by_street_and_interests_by_field(client, newcomer, community, taiji):
    other_street = CommunityFactory(name="星光社区")
    html = client.get(reverse("interests:profile")).content.decode()
    assert f'<optgroup label="{community.street.name}">' in html
    assert f'<optgroup label="{other_street.street.name}">' in html
    # Issue 19 item 10: each field folds away (a <details>), named in its summary.
    assert '<summary class="h5 mb-0 p-2">Sports <span lang="zh-Hans">体育健身</span>' in html
    assert f'value="{taiji.pk}" id="interest-{taiji.pk}"' in html
    assert 'name="availability" value="0-morning"' in html
    assert "data-geolocate" in html


def test_profile_first_save_creates_profile_role_interests_and_free_times(client, newcomer, community, taiji):
    response = client.post(
        reverse("interests:profile"),
        _post(community, interests=[taiji.pk], availability=["2-afternoon", "2-evening", "5-morning"]),
    )
    assert response["Location"] == reverse("interests:profile")
    profile = ResidentProfile.objects.get(user=newcomer)
    assert (profile.community, profile.latitude, profile.longitude) == (community, community.latitude, community.longitude)
    assert list(profile.interests.all()) == [taiji]
    # Afternoon and evening touch, so they are one window.
    assert list(profile.availability.values_list("weekday", "start", "end")) == [
        (2, time(13), time(21, 30)),
        (5, time(8), time(12)),
    ]
    assert (profile.consent_sms, profile.consent_email, profile.consent_recommendations) == (True, False, True)
    assert RoleAssignment.objects.filter(user=newcomer, role=Role.RESIDENT).count() == 1


def test_profile_device_location_is_kept(client, newcomer, community):
    client.post(
        reverse("interests:profile"),
        _post(community, location_source="device", latitude="29.6612", longitude="106.5703"),
    )
    profile = ResidentProfile.objects.get(user=newcomer)
    assert (profile.latitude, profile.longitude) == (29.6612, 106.5703)
    page = client.get(reverse("interests:profile"))
    assert page.context["form"]["location_source"].value() == "device"


def test_profile_location_is_ignored_unless_it_came_from_the_device(client, newcomer, community):
    client.post(reverse("interests:profile"), _post(community, latitude="1", longitude="2"))
    profile = ResidentProfile.objects.get(user=newcomer)
    assert (profile.latitude, profile.longitude) == (community.latitude, community.longitude)


def test_profile_community_that_does_not_exist_is_a_form_error_and_saves_nothing(client, newcomer, community):
    response = client.post(reverse("interests:profile"), {**_post(community), "community": 999999})
    assert response.status_code == 400
    assert "Select a valid choice" in response.context["form"].errors["community"][0]
    html = response.content.decode()
    assert 'id="id_community_error"' in html
    assert 'aria-describedby="id_community_helptext id_community_error"' in html
    assert not ResidentProfile.objects.filter(user=newcomer).exists()
    assert not RoleAssignment.objects.filter(user=newcomer).exists()


def test_profile_location_out_of_range_is_refused(client, newcomer, community):
    response = client.post(reverse("interests:profile"), _post(community, location_source="device", latitude="95", longitude="106"))
    assert response.status_code == 400
    assert response.context["form"].errors["latitude"]
    assert 'id="latitude-errors"' in response.content.decode()
    assert not ResidentProfile.objects.filter(user=newcomer).exists()


def test_profile_unknown_interest_or_free_time_is_refused(client, newcomer, community):
    response = client.post(reverse("interests:profile"), _post(community, interests=[424242], availability=["9-night"]))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"interests", "availability"}
    assert not ResidentProfile.objects.filter(user=newcomer).exists()


def test_profile_email_notices_need_an_email_address(client, newcomer, community):
    response = client.post(reverse("interests:profile"), _post(community, consent_email="on"))
    assert response.status_code == 400
    assert "e-mail address" in response.context["form"].errors["consent_email"][0]
    assert not ResidentProfile.objects.filter(user=newcomer).exists()


def test_profile_update_replaces_interests_and_free_times_and_consent_can_be_refused(resident_client, resident, community, taiji):
    profile = resident.profile
    ResidentAvailability.objects.create(profile=profile, weekday=0, start=time(9), end=time(10))
    profile.interests.add(CategoryFactory(parent=taiji.parent))
    response = resident_client.post(reverse("interests:profile"), _post(community, interests=[taiji.pk], consent_recommendations=""))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert list(profile.interests.all()) == [taiji]
    assert profile.availability.count() == 0
    assert profile.consent_recommendations is False


def test_profile_page_shows_current_choices(resident_client, resident, taiji):
    resident.profile.interests.add(taiji)
    ResidentAvailability.objects.create(profile=resident.profile, weekday=3, start=time(9), end=time(10, 30))
    form = resident_client.get(reverse("interests:profile")).context["form"]
    assert form["community"].value() == resident.profile.community_id
    assert form.selected("interests") == {str(taiji.pk)}
    assert form.selected("availability") == {"3-morning"}


def test_profile_redirects_to_next_after_the_first_save(client, newcomer, community):
    target = reverse("interests:groups")
    response = client.post(f"{reverse('interests:profile')}?next={target}", _post(community, next=target))
    assert response["Location"] == target


def test_profile_ignores_a_next_on_another_site(client, newcomer, community):
    response = client.post(reverse("interests:profile"), _post(community, next="https://evil.example/"))
    assert response["Location"] == reverse("interests:profile")


@pytest.mark.parametrize("size", [1, 50])
def test_profile_page_queries_do_not_grow_with_the_trees(client, django_assert_num_queries, resident, taiji, size):
    for n in range(size):
        CommunityFactory()
        category = CategoryFactory(parent=taiji.parent, name=f"兴趣项{n}")
        resident.profile.interests.add(category)
    client.force_login(resident)
    # session, user, profile (+community, street), communities, categories, my interests, my free times,
    # my 榜样 badges
    with django_assert_num_queries(8):
        response = client.get(reverse("interests:profile"))
    assert response.status_code == 200


# --- the service on its own -------------------------------------------------------------------------------


def test_profile_update_service_refuses_half_a_location_and_saves_nothing(community):
    user = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        profile_update(user=user, community=community, latitude=29.6)
    assert "latitude" in excinfo.value.error_dict
    assert not ResidentProfile.objects.filter(user=user).exists()


def test_profile_update_service_refuses_inactive_interests(community):
    user = UserFactory()
    retired = CategoryFactory(is_active=False)
    with pytest.raises(ValidationError) as excinfo:
        profile_update(user=user, community=community, interests=[retired])
    assert "interests" in excinfo.value.error_dict
    assert not ResidentProfile.objects.filter(user=user).exists()


def test_profile_update_service_is_one_transaction(community, monkeypatch):
    """A failure after the profile row was written leaves no profile behind."""
    user = UserFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ResidentAvailability.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        profile_update(user=user, community=community, availability=[(1, time(8), time(12))])
    assert not ResidentProfile.objects.filter(user=user).exists()
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_profile_update_service_merges_overlapping_windows(community):
    user = UserFactory()
    profile = profile_update(
        user=user, community=community, availability=[(4, time(9), time(11)), (4, time(10), time(12)), (4, time(8), time(9))]
    )
    assert list(profile.availability.values_list("weekday", "start", "end")) == [(4, time(8), time(12))]


def test_profile_interests_are_the_leaves_of_a_deeper_tree_grouped_by_broad_field(client, newcomer, community):
    from interests.selectors import interests_by_field

    sports = CategoryFactory(name="体育")
    traditional = CategoryFactory(name="传统健身", parent=sports)
    taiji = CategoryFactory(name="太极拳", parent=traditional)
    walking = CategoryFactory(name="健步走", parent=sports)
    retired_field = CategoryFactory(name="旧领域", is_active=False)
    CategoryFactory(name="旧兴趣", parent=retired_field)

    [branch] = interests_by_field()
    assert branch.field == sports
    assert branch.groups == [(None, [walking]), (traditional, [taiji])]

    response = client.post(reverse("interests:profile"), _post(community, interests=[traditional.pk]))
    assert response.status_code == 400  # a sub-field is not a concrete interest
    client.post(reverse("interests:profile"), _post(community, interests=[taiji.pk, walking.pk]))
    assert set(ResidentProfile.objects.get(user=newcomer).interests.all()) == {taiji, walking}


def test_profile_interests_fold_away_show_the_choices_and_save_stays_in_reach(resident_client, resident, taiji):
    # Issue 19 item 10: sixty checkboxes made the page 5.5 screens long with Save only at the bottom.
    resident.profile.interests.add(taiji)
    html = resident_client.get(reverse("interests:profile")).content.decode()
    summary = html[html.index('<details class="interest-branch') : html.index("</summary>")]
    assert 'class="badge text-bg-success ms-1">Tai chi' in summary
    assert " open" not in summary.split(">")[0]
    assert '<div class="sticky-save">' in html
