"""Forms of the resident portal's class pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from community_college.models import Weekday

from .selectors import DAYPARTS, filter_choices

DAYPART_CHOICES = [
    ("morning", pgettext_lazy("time of day", "Morning")),
    ("afternoon", pgettext_lazy("time of day", "Afternoon")),
    ("evening", pgettext_lazy("time of day", "Evening")),
]
assert {code for code, _label in DAYPART_CHOICES} == set(DAYPARTS)


def category_label(name: str, name_en: str = "") -> str:
    """Categories are named in Chinese; an English reader sees the English name where there is one."""
    language = get_language() or ""
    return name_en if name_en and language.startswith("en") else name


def _category_options(rows) -> list[tuple[int, str]]:
    """The tree as a flat list of options: each broad field, then its interests indented beneath it."""
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row[2], []).append(row)
    options: list[tuple[int, str]] = []

    def walk(parent_id, depth):
        for pk, name, _parent, name_en in children.get(parent_id, []):
            options.append((pk, "\u3000" * depth + category_label(name, name_en)))
            if depth < 4:  # the V-model has a handful of levels; a cycle must not hang the page
                walk(pk, depth + 1)

    walk(None, 0)
    return options


class CourseFilterForm(forms.Form):
    """The filters of "Classes near me". Every field is optional; an invalid one is simply not applied."""

    category = forms.TypedChoiceField(label=_("Interest"), required=False, coerce=int, empty_value=None)
    weekday = forms.TypedChoiceField(
        label=_("Day"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any day")), *Weekday.choices],
    )
    daypart = forms.ChoiceField(
        label=_("Time of day"), required=False, choices=[("", _("Any time")), *DAYPART_CHOICES]
    )
    community = forms.TypedChoiceField(label=_("Community"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories, communities = filter_choices()
        self.fields["category"].choices = [("", _("All interests")), *_category_options(categories)]
        self.fields["community"].choices = [("", _("All communities")), *communities]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filters(self) -> dict:
        """The valid filters, as keyword arguments of `nearby_courses`."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "category_id": data.get("category"),
            "weekday": data.get("weekday"),
            "daypart": data.get("daypart") or None,
            "community_id": data.get("community"),
        }
