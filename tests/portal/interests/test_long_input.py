"""Issue 19 item 11: long pasted text is counted and refused with a message, never cut silently; search
ignores symbols and emoji and answers a 5,000-character query."""

import pytest
from django.urls import reverse

from activities.models import Order
from activities.resident_selectors import search_categories
from teachers.models import TeacherRecommendation
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_order_note_box_counts_instead_of_cutting_silently(resident_client, taiji):
    html = resident_client.get(reverse("interests:order_create"), {"category": taiji.pk}).content.decode()
    box = html[html.index("<textarea") : html.index("</textarea>")]
    assert 'data-maxlength="500"' in box
    assert "maxlength=" not in box.replace("data-maxlength=", "")


def test_an_over_long_order_note_is_refused_with_a_message_and_nothing_saved(resident_client, taiji, sports):
    other = CategoryFactory(name="书法", parent=sports)
    response = resident_client.post(reverse("interests:order_create"), {"category": taiji.pk, "note": "好" * 501})
    assert response.status_code == 400
    assert response.context["form"].errors["note"] == [
        "This is 501 characters long; at most 500 fit. Please shorten it."
    ]
    assert Order.objects.count() == 0
    ok = resident_client.post(reverse("interests:order_create"), {"category": other.pk, "note": "好" * 500})
    assert ok.status_code == 302
    assert list(Order.objects.values_list("category_id", flat=True)) == [other.pk]


def test_an_over_long_teacher_recommendation_is_refused_with_a_message(resident_client, taiji):
    response = resident_client.post(
        reverse("teachers:recommend"), {"name": "王老师", "categories": [taiji.pk], "note": "x" * 5000}
    )
    assert response.status_code in (200, 400)
    assert "This is 5000 characters long; at most 500 fit." in response.content.decode()
    assert TeacherRecommendation.objects.count() == 0


def test_the_admin_wording_of_djangos_own_length_check_is_ours_in_chinese():
    from django import forms
    from django.utils import translation

    field = forms.CharField(max_length=500)
    with translation.override("zh-hans"):
        with pytest.raises(forms.ValidationError) as caught:
            field.clean("好" * 5000)
        message = caught.value.messages[0]  # lazy: read while Chinese is active
    assert message == "最多 500 个字，现在有 5000 个字，请删减后再提交。"


@pytest.mark.parametrize("query", ["🙂太极", "太极🙂", "“太极”", "#taiji!", "ｔａｉｊｉ", "tai-ji", "太极。。。"])
def test_search_ignores_symbols_and_emoji(taiji, query):
    CategoryFactory(name="书法", parent=taiji.parent)
    assert [c.name for c in search_categories(query)] == ["太极拳"]


def test_search_of_only_symbols_finds_nothing_and_says_what_to_type(client, taiji):
    assert list(search_categories("🙂🙂!!")) == []
    html = client.get(reverse("interests:search"), {"q": "🙂🙂!!"}).content.decode()
    assert "Type an interest in letters or characters" in html


def test_a_5000_character_search_answers_with_its_beginning(client, taiji):
    response = client.get(reverse("interests:search"), {"q": "太极" + "拳" * 4998})
    assert response.status_code == 200
    html = response.content.decode()
    assert "only its first 60 characters were searched" in html
    assert response.context["query"] == ("太极" + "拳" * 58)
    short = client.get(reverse("interests:search"), {"q": "太极"})
    assert [c.name for c in short.context["results"]] == ["太极拳"]
    assert "only its first" not in short.content.decode()
