"""Teachers' skills and weekly free times in the teacher sheet: exported as text, read back with row errors."""

from datetime import time

import pytest
import tablib
from django.utils import translation

from teachers.models import Teacher, TeacherAvailability
from teachers.resources import TeacherResource, parse_free_times
from tests.factories import CategoryFactory, TeacherFactory, TeacherSkillFactory

pytestmark = pytest.mark.django_db

HEADERS = ["id", "name", "source", "kind", "community", "skills", "free_times"]


def run_import(resource, dataset):
    return resource.import_data(
        dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
    )


def test_free_times_read_chinese_and_english_weekdays():
    assert parse_free_times("周一 09:00-11:00; Wed 14:00-16:00；星期日 8:30~10:00, saturday 19:00–20:30") == [
        (0, time(9), time(11)),
        (2, time(14), time(16)),
        (6, time(8, 30), time(10)),
        (5, time(19), time(20, 30)),
    ]
    assert parse_free_times("") == []


@pytest.mark.parametrize(
    "text", ["周八 09:00-10:00", "周一 9点到10点", "周一 11:00-09:00", "Mon 25:00-26:00"]
)
def test_unreadable_free_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_free_times(text)


def test_export_lists_skills_and_free_times(world):
    teacher = world.a.teacher
    TeacherSkillFactory(teacher=teacher, category=CategoryFactory(name="书法"))
    TeacherAvailability.objects.create(teacher=teacher, weekday=2, start=time(14), end=time(16))
    row = TeacherResource(user=world.community_staff).export(Teacher.objects.filter(pk=teacher.pk)).dict[0]
    assert "书法" in row["skills"].split(";")
    assert row["free_times"] == "周一 08:00-12:00; 周三 14:00-16:00"


def test_import_replaces_skills_and_free_times(world):
    taiji, calligraphy = CategoryFactory(name="太极拳"), CategoryFactory(name="书法")
    teacher = TeacherFactory(community=world.a.community)
    data = tablib.Dataset(
        [
            teacher.pk,
            teacher.name,
            teacher.source,
            teacher.kind,
            world.a.community.code,
            "太极拳;书法",
            "周一 09:00-11:00; Wed 14:00-16:00",
        ],
        ["", "新老师", teacher.source, teacher.kind, world.a.community.code, "书法", "星期六 19:00-20:30"],
        headers=HEADERS,
    )
    result = run_import(TeacherResource(user=world.community_staff), data)
    assert not result.has_errors() and not result.has_validation_errors()
    assert set(teacher.skills.values_list("category", flat=True)) == {taiji.pk, calligraphy.pk}
    assert list(teacher.availability.values_list("weekday", "start", "end")) == [
        (0, time(9), time(11)),
        (2, time(14), time(16)),
    ]
    new = Teacher.objects.get(name="新老师")
    assert list(new.skills.values_list("category", flat=True)) == [calligraphy.pk]


def test_bad_skills_or_free_times_reject_the_file_with_row_numbers(world):
    CategoryFactory(name="太极拳")
    teacher = TeacherFactory(community=world.a.community)
    source, kind, code = teacher.source, teacher.kind, world.a.community.code
    data = tablib.Dataset(
        ["", "好老师", source, kind, code, "太极拳", "周一 09:00-11:00"],
        ["", "坏技能", source, kind, code, "太极拳;不存在的兴趣", ""],
        ["", "坏时间", source, kind, code, "", "周一 下午"],
        headers=HEADERS,
    )
    before = Teacher.objects.count()
    with translation.override("en"):
        result = run_import(TeacherResource(user=world.community_staff), data)
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3}
    assert invalid[2]["skills"] == ["Unknown interests: 不存在的兴趣."]
    assert "Cannot read the free time" in invalid[3]["free_times"][0]
    assert Teacher.objects.count() == before
