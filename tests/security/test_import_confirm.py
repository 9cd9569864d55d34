"""The import's confirm step reads only the file this user's dry run stored: nothing else on the server."""

from __future__ import annotations

import io
import os
import tempfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

HEADERS = ["name", "phone", "community", "email"]
REFUSED = "This import cannot be confirmed: upload the file again and check it first."


def _xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _stray_file(content: bytes, suffix: str = "") -> str:
    """A file somebody else left in the server's temporary folder."""
    handle, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(handle, "wb") as stream:
        stream.write(content)
    return path


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def _dry_run(client, world, phone="13900003434"):
    upload = SimpleUploadedFile(
        "residents.xlsx", _xlsx_bytes([HEADERS, ["王奶奶", int(phone), world.home.code, None]])
    )
    response = client.post("/admin/accounts/user/import/", {"import_file": upload, "format": "0"})
    assert response.status_code == 200
    return response.context["confirm_form"].initial


@pytest.mark.parametrize("name", ["does-not-exist", "../../etc/passwd", ""])
def test_a_made_up_file_name_is_refused_with_a_message(world, client, name):
    client.force_login(world.staff)
    response = client.post(
        "/admin/venues/venue/process_import/",
        {"import_file_name": name, "original_file_name": "x.xlsx", "format": "0", "resource": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/venues/venue/import/"
    assert _messages(response) == [REFUSED]


def test_a_non_spreadsheet_in_the_temporary_folder_is_never_read(world, client):
    path = _stray_file(b"not a zip at all")
    try:
        client.force_login(world.staff)
        response = client.post(
            "/admin/venues/venue/process_import/",
            {"import_file_name": os.path.basename(path), "original_file_name": "x.xlsx", "format": "0"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 302
        assert _messages(response) == [REFUSED]
        assert os.path.exists(path)
    finally:
        os.remove(path)


def test_another_valid_sheet_in_the_temporary_folder_is_neither_imported_nor_deleted(world, client):
    path = _stray_file(_xlsx_bytes([HEADERS, ["外人", 13900005656, world.home.code, None]]), ".xlsx")
    try:
        client.force_login(world.staff)
        response = client.post(
            "/admin/accounts/user/process_import/",
            {"import_file_name": os.path.basename(path), "original_file_name": "x.xlsx", "format": "0"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert _messages(response) == [REFUSED]
        assert os.path.exists(path)
        assert not User.objects.filter(phone="13900005656").exists()
    finally:
        os.remove(path)


def test_a_dry_run_of_another_user_cannot_be_confirmed(world, client):
    colleague = StaffFactory(community=world.home)
    client.force_login(colleague)
    initial = _dry_run(client, world)
    client.force_login(world.staff)
    response = client.post("/admin/accounts/user/process_import/", initial, HTTP_ACCEPT_LANGUAGE="en")
    assert _messages(response) == [REFUSED]
    assert not User.objects.filter(phone="13900003434").exists()


def test_a_dry_run_of_another_model_cannot_be_confirmed_here(world, client):
    client.force_login(world.staff)
    initial = _dry_run(client, world)
    response = client.post("/admin/venues/venue/process_import/", initial, HTTP_ACCEPT_LANGUAGE="en")
    assert _messages(response) == [REFUSED]


def test_the_own_dry_run_is_confirmed_once(world, client):
    client.force_login(world.staff)
    initial = _dry_run(client, world)
    assert not User.objects.filter(phone="13900003434").exists()
    client.post("/admin/accounts/user/process_import/", initial)
    assert User.objects.get(phone="13900003434").profile.community == world.home
    again = client.post("/admin/accounts/user/process_import/", initial, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 302
    # The first confirmation's success message is still waiting to be shown.
    assert _messages(again)[-1] == "This import was already confirmed or has expired: upload the file again."
    assert User.objects.filter(phone="13900003434").count() == 1
