"""Teachers in and out of spreadsheets; see `accounts.resources` for scope, masking and all-or-nothing.

Besides the teacher's own columns, a sheet carries their skills and weekly free times as text, the way staff
type them: skills as interest names ("太极拳;书法"), free times as "周一 09:00-11:00; 周三 14:00-16:00"
(Chinese or English weekday names). Both columns replace what is on record when they are present.
"""

from __future__ import annotations

import re
from datetime import time

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from import_export import fields

from accounts.resources import CommunityCodeWidget, MaskedPhoneWidget, ScopedResource
from interests.models import Category

from .models import Teacher, TeacherAvailability, TeacherSkill

# Every spelling of a weekday a sheet may hold, lower-cased.
WEEKDAY_NAMES: dict[str, int] = {}
for _day, _names in enumerate(
    [
        ("周一", "星期一", "礼拜一", "mon", "monday"),
        ("周二", "星期二", "礼拜二", "tue", "tues", "tuesday"),
        ("周三", "星期三", "礼拜三", "wed", "wednesday"),
        ("周四", "星期四", "礼拜四", "thu", "thur", "thurs", "thursday"),
        ("周五", "星期五", "礼拜五", "fri", "friday"),
        ("周六", "星期六", "礼拜六", "sat", "saturday"),
        ("周日", "周天", "星期日", "星期天", "礼拜日", "礼拜天", "sun", "sunday"),
    ]
):
    for _name in _names:
        WEEKDAY_NAMES[_name] = _day

LIST_SEPARATORS = re.compile(r"[;；,，、\n]+")
WINDOW = re.compile(r"^\s*(\S+?)\s*(\d{1,2})[:：](\d{2})\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2})\s*$")
CHINESE_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def parse_free_times(text: str) -> list[tuple[int, time, time]]:
    """ "周一 09:00-11:00; Wed 14:00-16:00" → [(0, 09:00, 11:00), (2, 14:00, 16:00)]; ValueError names the bad part."""
    windows = []
    for part in LIST_SEPARATORS.split(text or ""):
        if not part.strip():
            continue
        match = WINDOW.match(part)
        weekday = WEEKDAY_NAMES.get(match.group(1).lower().rstrip(".")) if match else None
        if match is None or weekday is None:
            raise ValueError(
                _("Cannot read the free time “%(part)s”: write it like “周一 09:00-11:00”.")
                % {"part": part.strip()}
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups()[1:])
        try:
            start, end = time(h1, m1), time(h2, m2)
        except ValueError:
            raise ValueError(_("“%(part)s” is not a time of day.") % {"part": part.strip()}) from None
        if start >= end:
            raise ValueError(
                _("In “%(part)s” the end must be later than the start.") % {"part": part.strip()}
            )
        windows.append((weekday, start, end))
    return windows


def format_free_times(windows) -> str:
    return "; ".join(f"{CHINESE_WEEKDAYS[w.weekday]} {w.start:%H:%M}-{w.end:%H:%M}" for w in windows)


def parse_skill_names(text: str) -> list[str]:
    names = []
    for part in LIST_SEPARATORS.split(text or ""):
        if part.strip() and part.strip() not in names:
            names.append(part.strip())
    return names


class TeacherResource(ScopedResource):
    phone_columns = ("phone",)
    community = fields.Field(attribute="community", column_name="community", widget=CommunityCodeWidget())
    phone = fields.Field(attribute="phone", column_name="phone", widget=MaskedPhoneWidget())
    # Not model attributes: read into the instance by `import_instance`, written after the teacher is saved.
    skills = fields.Field(column_name="skills")
    free_times = fields.Field(column_name="free_times")

    class Meta:
        model = Teacher
        fields = (
            "id",
            "name",
            "phone",
            "source",
            "kind",
            "community",
            "bio",
            "max_weekly_sessions",
            "max_travel_km",
            "latitude",
            "longitude",
            "is_active",
            "skills",
            "free_times",
        )
        clean_model_instances = True
        use_transactions = True
        # Skills and free times live in other tables: an "unchanged" teacher row may still change them.
        skip_unchanged = False
        report_skipped = False

    # --- export ------------------------------------------------------------------------------------------------
    def filter_export(self, queryset, **kwargs):
        queryset = super().filter_export(queryset, **kwargs)
        # The admin's changelist queryset prefetches "skills" already, with another queryset; Django refuses
        # two prefetches of one lookup, so the export sets its own from scratch.
        return queryset.prefetch_related(None).prefetch_related(
            Prefetch(
                "skills", queryset=TeacherSkill.objects.select_related("category").order_by("category__name")
            ),
            "availability",
        )

    def dehydrate_skills(self, teacher) -> str:
        return ";".join(skill.category.name for skill in teacher.skills.all())

    def dehydrate_free_times(self, teacher) -> str:
        return format_free_times(teacher.availability.all())

    # --- import ------------------------------------------------------------------------------------------------
    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:  # merged with the errors of the two text columns, raised below
            errors = exc.update_error_dict(errors)
        instance._sheet_skills = None
        instance._sheet_free_times = None
        if "skills" in row:
            try:
                instance._sheet_skills = self._categories(parse_skill_names(str(row["skills"] or "")))
            except ValueError as exc:
                errors["skills"] = [str(exc)]
        if "free_times" in row:
            try:
                instance._sheet_free_times = parse_free_times(str(row["free_times"] or ""))
            except ValueError as exc:
                errors["free_times"] = [str(exc)]
        if errors:
            raise ValidationError(errors)

    def _categories(self, names: list[str]) -> list[Category]:
        if not names:
            return []
        found: dict[str, list[Category]] = {}
        for category in Category.objects.filter(name__in=names):
            found.setdefault(category.name, []).append(category)
        missing = [name for name in names if name not in found]
        if missing:
            raise ValueError(_("Unknown interests: %(names)s.") % {"names": "、".join(missing)})
        ambiguous = [name for name in names if len(found[name]) > 1]
        if ambiguous:
            raise ValueError(
                _("More than one interest is called %(names)s: set the skill in the teacher's page.")
                % {"names": "、".join(ambiguous)}
            )
        return [found[name][0] for name in names]

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        if instance.pk is None:
            return  # a dry run without transactions saved nothing
        skills = getattr(instance, "_sheet_skills", None)
        if skills is not None:
            wanted = {category.pk for category in skills}
            instance.skills.exclude(category_id__in=wanted).delete()
            kept = set(instance.skills.values_list("category_id", flat=True))
            TeacherSkill.objects.bulk_create(
                [
                    TeacherSkill(teacher=instance, category=category)
                    for category in skills
                    if category.pk not in kept
                ]
            )
        windows = getattr(instance, "_sheet_free_times", None)
        if windows is not None:
            instance.availability.all().delete()
            TeacherAvailability.objects.bulk_create(
                [TeacherAvailability(teacher=instance, weekday=w, start=s, end=e) for w, s, e in windows]
            )
