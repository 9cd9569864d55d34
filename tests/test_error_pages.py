"""Issue 19 item 2: 403, 404 and 500 are the portal's own pages, translated, with a way home, in DEBUG=0."""

import pytest
from django.test import Client
from django.urls import reverse
from django.views import defaults

from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def _client(language: str | None = None) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()


def test_a_resident_opening_the_dashboards_gets_the_portals_403_in_chinese():
    client = _client()
    client.force_login(ResidentFactory())
    response = client.get("/dashboards/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "此页面不对您的账号开放" in html
    assert f'href="{reverse("home")}"' in html
    assert 'name="viewport"' in html and 'id="main-nav"' in html


def test_an_unknown_page_gets_the_portals_404_with_a_way_home():
    for language, heading in (("zh-hans", "此页面不存在"), ("en", "This page does not exist")):
        response = _client(language).get("/no-such-page/")
        html = response.content.decode()
        assert response.status_code == 404
        assert heading in html
        assert f'href="{reverse("home")}"' in html


def test_an_unknown_api_path_still_answers_json():
    response = _client("en").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_500_page_is_the_portals_and_needs_nothing_that_could_fail(rf):
    from django.utils import translation

    with translation.override("zh-hans"):
        response = defaults.server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "出错" in html
    assert 'href="/"' in html and 'name="viewport"' in html
