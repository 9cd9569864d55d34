"""Spreadsheet import and export: whole-file validation, row numbers and reasons, nothing partly imported,
masked phones, scope."""

import io

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from interests.models import InterestGroup, ResidentProfile
from interests.resources import InterestGroupResource
from teachers.models import Teacher
from teachers.resources import TeacherResource
from tests.admin.helpers import admin_url
from venues.models import Venue
from venues.resources import VenueResource

pytestmark = pytest.mark.django_db

VENUE_HEADERS = ["id", "name", "community", "owner_type", "address", "capacity", "contact_phone"]


def venue_rows(world, *rows):
    return tablib.Dataset(*rows, headers=VENUE_HEADERS)


def run_import(resource, dataset, dry_run=False):
    return resource.import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
    )


def test_good_file_imports_every_row(world):
    code = world.a.community.code
    data = venue_rows(
        world,
        ["", "一号活动室", code, "school", "路1号", 20, ""],
        ["", "二号活动室", code, "school", "路2号", 30, ""],
    )
    result = run_import(VenueResource(user=world.community_staff), data)
    assert not result.has_errors() and not result.has_validation_errors()
    assert set(Venue.objects.filter(community=world.a.community).values_list("name", flat=True)) >= {
        "一号活动室",
        "二号活动室",
    }


def test_one_bad_row_rejects_the_whole_file_with_row_numbers_and_reasons(world):
    code = world.a.community.code
    data = venue_rows(
        world,
        ["", "好的活动室", code, "school", "路1号", 20, ""],
        ["", "坏的活动室", code, "school", "路2号", 0, ""],  # capacity must be at least 1
        ["", "外社区活动室", world.b.community.code, "school", "路3号", 10, ""],  # another community
    )
    before = Venue.objects.count()
    with translation.override("en"):  # the reasons are compared in English, whatever ran before
        result = run_import(VenueResource(user=world.community_staff), data)
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3}
    assert "capacity" in invalid[2]
    assert invalid[3]["community"] == ["You can only import into your own community."]
    assert Venue.objects.count() == before  # the good row was not written either


def test_changing_another_communitys_row_by_id_is_refused(world):
    venue = world.b.venue
    data = venue_rows(world, [venue.pk, "改名", world.a.community.code, "school", "路", 10, ""])
    result = run_import(VenueResource(user=world.community_staff), data)
    assert [row.number for row in result.invalid_rows] == [1]
    assert Venue.objects.get(pk=venue.pk).name == venue.name


def test_masked_phone_in_a_reimported_sheet_keeps_the_number_on_record(world):
    Teacher.objects.filter(pk=world.a.teacher.pk).update(phone="13800001234")
    exported = TeacherResource(user=world.community_staff).export(
        Teacher.objects.filter(pk=world.a.teacher.pk)
    )
    assert exported.dict[0]["phone"] == "138****1234"
    result = run_import(TeacherResource(user=world.community_staff), exported)
    assert not result.has_validation_errors() and not result.has_errors()
    assert Teacher.objects.get(pk=world.a.teacher.pk).phone == "13800001234"


def test_interest_group_import_scope(world):
    data = tablib.Dataset(
        ["", "新太极组", world.a.order.category_id, world.a.community.code],
        ["", "外组", world.a.order.category_id, world.b.community.code],
        headers=["id", "name", "category_id", "community"],
    )
    result = run_import(InterestGroupResource(user=world.street_staff), data)
    assert [row.number for row in result.invalid_rows] == [2]
    assert not InterestGroup.objects.filter(name__in=["新太极组", "外组"]).exists()


def test_admin_export_is_xlsx_in_scope_with_masked_phones(world, login):
    client = login(world.community_staff)
    response = client.post(
        admin_url(ResidentProfile, "export"),
        {
            "format": "0",
            **{f"residentresource_{f}": "on" for f in ("id", "name", "phone", "community", "grid")},
        },
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    phones = [row[2] for row in rows[1:]]
    assert world.a.resident.phone not in phones and "****" in phones[0]
    assert {row[0] for row in rows[1:]} == {world.a.profile.pk}


def test_admin_import_dry_run_shows_row_errors_and_writes_nothing(world, login):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(VENUE_HEADERS)
    sheet.append([None, "导入室", world.a.community.code, "school", "路", 0, None])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("venues.xlsx", buffer.getvalue())
    before = Venue.objects.count()
    response = login(world.community_staff).post(
        admin_url(Venue, "import"), {"import_file": upload, "format": "0"}
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [1]
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert Venue.objects.count() == before


@pytest.mark.parametrize("role,status", [("community_staff", 200), ("district_office", 403)])
def test_district_office_may_export_but_not_import(world, login, role, status):
    client = login(getattr(world, role))
    assert client.get(admin_url(Venue, "import")).status_code == status
    assert client.get(admin_url(Venue, "export")).status_code == 200


def test_residents_cannot_be_imported(world, login):
    assert login(world.community_staff).get(admin_url(ResidentProfile, "import")).status_code == 403
