"""Forms of the resident portal's class pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from community_college.models import Weekday
from interests.selectors import DistrictRef

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

    def __init__(self, *args, district: DistrictRef = None, **kwargs):
        super().__init__(*args, **kwargs)
        categories, communities = filter_choices(district)
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


# --- Showcases (兴趣展示) ---------------------------------------------------------------------------------------


class ShowcaseProposeForm(forms.Form):
    """What a group's leader or a class's teacher proposes. `owner` is "g<id>" (a group) or "c<id>" (a class)."""

    owner = forms.ChoiceField(label=_("Who shows their work"))
    kind = forms.ChoiceField(label=_("Kind"))
    title = forms.CharField(label=_("Title"), max_length=100)
    venue = forms.ModelChoiceField(label=_("Venue"), queryset=None)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    capacity = forms.IntegerField(label=_("Audience seats"), min_value=1, max_value=5000)
    programme = forms.CharField(label=_("Programme"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    participants = forms.CharField(label=_("Participants"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, groups=(), courses=(), venues=None, **kwargs):
        from .enums import ShowcaseKind

        super().__init__(*args, **kwargs)
        self.groups = {f"g{g.pk}": g for g in groups}
        self.courses = {f"c{c.pk}": c for c in courses}
        self.fields["owner"].choices = [
            *((key, _("Group: %(name)s") % {"name": g.name}) for key, g in self.groups.items()),
            *((key, _("Class: %(name)s") % {"name": c.title}) for key, c in self.courses.items()),
        ]
        self.fields["kind"].choices = ShowcaseKind.choices
        self.fields["venue"].queryset = venues
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-select" if name in ("owner", "kind", "venue") else "form-control")

    def owner_kwargs(self) -> dict:
        key = self.cleaned_data["owner"]
        return {"group": self.groups.get(key), "course": self.courses.get(key)}


class MediaUploadForm(forms.Form):
    # A plain file field: `community_college.uploads` decides from the content whether it is an image.
    photo = forms.FileField(label=_("Photo"), help_text=_("JPEG, PNG or WebP."))
    caption = forms.CharField(label=_("Caption"), max_length=120, required=False)
    consent_confirmed = forms.BooleanField(
        label=_("The people shown in this photo agreed to its publication."), required=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].widget.attrs.update({"class": "form-control", "accept": "image/jpeg,image/png,image/webp"})
        self.fields["caption"].widget.attrs["class"] = "form-control"
        self.fields["consent_confirmed"].widget.attrs["class"] = "form-check-input"
