"""The published star standard in the admin: the district edits drafts and publishes; others read."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dashboards.models import StarStandard
from ratings import stars

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:dashboards_starstandard_changelist"


def add_form(**overrides) -> dict:
    data = {
        "name": "2027年标准",
        "effective_from": "2027-01-01",
        "two_stars": "35",
        "three_stars": "50",
        "four_stars": "65",
        "five_stars": "80",
        "note": "",
        "indicators-TOTAL_FORMS": str(len(stars.INDICATORS)),
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": str(len(stars.INDICATORS)),
    }
    for i, spec in enumerate(stars.INDICATORS):
        data |= {
            f"indicators-{i}-code": spec.code,
            f"indicators-{i}-weight": str(spec.weight),
            f"indicators-{i}-worst": str(spec.worst),
            f"indicators-{i}-best": str(spec.best),
        }
    return data | overrides


def test_the_district_adds_a_draft_prefilled_with_the_catalogue(world, login):
    client = login(world.district_office)
    page = client.get(reverse("admin:dashboards_starstandard_add"))
    assert page.status_code == 200
    formset = page.context["inline_admin_formsets"][0].formset
    assert [f.initial["code"] for f in formset.forms] == [s.code for s in stars.INDICATORS]
    response = client.post(reverse("admin:dashboards_starstandard_add"), add_form())
    assert response.status_code == 302, response.context["errors"] if response.context else response
    standard = StarStandard.objects.get(name="2027年标准")
    assert standard.thresholds == (35, 50, 65, 80)
    assert not standard.is_published
    assert standard.indicators.count() == len(stars.INDICATORS)


def test_thresholds_must_rise(world, login):
    response = login(world.district_office).post(
        reverse("admin:dashboards_starstandard_add"), add_form(three_stars="30")
    )
    assert response.status_code == 200
    assert not StarStandard.objects.filter(name="2027年标准").exists()


def test_publish_and_copy_actions(world, login):
    client = login(world.district_office)
    client.post(reverse("admin:dashboards_starstandard_add"), add_form())
    draft = StarStandard.objects.get(name="2027年标准")
    client.post(reverse(CHANGELIST), {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.is_published and draft.published_by == world.district_office
    # Published: read-only; a change goes through a copy.
    change = reverse("admin:dashboards_starstandard_change", args=[draft.pk])
    client.post(change, add_form(name="改过的"))
    draft.refresh_from_db()
    assert draft.name == "2027年标准"
    client.post(reverse(CHANGELIST), {"action": "copy_as_draft", "_selected_action": [draft.pk]})
    copy = StarStandard.objects.get(name="2027年标准 (draft)")
    assert not copy.is_published and copy.indicators.count() == len(stars.INDICATORS)
    assert copy.effective_from.day == 1 and copy.effective_from > date.today().replace(day=1)


def test_a_standard_without_every_indicator_cannot_be_published(world, login):
    from dashboards import services

    standard = StarStandard.objects.create(
        name="不完整", effective_from=date(2027, 1, 1), two_stars=40, three_stars=55, four_stars=70, five_stars=85
    )
    with pytest.raises(ValidationError, match="Missing"):
        services.star_standard_publish(standard=standard)


@pytest.mark.parametrize("role", ["community_staff", "street_staff"])
def test_other_staff_read_the_standard_without_changing_it(world, login, role):
    client = login(getattr(world, role))
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse("admin:dashboards_starstandard_add")).status_code == 403
    standard = StarStandard.objects.get()  # the default one, published by the migration
    page = client.get(reverse("admin:dashboards_starstandard_change", args=[standard.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]


def test_residents_do_not_reach_the_admin(world, login):
    response = login(world.resident).get(reverse(CHANGELIST))
    assert response.status_code == 302
