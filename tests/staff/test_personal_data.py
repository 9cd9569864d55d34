"""Mobile numbers: masked in every list and export; in full only on the detail page of a resident in one's own scope."""

import pytest

from accounts.models import User
from activities.models import Order
from interests.models import ResidentProfile
from tests.admin.helpers import admin_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [User, ResidentProfile, Order])
@pytest.mark.parametrize("role", ["community_staff", "district_office"])
def test_lists_show_masked_numbers(world, login, model, role):
    html = login(getattr(world, role)).get(admin_url(model, "changelist")).content.decode()
    phone = world.a.resident.phone
    assert phone not in html and f"{phone[:3]}****{phone[-4:]}" in html


def test_full_number_on_own_residents_detail_page(world, login):
    html = login(world.community_staff).get(admin_url(User, "change", world.a.resident.pk)).content.decode()
    assert world.a.resident.phone in html


def test_district_office_reads_the_detail_page_masked(world, login):
    phone = world.a.resident.phone
    html = login(world.district_office).get(admin_url(User, "change", world.a.resident.pk)).content.decode()
    assert phone not in html and f"{phone[:3]}****{phone[-4:]}" in html


def test_other_communitys_resident_detail_page_is_not_there(world, login):
    assert login(world.community_staff).get(admin_url(User, "change", world.b.resident.pk)).status_code == 404
