"""Issue 19 item 17: interest names in the reader's language in the filters and the recommend-a-teacher list."""

import pytest
from django.urls import reverse

from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_recommend_a_teacher_lists_interests_in_english_for_an_english_reader(resident_client, taiji):
    CategoryFactory(name="书法", name_en="Calligraphy", parent=taiji.parent)
    html = resident_client.get(reverse("teachers:recommend")).content.decode()
    assert ">Tai chi</option>" in html and ">Calligraphy</option>" in html
    assert ">太极拳</option>" not in html


def test_recommend_a_teacher_lists_interests_in_chinese_by_default(client, resident, taiji, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(resident)
    html = client.get(reverse("teachers:recommend")).content.decode()
    assert ">太极拳</option>" in html


def test_an_interest_without_an_english_name_keeps_its_chinese_one(resident_client, taiji):
    CategoryFactory(name="葫芦丝", name_en="", parent=taiji.parent)
    html = resident_client.get(reverse("teachers:recommend")).content.decode()
    assert ">葫芦丝</option>" in html


def test_the_order_message_names_the_interest_in_english(resident_client, taiji):
    response = resident_client.post(reverse("interests:order_create"), {"category": taiji.pk}, follow=True)
    assert "Your order for Tai chi has been sent" in response.content.decode()


def test_dashboard_interest_filter_in_english(taiji):
    from django.core.cache import cache
    from django.utils import translation

    from dashboards.selectors import category_tree

    cache.clear()
    nodes = {node.id: node for node in category_tree()}
    with translation.override("en"):
        assert nodes[taiji.pk].label == "Tai chi"
    with translation.override("zh-hans"):
        assert nodes[taiji.pk].label == "太极拳"
