"""Bad input that used to end in a server error: each is now a 4xx in the API's shape or a short HTML page."""

from __future__ import annotations

import json

import pytest

from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def test_deeply_nested_json_is_refused_before_parsing(world, api):
    body = "[" * 2000 + "]" * 2000
    response = api().post("/api/v1/auth/codes/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested" in response.json()["detail"]


def test_nesting_within_the_limit_reaches_the_serializer(world, api):
    response = api().post("/api/v1/auth/codes/", data={"phone": [[["1"]]]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "body",
    [
        '{"phone": "1381234\\u00001234"}',
        '{"phone\\u0000": "13812341234"}',
        '{"phone": 1e999}',
        '{"phone": NaN}',
        '{"phone": ' + "9" * 40 + "}",
    ],
)
def test_json_with_control_characters_or_unrepresentable_numbers_is_refused(world, api, body):
    response = api().post("/api/v1/auth/codes/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_body_over_the_limit_gets_the_api_error_shape(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"phone": "1" * 5000})
    response = api().post("/api/v1/auth/codes/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "detail": "The request body is too large."}


def test_a_12_megabyte_body_gets_the_api_error_shape(world, api):
    body = json.dumps({"phone": "1" * (12 * 1024 * 1024)})
    response = api().post("/api/v1/auth/codes/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "too_large"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/categories/search/?q=%00",
        "/api/v1/categories/search/?q=tai%01ji",
        "/api/v1/staff/orders/?status=%00",
        "/api/v1/staff/orders/?%00=1",
    ],
)
def test_nul_in_an_api_query_parameter_is_a_400(world, api, path):
    response = api(world.staff).get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/autocomplete/?app_label=activities&model_name=order&field_name=resident&term=%00",
        "/admin/activities/order/?status__exact=%00",
        "/admin/activities/order/?q=%00",
        "/admin/activities/order/phone/residents/?term=%00",
        "/admin/accounts/user/?q=13%00",
    ],
)
def test_nul_in_an_admin_query_parameter_is_a_400_page(world, client, path):
    client.force_login(world.staff)
    response = client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "not allowed" in response.content.decode() or "不允许" in response.content.decode()


def test_nul_in_a_form_field_is_refused_and_nothing_is_saved(world, client):
    resident = ResidentFactory(profile__community=world.home, name="王芳")
    client.force_login(world.staff)
    response = client.post(
        f"/admin/accounts/user/{resident.pk}/change/",
        {"phone": resident.phone, "name": "王\x00芳", "language": "zh-hans"},
    )
    assert response.status_code == 400
    resident.refresh_from_db()
    assert resident.name == "王芳"


def test_line_breaks_in_a_form_field_are_still_accepted(world, client):
    # Text areas send CR LF; only the characters no field takes are refused.
    client.force_login(world.owner)
    response = client.get("/", {"next": "a"})
    assert response.status_code == 200
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/\r\n"})
    assert response.status_code == 302


@pytest.mark.parametrize("size", ["0", "101", "abc", "-5"])
def test_a_page_size_out_of_range_is_a_400_not_a_silent_default(world, api, size):
    response = api(world.staff).get("/api/v1/staff/orders/", {"page_size": size})
    assert response.status_code == 400
    assert response.json()["fields"] == {"page_size": ["Give a whole number from 1 to 100."]}


def test_the_schema_states_what_the_door_refuses(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert all("400" in op["responses"] for op in operations)
    assert all("413" in op["responses"] for op in operations if "requestBody" in op)
    phone = schema["components"]["schemas"]["SignInCodeRequestRequest"]["properties"]["phone"]
    assert phone["pattern"] == r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
