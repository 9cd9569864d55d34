"""Residents from a spreadsheet: one registration service call a row, the whole file or nothing, in scope."""

import io

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.models import User
from accounts.resources import ResidentResource
from interests.models import ResidentProfile
from tests.admin.helpers import admin_url

pytestmark = pytest.mark.django_db

HEADERS = ["name", "phone", "community", "email"]


def run_import(resource, dataset, dry_run=False):
    return resource.import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
    )


def sheet(*rows):
    return tablib.Dataset(*rows, headers=HEADERS)


def test_good_rows_register_residents_through_the_service(world):
    code = world.a.community.code
    result = run_import(
        ResidentResource(user=world.community_staff),
        sheet(["张阿姨", "13900005555", code, ""], ["李大爷", "+86 139 0000 6666", code, "li@example.org"]),
    )
    assert not result.has_errors() and not result.has_validation_errors()
    li = User.objects.get(phone="13900006666")
    assert (li.name, li.email, li.profile.community, li.registered_by) == (
        "李大爷",
        "li@example.org",
        world.a.community,
        world.community_staff,
    )
    assert li.roles.filter(role="resident").exists() and not li.has_usable_password()


def test_bad_rows_are_reported_with_numbers_and_nothing_is_written(world):
    code = world.a.community.code
    before = (User.objects.count(), ResidentProfile.objects.count())
    with translation.override("en"):
        result = run_import(
            ResidentResource(user=world.community_staff),
            sheet(
                ["好居民", "13900007777", code, ""],
                ["外社区", "13900008888", world.b.community.code, ""],  # another community
                ["重复", "13900007777", code, ""],  # the same number twice in one file
                ["无号码", "", code, ""],
                ["错社区", "13900009999", "NO-SUCH", ""],
                ["老居民", world.a.resident.phone, code, ""],  # already registered
            ),
        )
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3, 4, 5, 6}
    assert invalid[2]["home_community"] == ["You can only import into your own community."]
    assert "phone" in invalid[3] and "phone" in invalid[6]
    assert invalid[4]["phone"] == ["Give the resident's full mobile number."]
    assert invalid[5]["home_community"] == ["No community has the code NO-SUCH."]
    assert (User.objects.count(), ResidentProfile.objects.count()) == before


def test_street_staff_import_into_every_community_of_their_street(world):
    result = run_import(
        ResidentResource(user=world.street_staff),
        sheet(["街道居民", "13900001212", world.a.community.code, ""]),
    )
    assert not result.has_validation_errors()
    assert User.objects.get(phone="13900001212").profile.community == world.a.community


def xlsx(rows) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("residents.xlsx", buffer.getvalue())


def test_admin_import_checks_the_file_first_then_confirms(world, login):
    client = login(world.community_staff)
    upload = xlsx([HEADERS, ["王奶奶", 13900003434, world.a.community.code, None]])
    response = client.post(admin_url(User, "import"), {"import_file": upload, "format": "0"})
    assert response.status_code == 200
    assert not response.context["result"].has_validation_errors()
    assert not User.objects.filter(phone="13900003434").exists()  # the dry run wrote nothing
    confirm = response.context["confirm_form"]
    client.post(admin_url(User, "process_import"), {**confirm.initial, "format": "0"})
    assert User.objects.get(phone="13900003434").profile.community == world.a.community


def test_admin_import_with_a_bad_row_offers_no_confirmation(world, login):
    upload = xlsx(
        [
            HEADERS,
            ["王奶奶", 13900003434, world.a.community.code, None],
            ["外人", 13900004545, world.b.community.code, None],
        ]
    )
    response = login(world.community_staff).post(
        admin_url(User, "import"), {"import_file": upload, "format": "0"}
    )
    assert [row.number for row in response.context["result"].invalid_rows] == [2]
    assert response.context.get("confirm_form") is None
    assert not User.objects.filter(phone__in=["13900003434", "13900004545"]).exists()


@pytest.mark.parametrize(
    "role,status", [("community_staff", 200), ("district_office", 403), ("superuser", 200)]
)
def test_who_may_import_residents(world, login, role, status):
    assert login(getattr(world, role)).get(admin_url(User, "import")).status_code == status


def test_resident_export_is_in_scope_with_masked_phones(world, login):
    response = login(world.community_staff).post(
        admin_url(User, "export"),
        {"format": "0", **{f"residentresource_{f}": "on" for f in ("id", "name", "phone", "community")}},
    )
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    exported = {row[0]: row for row in rows[1:]}
    assert set(exported) == {world.a.resident.pk}
    assert (
        exported[world.a.resident.pk][2] == world.a.resident.phone[:3] + "****" + world.a.resident.phone[-4:]
    )
    assert exported[world.a.resident.pk][3] == world.a.community.code
